// host-core's WriteQueue, which the Deno and Bun adapters write through: their runtimes take one
// buffer per write and may take only part of it. Sinks here take a random part of every write,
// synchronously (Bun: the kernel takes what fits, `drain` resumes) or asynchronously (Deno: each write
// a promise, while more is pushed). Every byte must come out once and in order, bufferedAmount must be
// exact after every step, large chunks go by reference, small ones are joined up to JOIN_MAX, and a
// long queue is compacted. WRITE_QUEUE_SEED=n repeats a run.
import { describe, expect, it } from "vitest";
import { take } from "../host-core/lend.ts";
import { COMPACT_MIN, JOIN_MAX, WRITE_ALONE, WriteQueue } from "../host-core/write-queue.ts";

const BASE_SEED = Number(process.env.WRITE_QUEUE_SEED) || Math.floor(Math.random() * 2 ** 32);
const SIZES = [1, 3, 14, 100, 5000, 16384, WRITE_ALONE - 1, WRITE_ALONE, 70000, 300000];

/** A 32-bit LCG (Numerical Recipes' constants); rnd(n) is in 0..n-1, from the high bits. */
function lcg(seed: number): (n: number) => number {
  let s = seed >>> 0;
  return (n) => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return Math.floor((s / 2 ** 32) * n);
  };
}

/** The stream's byte at position p: chunks that swap places or repeat show up as wrong bytes. */
const byteAt = (p: number) => (Math.imul(p, 0x9e3779b1) >>> 24) ^ (p & 0xff);

/** What was pushed and what the sink took, checked against the stream byte by byte as it goes. */
class Stream {
  pushed = 0;
  taken = 0;
  constructor(readonly seed: number) {}

  /** The next `size` bytes of the stream, as a chunk of its own. */
  chunk(size: number): Uint8Array {
    const c = new Uint8Array(size);
    for (let i = 0; i < size; i++) c[i] = byteAt(this.pushed + i);
    this.pushed += size;
    return c;
  }

  /** The sink took the first n bytes of `out`. */
  take(out: Uint8Array, n: number): void {
    for (let i = 0; i < n; i++)
      if (out[i] !== byteAt(this.taken + i))
        expect.fail(`seed ${this.seed}: byte ${this.taken + i} out of order (${out[i]})`);
    this.taken += n;
  }

  /** bufferedAmount is what was pushed and not yet taken. */
  check(queue: WriteQueue): void {
    expect(queue.bufferedAmount, `seed ${this.seed}`).toBe(this.pushed - this.taken);
  }
}

/** The queue's array, the thing compaction bounds. Null when nothing waits. */
const listOf = (queue: WriteQueue) => (queue as unknown as { list: Uint8Array[] | null }).list;

describe("against a sink that takes a random part of each write", () => {
  it("synchronously, until a short write, then again on drain (Bun)", () => {
    for (let round = 0; round < 50; round++) {
      const seed = (BASE_SEED + round) >>> 0;
      const rnd = lcg(seed);
      const stream = new Stream(seed);
      const queue = new WriteQueue();
      let budget = 0;
      // Bun's write(): the kernel takes up to its budget; a short write waits for drain.
      const flush = () => {
        for (let out = queue.next(); out; out = queue.next()) {
          const n = Math.min(out.length, budget);
          budget -= n;
          stream.take(out, n);
          queue.wrote(n);
          stream.check(queue);
          if (n < out.length) return;
        }
      };
      for (let step = 0; step < 40; step++) {
        const waiting = queue.bufferedAmount > 0;
        queue.push(Array.from({ length: rnd(5) + 1 }, () => stream.chunk(SIZES[rnd(SIZES.length)])));
        stream.check(queue);
        budget = rnd(4) === 0 ? Number.MAX_SAFE_INTEGER : rnd(200_000);
        if (!waiting || rnd(2)) flush();
      }
      while (queue.bufferedAmount > 0) {
        budget = rnd(100_000) + 1;
        flush();
      }
      expect(stream.taken, `seed ${seed}`).toBe(stream.pushed);
      expect(listOf(queue), `seed ${seed}: an idle queue holds nothing`).toBeNull();
    }
  });

  it("asynchronously, one write in flight while more is pushed (Deno)", async () => {
    for (let round = 0; round < 30; round++) {
      const seed = (BASE_SEED + round) >>> 0;
      const rnd = lcg(seed);
      const stream = new Stream(seed);
      const queue = new WriteQueue();
      const ticks = async (n: number) => {
        for (let i = 0; i < n; i++) await Promise.resolve();
      };
      // Deno's conn.write(): resolves later with how much it took, at least one byte.
      const write = async (out: Uint8Array) => {
        await ticks(rnd(4));
        return 1 + rnd(out.length);
      };
      let writing: Promise<void> | null = null;
      const pump = async () => {
        for (let out = queue.next(); out; out = queue.next()) {
          const n = await write(out);
          stream.take(out, n);
          queue.wrote(n);
          stream.check(queue);
        }
        writing = null;
      };
      for (let step = 0; step < 40; step++) {
        queue.push(Array.from({ length: rnd(5) + 1 }, () => stream.chunk(SIZES[rnd(SIZES.length)])));
        stream.check(queue);
        writing ??= pump();
        await ticks(rnd(8));
      }
      while (writing) await writing;
      expect(stream.taken, `seed ${seed}`).toBe(stream.pushed);
      expect(listOf(queue), `seed ${seed}: an idle queue holds nothing`).toBeNull();
    }
  });
});

