// Our INFLATE (assembly/inflate.ts) against node:zlib's DEFLATE: every level, window, memory level
// and strategy, fed in random pieces with random output limits; and random or mutated input, which
// must end in data or an error, never a trap or a hang.
import { constants, deflateRawSync } from "node:zlib";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createCore } from "../host-core/inline.ts";
import { sample } from "./helpers/samples.ts";

const core = createCore();
const e = core.exports;
const states = new Map<number, number>();
function state(bits: number): number {
  let st = states.get(bits);
  if (st === undefined) {
    st = e.inflateAlloc(bits) >>> 0;
    states.set(bits, st);
    core.refresh();
  }
  e.inflateInit(st, bits);
  return st;
}

/** Inflates `data` fed in pieces of `pieces` sizes (cycled), with per-run output limits `limits`. */
function inflate(
  data: Uint8Array,
  pieces: number[] = [data.length || 1],
  limits: number[] = [1 << 20],
  bits = 15,
) {
  const st = state(bits);
  const out: Uint8Array[] = [];
  let runs = 0;
  for (let off = 0, p = 0; off < data.length; p++) {
    const n = Math.min(pieces[p % pieces.length] || 1, data.length - off, 65536);
    core.u8.set(data.subarray(off, off + n), core.inputPtr);
    off += n;
    e.inflateInput(st, core.inputPtr, n);
    for (;;) {
      const status = e.inflateRun(st, limits[runs++ % limits.length] || 1);
      const ptr = e.inflateOutPtr(st) >>> 0;
      out.push(core.u8.slice(ptr, ptr + e.inflateOutLen(st)));
      if (status === -1) return { error: true, data: Buffer.concat(out) };
      if (status === 2) return { end: true, data: Buffer.concat(out) };
      if (status === 0) break;
      if (runs > 10_000_000) throw new Error("no progress");
    }
  }
  return { data: Buffer.concat(out), boundary: e.inflateAtBoundary(st) !== 0 };
}

const strategies = [
  constants.Z_DEFAULT_STRATEGY,
  constants.Z_FILTERED,
  constants.Z_HUFFMAN_ONLY,
  constants.Z_RLE,
  constants.Z_FIXED,
];

