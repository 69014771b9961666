// The write queue of adapters whose runtime writes one buffer at a time and may take only part of
// it: Deno's conn.write() (async) and Bun's socket.write() (sync). It keeps chunks in order, hands
// out the next write and takes back how much of it went; the adapter only loops.

import { give, take } from "./lend.ts";

// Neither runtime has a vectored write, so small neighbouring chunks are copied into one write of up
// to JOIN_MAX bytes. On Bun, fewer, larger writes measured faster than copying less: echoing 16 KiB
// messages, 64 KiB joins left the server waiting on a load generator busy with small segments. On
// Deno each write is an async op, so fewer writes cost less there too.
export const JOIN_MAX = 256 * 1024;
// A chunk this large is a large write already: it goes as it is, by reference.
export const WRITE_ALONE = 64 * 1024;
// Written entries at the front of a long queue are dropped once they are half of it.
export const COMPACT_MIN = 256;

const empty = new Uint8Array(0);

/** Chunks waiting to be written, in order. An idle queue holds nothing. */
export class WriteQueue {
  /** What waits, from list[head] on; null when nothing does. */
  private list: Uint8Array[] | null = null;
  private head = 0;
  /** list[head] is the rest of a partial write: it goes again as it is, not copied into a join. */
  private carried = false;
  private queued = 0;
  /**
   * The join being written, if one is. Joins come from the shared pool of message buffers and go
   * back once written, so a stream of writes reuses memory the CPU has touched (Deno zero-fills
   * every new buffer, too).
   */
  private join: Uint8Array | null = null;

  /** Bytes pushed and not yet reported written. */
  get bufferedAmount(): number {
    return this.queued;
  }

  /** Appends chunks in order; the array itself is not kept. */
  push(chunks: Uint8Array[]): void {
    for (const c of chunks) {
      if (c.length === 0) continue;
      (this.list ??= []).push(c);
      this.queued += c.length;
    }
  }

  /**
   * The next buffer to write, or null when nothing waits: the first chunk (or the rest of a partial
   * write) by reference, or small neighbours joined into one. It stays first until wrote() takes it.
   */
  next(): Uint8Array | null {
    const list = this.list;
    if (!list) return null;
    const first = list[this.head];
    let end = this.head + 1;
    let size = first.length;
    if (!this.carried && size < WRITE_ALONE)
      while (end < list.length && list[end].length < WRITE_ALONE && size + list[end].length <= JOIN_MAX)
        size += list[end++].length;
    if (end === this.head + 1) return first;
    const join = take(size);
    this.join = join;
    const out = join.length === size ? join : join.subarray(0, size);
    for (let i = this.head, at = 0; i < end; i++) {
      out.set(list[i], at);
      at += list[i].length;
      list[i] = empty;
    }
    this.head = end - 1;
    list[this.head] = out;
    return out;
  }

  /** n bytes of what next() gave were written (none when n <= 0); the rest of it stays first. */
  wrote(n: number): void {
    const list = this.list;
    if (!list || n <= 0) return;
    this.queued -= n;
    const first = list[this.head];
    this.carried = n < first.length;
    if (this.carried) {
      list[this.head] = first.subarray(n);
      return;
    }
    list[this.head++] = empty;
    if (first.buffer === this.join?.buffer) {
      give(this.join);
      this.join = null;
    }
    if (this.head === list.length) {
      this.list = null;
      this.head = 0;
    } else if (this.head >= COMPACT_MIN && this.head * 2 >= list.length) {
      list.splice(0, this.head);
      this.head = 0;
    }
  }

  /** Drops everything: the connection is gone. A write still in flight then changes nothing. */
  clear(): void {
    // A write in flight may still read the join: it is left to the collector, not reused.
    this.join = null;
    this.list = null;
    this.head = 0;
    this.carried = false;
    this.queued = 0;
  }
}
