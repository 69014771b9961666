import { KEY_POOL_SIZE, KEY_REFILL } from "./abi.ts";
import { wsError } from "./errors.ts";
import type { CoreExports } from "./exports.ts";
import { type CompiledModule, Wasm } from "./wasm.ts";

interface NodeBuffer {
  latin1Slice(start: number, end: number): string;
}
interface NodeBufferClass {
  from(buffer: ArrayBuffer, at: number, len: number): NodeBuffer;
  prototype: Partial<NodeBuffer>;
}
const GlobalBuffer = (globalThis as unknown as { Buffer?: NodeBufferClass }).Buffer;
// latin1Slice is not in Node's documented API: a Buffer without it (a polyfill) is not used.
const BufferClass = typeof GlobalBuffer?.prototype.latin1Slice === "function" ? GlobalBuffer : undefined;
// Without Buffer, strings are built from pieces small enough to pass as arguments.
const LATIN1_PIECE = 4096;

/**
 * Bytes read as strings of one code unit per byte: ISO-8859-1 header bytes, or text the core found
 * to be ASCII. Buffer's latin1Slice (Node, Bun, Deno) took 20-40 ns for 32 bytes, where TextDecoder
 * took 60-90 and String.fromCharCode.apply about 120.
 */
export class Latin1 {
  /** text() is Buffer's, faster than decoding UTF-8 (else it is slower: a JS loop). */
  static readonly fast = BufferClass !== undefined;
  private readonly buffer: NodeBuffer | undefined;

  constructor(private readonly bytes: Uint8Array<ArrayBuffer>) {
    this.buffer = BufferClass?.from(bytes.buffer, bytes.byteOffset, bytes.length);
  }

  text(start: number, end: number): string {
    if (this.buffer) return this.buffer.latin1Slice(start, end);
    // Not TextDecoder("latin1"): that is windows-1252, which maps 80..9F elsewhere.
    let text = "";
    for (let at = start; at < end; at += LATIN1_PIECE)
      text += String.fromCharCode.apply(
        null,
        this.bytes.subarray(at, Math.min(at + LATIN1_PIECE, end)) as unknown as number[],
      );
    return text;
  }
}

/** The one instance of the protocol core that every session of this isolate shares. */
export class Core {
  readonly exports: CoreExports;
  readonly simd: boolean;
  readonly inputPtr: number;
  readonly outputPtr: number;
  readonly eventPtr: number;
  readonly sendPtr: number;
  readonly hsPtr: number;
  private readonly keyPool: number;
  // Word index of the key ring's state: [position, bytes drawn since the last refill].
  private readonly keyState: number;
  u8!: Uint8Array<ArrayBuffer>;
  u32!: Uint32Array<ArrayBuffer>;
  data!: DataView<ArrayBuffer>;
  private buffer!: ArrayBuffer;
  private memoryText!: Latin1;

  constructor(module: CompiledModule, simd: boolean) {
    this.exports = new Wasm.Instance(module, { env: {} }).exports as CoreExports;
    this.simd = simd;
    const e = this.exports;
    this.inputPtr = e.inputPtr() >>> 0;
    this.outputPtr = e.outputPtr() >>> 0;
    this.eventPtr = e.eventPtr() >>> 0;
    this.sendPtr = e.sendPtr() >>> 0;
    this.hsPtr = e.hsPtr() >>> 0;
    this.keyPool = e.keyPoolPtr() >>> 0;
    this.keyState = (e.keyStatePtr() >>> 0) >>> 2;
    this.refresh();
    this.fillRandom(0, KEY_POOL_SIZE);
  }

  /** 5.3: call after each call that may have drawn masking keys; refills what was drawn. */
  keysDrawn(): void {
    const drawn = this.u32[this.keyState + 1];
    if (drawn < KEY_REFILL) return;
    const end = this.u32[this.keyState];
    const start = (end - drawn + KEY_POOL_SIZE) % KEY_POOL_SIZE;
    if (start < end) this.fillRandom(start, end);
    else {
      this.fillRandom(start, KEY_POOL_SIZE);
      this.fillRandom(0, end);
    }
    this.u32[this.keyState + 1] = 0;
  }

  /** Views go stale when memory grows: when a session slot, an inflater or a control block is added. */
  refresh(): void {
    const buffer = this.exports.memory.buffer;
    if (buffer === this.buffer) return;
    this.buffer = buffer;
    this.u8 = new Uint8Array(buffer);
    this.u32 = new Uint32Array(buffer);
    this.data = new DataView(buffer);
    this.memoryText = new Latin1(this.u8);
  }

  /** [ptr, ptr + len) of the memory as ISO-8859-1 (see Latin1). */
  latin1(ptr: number, len: number): string {
    return this.memoryText.text(ptr, ptr + len);
  }

  private fillRandom(from: number, to: number): void {
    // getRandomValues fills at most 64 KiB per call.
    for (let off = from; off < to; off += 65536)
      crypto.getRandomValues(this.u8.subarray(this.keyPool + off, this.keyPool + Math.min(off + 65536, to)));
  }

  /** Copies bytes into the input region (at most INPUT_CAP). */
  writeInput(bytes: Uint8Array, offset = 0): void {
    this.u8.set(bytes, this.inputPtr + offset);
  }
}

let module: CompiledModule | undefined;
let moduleIsSimd = true;
let shared: Core | undefined;
let builtIn: (() => { module: CompiledModule; simd: boolean }) | undefined;

/**
 * Use a caller's compiled module instead of the inlined bytes, e.g. in workers that forbid
 * compiling at run time. Call before the first connection.
 */
export function useModule(m: CompiledModule, simd = true): void {
  if (shared) throw wsError("WS_ERR_CORE_LOADED");
  module = m;
  moduleIsSimd = simd;
}

/**
 * @internal The inlined builds register here (host-core/inline.ts, imported by the node, deno, bun
 * and web hosts), so the workerd entry, which passes its own module, does not carry them.
 */
export function useBuiltIn(load: () => { module: CompiledModule; simd: boolean }): void {
  builtIn = load;
}

export function getCore(): Core {
  if (!shared) {
    if (!module) {
      if (!builtIn) throw wsError("WS_ERR_NO_CORE");
      ({ module, simd: moduleIsSimd } = builtIn());
    }
    shared = new Core(module, moduleIsSimd);
  }
  return shared;
}
