import { KEY_POOL_SIZE } from "./abi.ts";
import type { CoreExports } from "./exports.ts";

/** The one instance of the protocol core that every session of this isolate shares. */
export class Core {
  readonly exports: CoreExports;
  readonly simd: boolean;
  readonly inputPtr: number;
  readonly outputPtr: number;
  readonly eventPtr: number;
  readonly sendPtr: number;
  readonly hsPtr: number;
  u8!: Uint8Array<ArrayBuffer>;
  u32!: Uint32Array<ArrayBuffer>;
  private buffer!: ArrayBuffer;

  constructor(module: WebAssembly.Module, simd: boolean) {
    this.exports = new WebAssembly.Instance(module, { env: {} }).exports as unknown as CoreExports;
    this.simd = simd;
    const e = this.exports;
    this.inputPtr = e.inputPtr() >>> 0;
    this.outputPtr = e.outputPtr() >>> 0;
    this.eventPtr = e.eventPtr() >>> 0;
    this.sendPtr = e.sendPtr() >>> 0;
    this.hsPtr = e.hsPtr() >>> 0;
    this.refresh();
    this.refillKeys();
  }

  /** Views go stale when memory grows (only when a session slot is added). */
  refresh(): void {
    const buffer = this.exports.memory.buffer;
    if (buffer === this.buffer) return;
    this.buffer = buffer;
    this.u8 = new Uint8Array(buffer);
    this.u32 = new Uint32Array(buffer);
  }

  /** Masking keys for the frames a client session writes on its own (pong, close echo). */
  refillKeys(): void {
    const at = this.exports.keyPoolPtr() >>> 0;
    // getRandomValues fills at most 64 KiB per call.
    for (let off = 0; off < KEY_POOL_SIZE; off += 65536)
      crypto.getRandomValues(this.u8.subarray(at + off, at + Math.min(off + 65536, KEY_POOL_SIZE)));
    this.exports.keysRefilled();
  }

  /** Copies bytes into the input region (at most INPUT_CAP). */
  writeInput(bytes: Uint8Array, offset = 0): void {
    this.u8.set(bytes, this.inputPtr + offset);
  }
}

let module: WebAssembly.Module | undefined;
let moduleIsSimd = true;
let shared: Core | undefined;
let builtIn: (() => { module: WebAssembly.Module; simd: boolean }) | undefined;

/**
 * Use a caller's compiled module instead of the inlined bytes, e.g. in workers that forbid
 * compiling at run time. Call before the first connection.
 */
export function useModule(m: WebAssembly.Module, simd = true): void {
  if (shared) throw new Error("wasmsock: the core is already loaded; call useModule() before first use");
  module = m;
  moduleIsSimd = simd;
}

/**
 * @internal The inlined builds register here (host-core/inline.ts, imported by the node, deno, bun
 * and web hosts), so the workerd entry, which passes its own module, does not carry them.
 */
export function useBuiltIn(load: () => { module: WebAssembly.Module; simd: boolean }): void {
  builtIn = load;
}

export function getCore(): Core {
  if (!shared) {
    if (!module) {
      if (!builtIn)
        throw new Error("wasmsock: no core module; import a host (e.g. wasmsock/node) or call useModule()");
      ({ module, simd: moduleIsSimd } = builtIn());
    }
    shared = new Core(module, moduleIsSimd);
  }
  return shared;
}
