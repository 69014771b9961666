// host-core's Output: what a connection queues between takes. Random mixes of copied bytes, large
// payloads by reference and shared frames (contiguous in an arena, or not) must come out whole and
// in order with pending exact, and contiguous shared frames as one view of their arena.
import { describe, expect, it, vi } from "vitest";
import { Output, unlend } from "../host-core/output.ts";

const SEED = Number(process.env.OUTPUT_SEED) || Math.floor(Math.random() * 2 ** 32);

/** A 32-bit LCG (Numerical Recipes' constants); rnd(n) is in 0..n-1. */
function lcg(seed: number): (n: number) => number {
  let s = seed >>> 0;
  return (n) => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return Math.floor((s / 2 ** 32) * n);
  };
}

interface Carved {
  arena: Uint8Array;
  at: number;
  frame: Uint8Array;
}

const share = (out: Output, c: Carved) => out.share(c.arena, c.at, c.frame.length);

/** Hands out consecutive stream bytes, in fresh buffers or carved from arenas as frameOnce does. */
class Source {
  next = 0;
  private arena = new Uint8Array(0);
  private used = 0;

  fresh(len: number): Uint8Array {
    return this.fill(new Uint8Array(len));
  }

  /** An arena frame, as frameOnce lays them out; `gap` leaves bytes unused before it, breaking the run. */
  carve(len: number, gap = 0): Carved {
    if (this.used + gap + len > this.arena.length) {
      this.arena = new Uint8Array(4096);
      this.used = 0;
    }
    this.used += gap;
    const at = this.used;
    this.used += len;
    return { arena: this.arena, at, frame: this.fill(this.arena.subarray(at, at + len)) };
  }

  private fill(b: Uint8Array): Uint8Array {
    for (let i = 0; i < b.length; i++) b[i] = this.next++ & 0xff;
    return b;
  }
}

