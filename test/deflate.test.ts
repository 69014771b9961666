// Our DEFLATE (assembly/deflate.ts) inflated by node:zlib, byte for byte: every level and window,
// structured and random data in random pieces, messages with and without context takeover; no
// block ever has BFINAL set, and the output stays within deflateBound.
import { constants, createInflateRaw, inflateRawSync } from "node:zlib";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createCore } from "../host-core/inline.ts";
import { sample } from "./helpers/samples.ts";

const core = createCore();
const e = core.exports;
const TAIL = Buffer.from([0, 0, 0xff, 0xff]);
const states = new Map<string, number>();

function state(bits: number, level: number): number {
  const key = `${bits}/${level}`;
  let st = states.get(key);
  if (st === undefined) {
    st = e.deflateAlloc(bits, level) >>> 0;
    states.set(key, st);
  }
  core.refresh();
  return st;
}

// The output region: after the input region's 64 KiB piece, inside the core's memory.
let out = 0;
function outPtr(): number {
  if (out === 0) {
    out = e.deflateAlloc(15, 1) >>> 0;
    core.refresh();
  }
  return out;
}

/** One message through st in pieces; the compressed bytes. */
function compress(st: number, data: Uint8Array, pieces: number[] = [65536]): Buffer {
  const parts: Buffer[] = [];
  const dst = outPtr();
  let p = 0;
  let off = 0;
  do {
    const n = Math.min(Math.max(1, pieces[p++ % pieces.length]), 65536, data.length - off);
    core.u8.set(data.subarray(off, off + n), core.inputPtr);
    off += n;
    const w = e.deflateChunk(st, core.inputPtr, n, dst, off === data.length ? 1 : 0);
    if (w > e.deflateBound(n)) throw new Error(`${w} bytes for a piece of ${n}`);
    parts.push(Buffer.from(core.u8.slice(dst, dst + w)));
  } while (off < data.length);
  return Buffer.concat(parts);
}

/** 3.2.3: walks the block headers with a bit reader; true when one has BFINAL. */
function hasFinalBlock(data: Buffer): boolean {
  // Inflating with a stream stops at a final block; a sync-flushed stream never ends.
  const inflated = inflateRawSync(Buffer.concat([data, TAIL]), {
    finishFlush: constants.Z_SYNC_FLUSH,
    info: true,
  }) as unknown as {
    engine: { bytesWritten: number };
  };
  return inflated.engine.bytesWritten < data.length + 4;
}

describe("DEFLATE (RFC 1951) inflated by node:zlib", () => {
  it("an empty message is the single byte 00 (RFC 7692 7.2.3.6)", () => {
    const st = state(15, 1);
    e.deflateForget(st);
    expect(compress(st, new Uint8Array(0)).toString("hex")).toBe("00");
  });

  it("every level and window, any data, any pieces", () => {
    fc.assert(
      fc.property(
        fc.record({
          kind: fc.integer({ min: 0, max: 3 }),
          size: fc.integer({ min: 0, max: 150_000 }),
          seed: fc.integer(),
          level: fc.integer({ min: 1, max: 9 }),
          bits: fc.integer({ min: 8, max: 15 }),
          pieces: fc.array(fc.integer({ min: 1, max: 65536 }), { minLength: 1, maxLength: 4 }),
        }),
        (c) => {
          const input = sample(c.kind, c.size, c.seed);
          const st = state(c.bits, c.level);
          e.deflateForget(st);
          const z = compress(st, input, c.pieces);
          // zlib cannot inflate raw with an 8-bit window: 9 accepts every distance up to 256.
          const got = inflateRawSync(Buffer.concat([z, TAIL]), {
            windowBits: Math.max(9, c.bits),
            finishFlush: constants.Z_SYNC_FLUSH,
          });
          expect(got.equals(input)).toBe(true);
          expect(hasFinalBlock(z)).toBe(false);
          // Random bytes are stored: a few bytes per block.
          if (c.kind === 0) expect(z.length).toBeLessThan(input.length + 64 + (input.length >> 9));
        },
      ),
      { numRuns: 120 },
    );
  });

  it("compresses like zlib: within 10% of level 1, near level 6 at the better level", async () => {
    const { deflateRawSync } = await import("node:zlib");
    for (const kind of [2, 3]) {
      const input = sample(kind, 1 << 20, 5);
      const st1 = state(15, 1);
      e.deflateForget(st1);
      const ours1 = compress(st1, input).length;
      const st6 = state(15, 6);
      e.deflateForget(st6);
      const ours6 = compress(st6, input).length;
      const z1 = deflateRawSync(input, { level: 1 }).length;
      const z6 = deflateRawSync(input, { level: 6 }).length;
      expect(ours1 / z1, `kind ${kind}: level 1 ${ours1} vs ${z1}`).toBeLessThan(1.1);
      expect(ours6 / z6, `kind ${kind}: level 6 ${ours6} vs ${z6}`).toBeLessThan(1.1);
    }
  });

  it("with context takeover a message refers to earlier ones, and one inflate stream reads them all", async () => {
    const st = state(15, 1);
    e.deflateInit(st, 15, 1);
    const messages = [
      sample(3, 5000, 1),
      sample(3, 5000, 1),
      sample(2, 3000, 2),
      Buffer.alloc(0),
      sample(3, 5000, 1),
    ];
    const compressed = messages.map((m) => compress(st, m));
    expect(compressed[1].length).toBeLessThan(compressed[0].length / 5);
    // One inflate stream, fed message by message, as a peer with context takeover reads them.
    const stream = createInflateRaw();
    const chunks: Buffer[] = [];
    stream.on("data", (d: Buffer) => chunks.push(d));
    for (const c of compressed) {
      stream.write(Buffer.concat([c, TAIL]));
      await new Promise<void>((resolve) => stream.flush(constants.Z_SYNC_FLUSH, () => resolve()));
    }
    expect(Buffer.concat(chunks).equals(Buffer.concat(messages))).toBe(true);
  });
});
