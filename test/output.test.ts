// host-core's Output: what a connection queues between takes. Random mixes of copied bytes, large
// payloads by reference and shared frames (contiguous in an arena, or not) must come out whole and
// in order with pending exact, and contiguous shared frames as one view of their arena.
import { describe, expect, it } from "vitest";
import { Output } from "../host-core/output.ts";

const SEED = Number(process.env.OUTPUT_SEED) || Math.floor(Math.random() * 2 ** 32);

/** A 32-bit LCG (Numerical Recipes' constants); rnd(n) is in 0..n-1. */
function lcg(seed: number): (n: number) => number {
  let s = seed >>> 0;
  return (n) => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return Math.floor((s / 2 ** 32) * n);
  };
}

/** Hands out consecutive stream bytes, in fresh buffers or carved from arenas as frameOnce does. */
class Source {
  next = 0;
  private arena = new Uint8Array(0);
  private used = 0;

  fresh(len: number): Uint8Array {
    return this.fill(new Uint8Array(len));
  }

  /** An arena frame; `gap` leaves bytes unused before it, breaking the run. */
  carve(len: number, gap = 0): Uint8Array {
    if (this.used + gap + len > this.arena.length) {
      this.arena = new Uint8Array(4096);
      this.used = 0;
    }
    this.used += gap;
    const frame = this.arena.subarray(this.used, this.used + len);
    this.used += len;
    return this.fill(frame);
  }

  private fill(b: Uint8Array): Uint8Array {
    for (let i = 0; i < b.length; i++) b[i] = this.next++ & 0xff;
    return b;
  }
}

describe(`Output (OUTPUT_SEED=${SEED})`, () => {
  it("keeps every byte in order across copy, ref and share, with pending exact", () => {
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
        else out.share(src.carve(2 + rnd(300), kind === 3 ? 1 + rnd(4) : 0));
      }
      expect(out.pending).toBe(src.next - from);
      const got = Buffer.concat(out.take());
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
    out.share(first);
    for (let i = 0; i < 9; i++) out.share(src.carve(66));
    const [run] = out.take();
    expect(run.buffer).toBe(first.buffer);
    expect([run.byteOffset, run.length]).toEqual([first.byteOffset, 660]);

    const a = src.carve(10, 1);
    out.share(a);
    const b = src.carve(10, 1);
    out.share(b);
    const c = src.carve(10, 1);
    out.share(c);
    const chunks = out.take();
    expect(chunks).toHaveLength(3);
    expect(chunks[0].buffer).toBe(a.buffer);
    expect(chunks[1].buffer).toBe(b.buffer);
    // The third run is copied into a batch of the output's own.
    expect(chunks[2].buffer).not.toBe(c.buffer);
    expect(Buffer.from(chunks[2])).toEqual(Buffer.from(c));
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
});
