// The part of the WebAssembly JS API the loader uses, declared here: Node's types have no
// WebAssembly namespace, and the shipped .d.ts files must typecheck without the DOM lib.

/** A compiled `WebAssembly.Module`. */
export type CompiledModule = object;

interface WebAssemblyApi {
  Module: new (bytes: Uint8Array) => CompiledModule;
  Instance: new (module: CompiledModule, imports: object) => { exports: object };
  validate(bytes: Uint8Array): boolean;
}

export const Wasm = (globalThis as unknown as { WebAssembly: WebAssemblyApi }).WebAssembly;