describe("INFLATE (RFC 1951) against node:zlib", () => {
  it("the RFC 7692 7.2.3.1 example: 'Hello' plus the flush tail", () => {
    expect(inflate(Buffer.from("f248cdc9c90700 0000ffff".replace(" ", ""), "hex"))).toEqual({
      data: Buffer.from("Hello"),
      boundary: true,
    });
    // 7.2.3.3: the same with a stored block.
    expect(
      inflate(Buffer.from("0005 00faff48656c6c6f 000000ffff".replace(/ /g, ""), "hex")).data.toString(),
    ).toBe("Hello");
  });

  it("every level, window, memory level and strategy, any pieces, any output limits", () => {
    fc.assert(
      fc.property(
        fc.record({
          kind: fc.integer({ min: 0, max: 3 }),
          size: fc.integer({ min: 0, max: 200_000 }),
          seed: fc.integer(),
          level: fc.integer({ min: 0, max: 9 }),
          windowBits: fc.integer({ min: 9, max: 15 }),
          memLevel: fc.integer({ min: 1, max: 9 }),
          strategy: fc.constantFrom(...strategies),
          final: fc.boolean(),
          pieces: fc.array(fc.integer({ min: 1, max: 70000 }), { minLength: 1, maxLength: 5 }),
          limits: fc.array(fc.integer({ min: 1, max: 40000 }), { minLength: 1, maxLength: 5 }),
        }),
        (c) => {
          const input = sample(c.kind, c.size, c.seed);
          const compressed = deflateRawSync(input, {
            level: c.level,
            windowBits: c.windowBits,
            memLevel: c.memLevel,
            strategy: c.strategy,
            finishFlush: c.final ? constants.Z_FINISH : constants.Z_SYNC_FLUSH,
          });
          const r = inflate(compressed, c.pieces, c.limits);
          expect(r.error).toBeUndefined();
          expect(r.data.equals(input)).toBe(true);
          if (c.final) expect(r.end).toBe(true);
          else expect(r.boundary).toBe(true);
        },
      ),
      { numRuns: 150 },
    );
  });

  it("far references across the ring's wrap, with the window kept across calls", () => {
    // 20,000 random bytes five times: every repeat is one long match reaching 20,000 back, across
    // the 32 KiB ring's end.
    const block = sample(0, 20000, 11);
    const input = Buffer.concat([block, block, block, block, block]);
    for (const pieces of [[65536], [4096], [7, 1000]]) {
      const r = inflate(
        deflateRawSync(input, { finishFlush: constants.Z_SYNC_FLUSH }),
        pieces,
        [5000, 32768],
      );
      expect(r.data.equals(input)).toBe(true);
    }
  });

  it("two streams interleaved in neighbouring states do not disturb each other", () => {
    // Allocated one after the other: a write past the first ring would land in the second state.
    const a = e.inflateAlloc(9) >>> 0;
    const b = e.inflateAlloc(9) >>> 0;
    core.refresh();
    const x = sample(3, 30000, 21);
    const y = sample(2, 30000, 22);
    const zx = deflateRawSync(x, { windowBits: 9, finishFlush: constants.Z_SYNC_FLUSH });
    const zy = deflateRawSync(y, { windowBits: 9, finishFlush: constants.Z_SYNC_FLUSH });
    const outs = new Map<number, Buffer[]>([
      [a, []],
      [b, []],
    ]);
    const feed = (st: number, data: Buffer) => {
      core.u8.set(data, core.inputPtr);
      e.inflateInput(st, core.inputPtr, data.length);
      for (let status = 1; status === 1; ) {
        status = e.inflateRun(st, 1 << 20);
        expect(status).not.toBe(-1);
        const ptr = e.inflateOutPtr(st) >>> 0;
        outs.get(st)!.push(Buffer.from(core.u8.slice(ptr, ptr + e.inflateOutLen(st))));
      }
    };
    for (let off = 0; off < Math.max(zx.length, zy.length); off += 1000) {
      if (off < zy.length) feed(b, zy.subarray(off, off + 1000));
      if (off < zx.length) feed(a, zx.subarray(off, off + 1000));
    }
    expect(Buffer.concat(outs.get(a)!).equals(x)).toBe(true);
    expect(Buffer.concat(outs.get(b)!).equals(y)).toBe(true);
  });

  it("writes nothing past the bytes it produces (the rest of the ring is window)", () => {
    const st = state(15);
    const input = Buffer.from("abcdefghij".repeat(2000));
    const z = deflateRawSync(input, { finishFlush: constants.Z_SYNC_FLUSH });
    core.u8.set(z, core.inputPtr);
    e.inflateInput(st, core.inputPtr, z.length);
    // The first run's segment starts at the ring's start; mark the ring beyond the output.
    e.inflateRun(st, 0);
    const ring = e.inflateOutPtr(st) >>> 0;
    core.u8.fill(0xaa, ring, ring + 32768);
    let produced = 0;
    for (let status = 1; status === 1; ) {
      status = e.inflateRun(st, 1 << 20);
      produced += e.inflateOutLen(st);
    }
    expect(produced).toBe(input.length);
    expect(core.u8.subarray(ring + produced, ring + 32768).every((b) => b === 0xaa)).toBe(true);
  });

  it("one byte at a time, one output byte per run", () => {
    const input = sample(3, 5000, 9);
    const r = inflate(deflateRawSync(input, { finishFlush: constants.Z_SYNC_FLUSH }), [1], [1]);
    expect(r.data.equals(input)).toBe(true);
  });

  it("random and mutated streams end in data or an error, never a trap or a hang", () => {
    const valid = deflateRawSync(sample(2, 20000, 3), { finishFlush: constants.Z_SYNC_FLUSH });
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 0, maxLength: 3000 }),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }),
        fc.array(fc.integer({ min: 1, max: 500 }), { minLength: 1, maxLength: 3 }),
        (random, flips, pieces) => {
          inflate(random, pieces, [997], 9);
          const mutated = Buffer.from(valid);
          for (const [at, v] of flips) mutated[at % mutated.length] = v;
          const r = inflate(mutated, pieces, [4096]);
          expect(r.error || r.end || r.boundary !== undefined).toBe(true);
        },
      ),
      { numRuns: 500 },
    );
  });

  it("refuses a distance reaching before the stream's start", () => {
    // Compressed against a preset dictionary, as a message with context takeover is: alone, it
    // refers to bytes the decoder never saw.
    const text = sample(3, 20000, 4);
    const alone = deflateRawSync(text, { finishFlush: constants.Z_SYNC_FLUSH });
    const withContext = deflateRawSync(text, { dictionary: text, finishFlush: constants.Z_SYNC_FLUSH });
    expect(inflate(alone).data.equals(text)).toBe(true);
    expect(withContext.length).toBeLessThan(alone.length / 10);
    expect(inflate(withContext).error).toBe(true);
  });

  it("refuses malformed blocks (3.2.3-3.2.7)", () => {
    const bad = [
      "07", // BTYPE 3
      "01 0500 fbff", // stored LEN 5 with an NLEN that is not its complement (fffa)
      "fd ff ff", // dynamic: HLIT 257 + 31 = 288 > 286
      "1b 03 00", // fixed: literal/length code 286 (11000110)
      "03 02 00", // fixed: length 3 at distance 1, before any byte was written
    ];
    for (const hex of bad) expect(inflate(Buffer.from(hex.replace(/ /g, ""), "hex")).error, hex).toBe(true);
  });
});
