// Message buffers reused across messages: a fresh buffer per large message is written to memory the
// CPU has not touched yet, which cost 4.1 us per 64 KiB against 0.5 us for a reused one (Node 20,
// 1 MiB messages). Only buffers no handler can still read come back here: the bytes of text decoded
// to a string, and in borrow mode the messages lent to handlers, valid until the handler returns.
import { allocatePlain } from "./output.ts";

// Kept for reuse, across every session of the process, by size: a stack per power of two from
// TAKE_MIN to POOL_BYTES, so finding one costs the same however many are kept. Deno's adapter has up
// to 256 joined writes in flight (host-deno/write-slots.ts), each in a buffer of its own.
const POOL_BYTES = 16 * 1024 * 1024;
// Smaller, Node's Buffer.allocUnsafe would carve it from its shared 8 KiB slab, whose ArrayBuffer
// other Buffers share: lending is tracked per ArrayBuffer.
const TAKE_MIN = 4096;
const MIN_BITS = Math.log2(TAKE_MIN);
const free: Uint8Array[][] = Array.from({ length: Math.log2(POOL_BYTES) - MIN_BITS + 1 }, () => []);
let pooled = 0;

// Buffers handed to handlers in borrow mode. A send or publish that keeps one by reference takes it
// out of the pool for good instead, so the next message cannot overwrite it and nothing is copied.
const lent = new WeakSet<ArrayBufferLike>();
const kept = new WeakSet<ArrayBufferLike>();
let lending = false;

/** The stack of buffers of 2^k bytes, for a power of two n >= TAKE_MIN. */
function classOf(n: number): number {
  return 31 - Math.clz32(n) - MIN_BITS;
}

/**
 * A buffer of at least `size` bytes: the smallest free one that fits and is not more than twice as
 * large as a new one would be (a small write must not hold a large message's buffer), else a new
 * one of `atLeast` rounded up to a power of two, so that it fits later needs of about the same size.
 */
export function take(size: number, atLeast = size): Uint8Array {
  const want = Math.max(size, atLeast, TAKE_MIN);
  // Past what the pool keeps, no later need can reuse it: exactly what was asked.
  const bits = Math.ceil(Math.log2(want));
  const fresh = want > POOL_BYTES ? want : 2 ** bits;
  if (size <= POOL_BYTES) {
    // From the smallest class that holds `size` to twice a fresh buffer's size.
    const last = Math.min(bits + 1 - MIN_BITS, free.length - 1);
    for (let k = Math.ceil(Math.log2(Math.max(size, TAKE_MIN))) - MIN_BITS; k <= last; k++) {
      const bytes = free[k].pop();
      if (bytes) {
        pooled -= bytes.length;
        return bytes;
      }
    }
  }
  return allocatePlain(fresh);
}

/** Returns a buffer from take() that nothing reads any more. */
export function give(bytes: Uint8Array): void {
  const n = bytes.length;
  if (n < TAKE_MIN || n > POOL_BYTES || (n & (n - 1)) !== 0 || (lending && kept.has(bytes.buffer))) return;
  const mine = classOf(n);
  free[mine].push(bytes);
  pooled += n;
  // Over the bound, the other class holding the most bytes gives up its oldest, this one's own class
  // last: what was just needed is what the next messages will need, and a burst of large messages
  // does not keep the pool from the small writes that follow it.
  while (pooled > POOL_BYTES) {
    let most = -1;
    for (let k = 0; k < free.length; k++)
      if (k !== mine && free[k].length > 0 && (most < 0 || free[k].length << k > free[most].length << most))
        most = k;
    pooled -= (free[most < 0 ? mine : most].shift() as Uint8Array).length;
  }
}

/** Marks a buffer from take() as seen by a handler that may not keep it. */
export function lend(bytes: Uint8Array): void {
  lending = true;
  lent.add(bytes.buffer);
}

/**
 * Borrow mode lends a message of at most SHELF_MAX bytes in the shelf's view of its length, copied
 * in: making a view of it would cost more (20-30 ns in V8 and JavaScriptCore) than the copy.
 */
export const SHELF_MAX = 64;

export class Shelf {
  /** Set when something keeps one of its views past the handler: then it is never written again. */
  kept = false;
  private readonly data: DataView<ArrayBuffer>;
  // Made on first use: a shelf is made anew whenever one of its views is kept.
  private readonly views: Uint8Array<ArrayBuffer>[];

  constructor() {
    const buffer = new ArrayBuffer(SHELF_MAX);
    this.data = new DataView(buffer);
    const none = new Uint8Array(buffer, 0, 0);
    this.views = new Array<Uint8Array<ArrayBuffer>>(SHELF_MAX + 1).fill(none);
    lend(none);
    shelves.set(buffer, this);
  }

  /** [ptr, ptr + len) of the memory that `from` views, in the view of length len (<= SHELF_MAX). */
  put(from: DataView, ptr: number, len: number): Uint8Array<ArrayBuffer> {
    const to = this.data;
    let i = 0;
    for (; i + 4 <= len; i += 4) to.setUint32(i, from.getUint32(ptr + i, true), true);
    for (; i < len; i++) to.setUint8(i, from.getUint8(ptr + i));
    const view = this.views[len];
    if (view.length === len) return view;
    return (this.views[len] = new Uint8Array(to.buffer, 0, len));
  }
}

const shelves = new WeakMap<ArrayBufferLike, Shelf>();
let spare: Shelf | undefined;

/** A shelf no other dispatch is writing: one taken while a handler runs another session's gets its own. */
export function takeShelf(): Shelf {
  const shelf = spare ?? new Shelf();
  spare = undefined;
  return shelf;
}

export function giveShelf(shelf: Shelf): void {
  if (!shelf.kept) spare = shelf;
}

/** For whoever keeps `payload` past the handler: a lent buffer it is in is never reused. */
export function keep(payload: Uint8Array): Uint8Array {
  if (lending && lent.delete(payload.buffer)) {
    kept.add(payload.buffer);
    const shelf = shelves.get(payload.buffer);
    if (shelf) shelf.kept = true;
  }
  return payload;
}