describe("what each write is", () => {
  it("hands out a large chunk by reference, and the rest of a partial write as a view of it", () => {
    const queue = new WriteQueue();
    const small = new Uint8Array(100);
    const large = new Uint8Array(WRITE_ALONE);
    queue.push([small, large, new Uint8Array(10)]);
    expect(queue.next()).toBe(small);
    queue.wrote(small.length);
    expect(queue.next()).toBe(large);
    queue.wrote(1000);
    const rest = queue.next()!;
    expect(rest.buffer).toBe(large.buffer);
    expect([rest.byteOffset, rest.length]).toEqual([1000, WRITE_ALONE - 1000]);
    expect(queue.bufferedAmount).toBe(WRITE_ALONE - 1000 + 10);
  });

  it("joins small neighbours into one write of up to JOIN_MAX bytes, in order", () => {
    const queue = new WriteQueue();
    const chunks = Array.from({ length: 20 }, (_, i) => new Uint8Array(16 * 1024).fill(i));
    queue.push(chunks);
    const first = queue.next()!;
    expect(first.length).toBe(JOIN_MAX);
    for (let i = 0; i < 16; i++) expect(first[i * 16 * 1024]).toBe(i);
    queue.wrote(first.length);
    const second = queue.next()!;
    expect(second.length).toBe(4 * 16 * 1024);
    expect(second[0]).toBe(16);
  });

  it("does not join across a large chunk", () => {
    const queue = new WriteQueue();
    const a = new Uint8Array(10);
    const large = new Uint8Array(WRITE_ALONE + 1);
    const b = new Uint8Array(10);
    queue.push([a, large, b]);
    expect(queue.next()).toBe(a);
    queue.wrote(10);
    expect(queue.next()).toBe(large);
    queue.wrote(large.length);
    expect(queue.next()).toBe(b);
  });

  it("keeps nothing for empty chunks", () => {
    const queue = new WriteQueue();
    queue.push([new Uint8Array(0)]);
    expect(queue.next()).toBeNull();
    expect(listOf(queue)).toBeNull();
  });
});

describe("the queue's memory", () => {
  const smalls = (fill: number) => Array.from({ length: 8 }, () => new Uint8Array(1000).fill(fill));
  // Empties the shared pool (at most 8 buffers, none over 16 MiB: each take may have any of them),
  // so what a join gets back is what these tests gave it.
  const drainPool = () => {
    for (let i = 0; i < 8; i++) take(1, 8 << 20);
  };

  it("reuses a join's buffer once all of it is written, and not while part of it waits", () => {
    drainPool();
    const queue = new WriteQueue();
    queue.push(smalls(1));
    const first = queue.next()!;
    queue.wrote(3000);
    // The rest of the first join is still to go: a new join must not take its buffer.
    queue.push(smalls(2));
    const rest = queue.next()!;
    expect(rest.buffer).toBe(first.buffer);
    const other = new WriteQueue();
    other.push(smalls(3));
    const otherJoin = other.next()!;
    expect(otherJoin.buffer).not.toBe(first.buffer);
    expect(rest.every((b) => b === 1)).toBe(true);
    queue.wrote(rest.length);
    // Written out: the next join of about the same size gets it back.
    const again = queue.next()!;
    expect(again.buffer).toBe(first.buffer);
    expect(again.every((b) => b === 2)).toBe(true);
  });

  it("never reuses a join still being written when the queue is cleared", () => {
    drainPool();
    const queue = new WriteQueue();
    queue.push(smalls(4));
    const inFlight = queue.next()!;
    queue.clear();
    const other = new WriteQueue();
    other.push(smalls(5));
    expect(other.next()!.buffer).not.toBe(inFlight.buffer);
    expect(inFlight.every((b) => b === 4)).toBe(true);
  });

  it("compacts a long queue: its array stays within twice what waits, or COMPACT_MIN more", () => {
    // Views of one buffer, each a large write of its own, so that no two are joined.
    const backing = new Uint8Array(WRITE_ALONE + 1000);
    const views = Array.from({ length: 1000 }, (_, i) => backing.subarray(i, i + WRITE_ALONE));
    const queue = new WriteQueue();
    queue.push(views);
    let spliced = false;
    for (let i = 0; i < views.length; i++) {
      expect(queue.next()).toBe(views[i]);
      queue.wrote(WRITE_ALONE);
      const waiting = views.length - 1 - i;
      const list = listOf(queue);
      if (waiting === 0) break;
      expect(list!.length).toBeLessThanOrEqual(Math.max(2 * waiting, waiting + COMPACT_MIN));
      spliced ||= list!.length < views.length;
    }
    expect(spliced).toBe(true);
    expect(listOf(queue)).toBeNull();
  });

  it("lets a write that completes after clear() change nothing", () => {
    const queue = new WriteQueue();
    queue.push([new Uint8Array(10), new Uint8Array(20)]);
    const out = queue.next()!;
    queue.clear();
    queue.wrote(out.length);
    expect(queue.bufferedAmount).toBe(0);
    expect(queue.next()).toBeNull();
  });
});
