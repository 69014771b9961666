import { type CoreExports, KEY_POOL_SIZE } from "./abi.ts";
import { scalarBase64, simdBase64 } from "./wasm-inline.ts";

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
    crypto.getRandomValues(this.u8.subarray(at, at + KEY_POOL_SIZE));
    this.exports.keysRefilled();
  }

  /** Copies bytes into the input region (at most INPUT_CAP). */
  writeInput(bytes: Uint8Array, offset = 0): void {
    this.u8.set(bytes, this.inputPtr + offset);
  }
}

const decode = (b64: string): Uint8Array<ArrayBuffer> => Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));

let module: WebAssembly.Module | undefined;
let moduleIsSimd = true;
let shared: Core | undefined;

/**
 * Use a caller's compiled module instead of the inlined bytes, e.g. in workers that forbid
 * compiling at run time. Call before the first connection.
 */
export function useModule(m: WebAssembly.Module, simd = true): void {
  if (shared) throw new Error("wasmsock: the core is already loaded; call useModule() before first use");
  module = m;
  moduleIsSimd = simd;
}

/** Picks the SIMD build where the engine validates it, else the scalar one. */
function compileInlined(): WebAssembly.Module {
  const simd = decode(simdBase64);
  if (WebAssembly.validate(simd)) return new WebAssembly.Module(simd);
  moduleIsSimd = false;
  return new WebAssembly.Module(decode(scalarBase64));
}

export function getCore(): Core {
  if (!shared) {
    module ??= compileInlined();
    shared = new Core(module, moduleIsSimd);
  }
  return shared;
}

/** A fresh instance of one specific build, for tests and benchmarks that compare builds. */
export function createCore(build: "simd" | "scalar"): Core {
  const bytes = decode(build === "simd" ? simdBase64 : scalarBase64);
  return new Core(new WebAssembly.Module(bytes), build === "simd");
}