describe(`Output (OUTPUT_SEED=${SEED})`, () => {
  it("keeps every byte in order across copy, ref and share, with pending exact, taken or lent", () => {
    const rnd = lcg(SEED);
    const out = new Output();
    const src = new Source();
    for (let take = 0; take < 500; take++) {
      const from = src.next;
      for (let ops = rnd(16); ops > 0; ops--) {
        const kind = rnd(4);
        if (kind === 0) {
          const b = src.fresh(1 + rnd(3000));
          out.copy(b, 0, b.length);
        } else if (kind === 1) out.ref(src.fresh(1 + rnd(40000)));
        else share(out, src.carve(2 + rnd(300), kind === 3 ? 1 + rnd(4) : 0));
      }
      expect(out.pending).toBe(src.next - from);
      const lent = rnd(2) === 1;
      const chunks = lent ? out.lend() : out.take();
      const got = Buffer.concat(chunks);
      if (lent) unlend(chunks);
      expect(out.pending).toBe(0);
      expect(got.length).toBe(src.next - from);
      for (let i = 0; i < got.length; i++)
        if (got[i] !== ((from + i) & 0xff)) expect.fail(`byte ${from + i}`);
    }
  });

  it("writes unmasked headers for every length boundary of RFC 6455 5.2", () => {
    const cases: [number, string][] = [
      [0, "8200"],
      [125, "827d"],
      [126, "827e007e"],
      [65535, "827effff"],
      [65536, "827f0000000000010000"],
      [2 ** 32 - 1, "827f00000000ffffffff"],
      [2 ** 32 + 5, "827f0000000100000005"],
      [2 ** 53 - 1, "827f001fffffffffffff"],
    ];
    for (const [len, hex] of cases) {
      const out = new Output();
      out.header(0x82, len);
      expect([len, Buffer.concat(out.take()).toString("hex")]).toEqual([len, hex]);
    }
  });

  it("queues contiguous shared frames as one view of their buffer, and copies past two runs", () => {
    const src = new Source();
    const out = new Output();
    const first = src.carve(66);
    share(out, first);
    for (let i = 0; i < 9; i++) share(out, src.carve(66));
    const [run] = out.take();
    expect(run.buffer).toBe(first.frame.buffer);
    expect([run.byteOffset, run.length]).toEqual([first.frame.byteOffset, 660]);

    const a = src.carve(10, 1);
    share(out, a);
    const b = src.carve(10, 1);
    share(out, b);
    const c = src.carve(10, 1);
    share(out, c);
    const chunks = out.take();
    expect(chunks).toHaveLength(3);
    expect(chunks[0].buffer).toBe(a.frame.buffer);
    expect(chunks[1].buffer).toBe(b.frame.buffer);
    // The third run is copied into a batch of the output's own.
    expect(chunks[2].buffer).not.toBe(c.frame.buffer);
    expect(Buffer.from(chunks[2])).toEqual(Buffer.from(c.frame));
  });

  it("gives connections that queued the same run one view of it, and another run a view of its own", () => {
    const src = new Source();
    const frames = Array.from({ length: 4 }, () => src.carve(66));
    const outputs = Array.from({ length: 3 }, () => new Output());
    for (const out of outputs) for (const f of frames) share(out, f);
    const runs = outputs.map((out) => out.take());
    for (const chunks of runs) expect(chunks).toEqual([runs[0][0]]);
    expect(runs[1][0]).toBe(runs[0][0]);
    expect(runs[2][0]).toBe(runs[0][0]);
    expect(Buffer.from(runs[0][0])).toEqual(Buffer.concat(frames.map((f) => f.frame)));

    const shorter = new Output();
    for (const f of frames.slice(0, 3)) share(shorter, f);
    const [part] = shorter.take();
    expect(part).not.toBe(runs[0][0]);
    expect(Buffer.from(part)).toEqual(Buffer.concat(frames.slice(0, 3).map((f) => f.frame)));
  });

  it("gives two connections that queued the same two runs (the arena filled) the same two views", () => {
    const src = new Source();
    // The last frame of an arena, and the first of the next.
    let before = src.carve(66);
    let after = src.carve(66);
    while (after.arena === before.arena) [before, after] = [after, src.carve(66)];
    const outputs = Array.from({ length: 3 }, () => new Output());
    for (const out of outputs) {
      share(out, before);
      share(out, after);
    }
    const [a, b, c] = outputs.map((out) => out.take());
    expect(a).toHaveLength(2);
    expect(b[0]).toBe(a[0]);
    expect(b[1]).toBe(a[1]);
    expect(c[0]).toBe(a[0]);
    expect(c[1]).toBe(a[1]);
    expect(Buffer.concat(a)).toEqual(Buffer.concat([before.frame, after.frame]));
  });

  it("lends takes of one or two chunks in arrays it reuses, emptied once written, and others in new ones", () => {
    const src = new Source();
    const outputs = Array.from({ length: 2 }, () => new Output());
    const ones = outputs.map((out) => {
      share(out, src.carve(10, 1));
      const lent = out.lend();
      const copy = [...lent];
      unlend(lent);
      return { lent, copy };
    });
    expect(ones[1].lent).toBe(ones[0].lent);
    expect(ones[0].copy).toHaveLength(1);
    expect(ones[0].copy[0]).not.toBe(ones[1].copy[0]);
    // Written, it pins no buffer.
    expect(ones[0].lent.map((c) => c.length)).toEqual([0]);

    const [one, two] = outputs;
    share(two, src.carve(10, 1));
    share(two, src.carve(10, 1));
    const pair = two.lend();
    expect(pair.map((c) => c.length)).toEqual([10, 10]);
    unlend(pair);
    expect(pair.map((c) => c.length)).toEqual([0, 0]);
    share(two, src.carve(10, 1));
    share(two, src.carve(10, 1));
    const again = two.lend();
    expect(again).toBe(pair);
    unlend(again);

    // A lend while another is out (a write that flushed another connection) gets its own array.
    share(one, src.carve(10, 1));
    const outer = one.lend();
    share(two, src.carve(10, 1));
    const inner = two.lend();
    expect(inner).not.toBe(outer);
    unlend(inner);
    expect(outer.map((c) => c.length)).toEqual([10]);
    unlend(outer);

    for (let i = 0; i < 3; i++) one.ref(src.fresh(5));
    const three = one.lend();
    expect(three.map((c) => c.length)).toEqual([5, 5, 5]);
    unlend(three);
    expect(three.map((c) => c.length)).toEqual([5, 5, 5]);
    expect(one.lend()).toEqual([]);
  });

  it("queues a lone close frame as a copy of its own size, and one after other frames in their batch", () => {
    const close = Uint8Array.from([0x88, 0x02, 0x03, 0xe8]);
    const out = new Output();
    out.copyLast(close, 0, 4);
    expect(out.pending).toBe(4);
    const [alone, ...none] = out.take();
    expect(none).toHaveLength(0);
    expect([alone.byteLength, alone.buffer.byteLength]).toEqual([4, 4]);
    expect(Buffer.from(alone)).toEqual(Buffer.from(close));

    out.header(0x81, 2);
    out.copy(Uint8Array.from([0x68, 0x69]), 0, 2);
    out.copyLast(close, 0, 4);
    const chunks = out.take();
    expect(chunks).toHaveLength(1);
    expect(Buffer.from(chunks[0]).toString("hex")).toBe("81026869" + "880203e8");
  });

  it("queues the usual lone close frames (1000, 1001, no code) as one shared copy each, others as their own", () => {
    const lone = (bytes: number[]) => {
      const out = new Output();
      // Within a larger source, as the core's send region is.
      const src = Uint8Array.from([0, ...bytes, 0]);
      out.copyLast(src, 1, bytes.length);
      src.fill(0);
      const chunks = out.take();
      expect(chunks).toHaveLength(1);
      expect([...chunks[0]]).toEqual(bytes);
      return chunks[0];
    };
    for (const frame of [
      [0x88, 0x02, 0x03, 0xe8],
      [0x88, 0x02, 0x03, 0xe9],
      [0x88, 0x00],
    ])
      expect(lone(frame)).toBe(lone(frame));
    for (const frame of [
      [0x88, 0x02, 0x0b, 0xb8],
      [0x88, 0x04, 0x03, 0xe8, 0x68, 0x69],
      [0x88, 0x82, 1, 2, 3, 4],
    ])
      expect(lone(frame)).not.toBe(lone(frame));
  });

  // A take's batch is sized by what the last take copied: payloads by reference are not in it.
  it("after echoes of large payloads by reference, makes the next batch for their headers only", () => {
    const out = new Output();
    const payload = new Uint8Array(16 * 1024);
    for (let i = 0; i < 4; i++) {
      out.header(0x82, payload.length);
      out.ref(payload);
    }
    expect(out.take()[0].buffer.byteLength).toBeLessThan(16 * 1024);
    out.header(0x82, payload.length);
    out.ref(payload);
    const [header, body] = out.take();
    expect([header.length, body]).toEqual([4, payload]);
    expect(header.buffer.byteLength).toBeLessThan(16 * 1024);
  });

  // A fan-out subscriber's takes are shared runs, and frames past two runs are copied one by one.
  it("keeps the batch size through a take that copied nothing", () => {
    const out = new Output();
    const frame = new Uint8Array(66).fill(7);
    const copies = () => {
      for (let i = 0; i < 100; i++) out.copy(frame, 0, frame.length);
    };
    copies();
    out.take();
    const arena = new Uint8Array(1024);
    out.share(arena, 0, 512);
    expect(out.take()).toEqual([arena.subarray(0, 512)]);
    copies();
    const chunks = out.take();
    expect(chunks.map((c) => c.length)).toEqual([6600]);
  });
});

// Deno's Buffer is a JavaScript subclass of Uint8Array that zero-fills anyway and costs more to make.
it("allocates Buffers where Node's or Bun's Buffer is, plain Uint8Arrays under Deno", async () => {
  const { allocate } = await import("../host-core/output.ts");
  expect(allocate(16) instanceof Buffer).toBe(true);
  vi.resetModules();
  (globalThis as { Deno?: unknown }).Deno = {};
  try {
    const deno = await import("../host-core/output.ts");
    expect(deno.allocate(16).constructor).toBe(Uint8Array);
  } finally {
    delete (globalThis as { Deno?: unknown }).Deno;
    vi.resetModules();
  }
});
