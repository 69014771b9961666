// RFC 7692 7.2.1 sending: a message's bytes through the core's DEFLATE. Without context takeover
// one compressor per instance, window size and level serves every connection (calls are
// synchronous), so idle connections hold no compression state, and a message sent to several
// connections in one turn is compressed once. With context takeover a connection has its own.
import { DEFLATE_IN_CAP } from "./abi.ts";
import type { Core } from "./core.ts";

/** Free per-connection states, by core and by window bits and level. */
const pools = new WeakMap<Core, Map<number, number[]>>();
const sharedStates = new WeakMap<Core, Map<number, Deflater>>();

export class Deflater {
  // The last text compressed in this turn and its output: a broadcast loop sending one string to
  // many connections compresses it once. Bytes are not remembered: a caller may change a buffer
  // between two sends.
  private lastInput: string | undefined = undefined;
  private lastOutput: Uint8Array | undefined;
  private forgetQueued = false;

  private constructor(
    private readonly core: Core,
    private readonly state: number,
    private readonly windowBits: number,
    private readonly level: number,
    private readonly key: number,
    /** Keeps its window across messages (context takeover). */
    readonly keepsContext: boolean,
  ) {}

  /** The instance's compressor for connections without context takeover. */
  static shared(core: Core, windowBits: number, level: number): Deflater {
    let byKey = sharedStates.get(core);
    if (!byKey) sharedStates.set(core, (byKey = new Map()));
    const key = windowBits * 16 + level;
    let d = byKey.get(key);
    if (!d) {
      d = new Deflater(core, core.exports.deflateAlloc(windowBits) >>> 0, windowBits, level, key, false);
      core.refresh();
      byKey.set(key, d);
    }
    return d;
  }

  /** A connection's own compressor, for context takeover; release() returns it to the pool. */
  static own(core: Core, windowBits: number, level: number): Deflater {
    let pool = pools.get(core);
    if (!pool) pools.set(core, (pool = new Map()));
    const key = windowBits * 16 + level;
    let st = pool.get(key)?.pop();
    if (st === undefined) {
      st = core.exports.deflateAlloc(windowBits) >>> 0;
      core.refresh();
    }
    core.exports.deflateInit(st, windowBits, level);
    return new Deflater(core, st, windowBits, level, key, true);
  }

  release(): void {
    if (!this.keepsContext) return;
    const pool = pools.get(this.core)!;
    let list = pool.get(this.key);
    if (!list) pool.set(this.key, (list = []));
    list.push(this.state);
  }

  /** The compressed bytes of a message (its data as given to send, and its payload bytes). */
  compress(data: unknown, payload: Uint8Array): Uint8Array {
    if (!this.keepsContext && data === this.lastInput && this.lastOutput) return this.lastOutput;
    const core = this.core;
    const e = core.exports;
    const inPtr = e.deflateInPtr() >>> 0;
    const outPtr = e.deflateOutPtr() >>> 0;
    // 7.1.1: without context takeover every message starts with an empty window.
    if (!this.keepsContext) e.deflateInit(this.state, this.windowBits, this.level);
    core.refresh();
    const parts: Uint8Array[] = [];
    let total = 0;
    let off = 0;
    do {
      const piece = payload.subarray(off, off + DEFLATE_IN_CAP);
      core.u8.set(piece, inPtr);
      off += piece.length;
      const n = e.deflateChunk(this.state, inPtr, piece.length, outPtr, off === payload.length ? 1 : 0);
      // The first message a core compresses allocates the compressor's scratch, which may grow the
      // memory.
      core.refresh();
      if (n > 0) parts.push(core.u8.slice(outPtr, outPtr + n));
      total += n;
    } while (off < payload.length);
    const out = parts.length === 1 ? parts[0] : concat(parts, total);
    if (!this.keepsContext && typeof data === "string") this.remember(data, out);
    return out;
  }

  // Kept for the rest of this turn only.
  private remember(data: string, out: Uint8Array): void {
    this.lastInput = data;
    this.lastOutput = out;
    if (this.forgetQueued) return;
    this.forgetQueued = true;
    queueMicrotask(() => {
      this.forgetQueued = false;
      this.lastInput = undefined;
      this.lastOutput = undefined;
    });
  }
}

function concat(parts: Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
