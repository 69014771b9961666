// The compressor (assembly/deflate.ts) against node:zlib's inflater and a small checking inflater of
// our own that also reports every block header and the largest distance (RFC 1951 3.2.3, 3.2.5).
import { promisify } from "node:util";
import zlib from "node:zlib";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { jsonLike, prose, randomBinary, seeded } from "../bench/deflate-data.ts";
import { DEFLATE_IN_CAP } from "../host-core/abi.ts";
import { createCore } from "../host-core/inline.ts";

fc.configureGlobal({ endOnFailure: true });

const TAIL = Uint8Array.of(0x00, 0x00, 0xff, 0xff); // RFC 7692 7.2.2: appended before inflating
const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

// ---- a checking inflater ----------------------------------------------------------------------

type Decoded = { out: Uint8Array; headers: { final: number; type: number }[]; maxDist: number };

/** Canonical decoding (3.2.2): symbols sorted by code length, then by value. */
class Code {
  counts = new Uint16Array(16);
  symbols: number[] = [];
  constructor(lengths: ArrayLike<number>) {
    for (let s = 0; s < lengths.length; s++) this.counts[lengths[s]]++;
    this.counts[0] = 0;
    for (let len = 1; len < 16; len++)
      for (let s = 0; s < lengths.length; s++) if (lengths[s] === len) this.symbols.push(s);
  }
}

/** Inflates a raw stream that may end at any block boundary (as a sync-flushed stream does). */
function inflateChecked(data: Uint8Array): Decoded {
  let bit = 0;
  const bits = (n: number): number => {
    let v = 0;
    for (let i = 0; i < n; i++, bit++) {
      if (bit >> 3 >= data.length) throw new Error("ran past the end of the input");
      v |= ((data[bit >> 3] >> (bit & 7)) & 1) << i;
    }
    return v;
  };
  const decode = (c: Code): number => {
    let code = 0;
    let first = 0;
    let index = 0;
    for (let len = 1; len < 16; len++) {
      code |= bits(1);
      const count = c.counts[len];
      if (code - first < count) return c.symbols[index + code - first];
      index += count;
      first = (first + count) << 1;
      code <<= 1;
    }
    throw new Error("invalid Huffman code");
  };
  const LBASE = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115];
  LBASE.push(131, 163, 195, 227, 258);
  const LEXTRA = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0];
  const DBASE: number[] = [];
  const DEXTRA: number[] = [];
  for (let c = 0, base = 1; c < 30; c++) {
    DBASE.push(base);
    DEXTRA.push(c < 4 ? 0 : (c - 2) >> 1);
    base += 1 << DEXTRA[c];
  }
  const fixedLit = new Code(
    Array.from({ length: 288 }, (_, s) => (s < 144 ? 8 : s < 256 ? 9 : s < 280 ? 7 : 8)),
  );
  const fixedDist = new Code(new Array(30).fill(5));
  const out: number[] = [];
  const headers: Decoded["headers"] = [];
  let maxDist = 0;
  while (bit < data.length * 8) {
    const final = bits(1);
    const type = bits(2);
    headers.push({ final, type });
    if (type === 0) {
      bit = (bit + 7) & ~7;
      const len = bits(16);
      if ((bits(16) ^ 0xffff) !== len) throw new Error("stored block NLEN mismatch");
      for (let i = 0; i < len; i++) out.push(bits(8));
      continue;
    }
    if (type === 3) throw new Error("reserved block type");
    let lit = fixedLit;
    let dist = fixedDist;
    if (type === 2) {
      const nlit = bits(5) + 257;
      const ndist = bits(5) + 1;
      const ncl = bits(4) + 4;
      const clLens = new Array(19).fill(0);
      const order = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15];
      for (let i = 0; i < ncl; i++) clLens[order[i]] = bits(3);
      const cl = new Code(clLens);
      const lens: number[] = [];
      while (lens.length < nlit + ndist) {
        const s = decode(cl);
        if (s < 16) lens.push(s);
        else if (s === 16) {
          if (lens.length === 0) throw new Error("repeat with no previous length");
          const prev = lens[lens.length - 1];
          for (let r = 3 + bits(2); r > 0; r--) lens.push(prev);
        } else for (let r = s === 17 ? 3 + bits(3) : 11 + bits(7); r > 0; r--) lens.push(0);
      }
      if (lens.length !== nlit + ndist) throw new Error("code lengths overrun");
      if (lens[256] === 0) throw new Error("no end-of-block code");
      for (const l of lens) if (l > 15) throw new Error("code longer than 15 bits");
      lit = new Code(lens.slice(0, nlit));
      dist = new Code(lens.slice(nlit));
    }
    for (;;) {
      const s = decode(lit);
      if (s < 256) out.push(s);
      else if (s === 256) break;
      else {
        const len = LBASE[s - 257] + bits(LEXTRA[s - 257]);
        const dc = decode(dist);
        const d = DBASE[dc] + bits(DEXTRA[dc]);
        if (d > out.length) throw new Error("distance before the start");
        maxDist = Math.max(maxDist, d);
        for (let i = 0; i < len; i++) out.push(out[out.length - d]);
      }
    }
  }
  return { out: Uint8Array.from(out), headers, maxDist };
}

/** Shuffled bytes with Fibonacci counts, for lopsided codes (3.2.2). */
function fibonacciBytes(seed: number): Uint8Array {
  const counts: number[] = [1, 1];
  while (counts.length < 24) counts.push(counts[counts.length - 1] + counts[counts.length - 2]);
  const out = Uint8Array.from(counts.flatMap((n, b) => new Array<number>(n).fill(b * 7)));
  const rand = seeded(seed);
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out.subarray(0, 65000);
}

// ---- driving the core -------------------------------------------------------------------------

describe.each(["simd", "scalar"] as const)("%s build", (build) => {
  const core = createCore(build);
  const e = core.exports;
  const inPtr = e.deflateInPtr();
  const outPtr = e.deflateOutPtr();
  const states = new Map<number, number>();
  core.refresh();

  /** One state per windowBits, allocated once (the stub runtime never frees). */
  function stateFor(windowBits: number): number {
    let st = states.get(windowBits);
    if (st === undefined) {
      st = e.deflateAlloc(windowBits);
      core.refresh();
      states.set(windowBits, st);
    }
    return st;
  }

  /** Compresses one message in pieces of the given sizes (cycled); checks each call against deflateBound. */
  function compressMessage(st: number, data: Uint8Array, pieces: number[] = [DEFLATE_IN_CAP]): Uint8Array {
    const parts: Uint8Array[] = [];
    let off = 0;
    let i = 0;
    do {
      const n = Math.min(pieces[i++ % pieces.length], data.length - off);
      core.u8.set(data.subarray(off, off + n), inPtr);
      off += n;
      const w = e.deflateChunk(st, inPtr, n, outPtr, off >= data.length ? 1 : 0);
      core.refresh();
      expect(w).toBeLessThanOrEqual(e.deflateBound(n));
      parts.push(core.u8.slice(outPtr, outPtr + w));
    } while (off < data.length);
    return new Uint8Array(Buffer.concat(parts));
  }

  function compress(data: Uint8Array, level: number, windowBits: number, pieces?: number[]): Uint8Array {
    const st = stateFor(windowBits);
    e.deflateInit(st, windowBits, level);
    return compressMessage(st, data, pieces);
  }

  /** node:zlib's inflater (it cannot do raw windowBits 8; 9 covers distances up to 256 too). */
  function zlibInflate(msg: Uint8Array, windowBits: number): Uint8Array {
    const stream = Buffer.concat([msg, TAIL]);
    return zlib.inflateRawSync(stream, {
      windowBits: Math.max(9, windowBits),
      finishFlush: zlib.constants.Z_SYNC_FLUSH,
    });
  }

  /** Everything a compressed message must satisfy. */
  function checkMessage(msg: Uint8Array, input: Uint8Array, windowBits: number): void {
    expect(Buffer.compare(zlibInflate(msg, windowBits), input)).toBe(0);
    const d = inflateChecked(Buffer.concat([msg, TAIL]));
    expect(Buffer.compare(d.out, input)).toBe(0);
    expect(d.headers.every((h) => h.final === 0)).toBe(true);
    expect(d.headers.at(-1)).toEqual({ final: 0, type: 0 }); // the sync flush's empty stored block
    expect(d.maxDist).toBeLessThanOrEqual(1 << windowBits);
  }

  describe("RFC 7692 7.2.3 examples", () => {
    it("7.2.3.1: 'Hello' is f2 48 cd c9 c9 07 00 at every level", () => {
      for (let level = 1; level <= 9; level++)
        expect(hex(compress(new TextEncoder().encode("Hello"), level, 15))).toBe("f248cdc9c90700");
    });

    it("7.2.3.2: a second 'Hello' with the window kept (02 13 00 00) inflates on the same stream", async () => {
      const st = stateFor(15);
      e.deflateInit(st, 15, 1);
      const hello = new TextEncoder().encode("Hello");
      const first = compressMessage(st, hello);
      const second = compressMessage(st, hello);
      expect(hex(second)).toBe("02130000");
      const out = zlib.inflateRawSync(Buffer.concat([first, TAIL, second, TAIL]), {
        finishFlush: zlib.constants.Z_SYNC_FLUSH,
      });
      expect(out.toString()).toBe("HelloHello");
    });

    it("7.2.3.6: an empty message is the single byte 00", () => {
      for (const level of [1, 6, 9]) expect(hex(compress(new Uint8Array(0), level, 15))).toBe("00");
    });

    it("7.2.1: pieces held back until the flush; the flush's 00 00 ff ff is removed", () => {
      const st = stateFor(15);
      e.deflateInit(st, 15, 6);
      const hello = new TextEncoder().encode("Hello");
      core.u8.set(hello, inPtr);
      expect(e.deflateChunk(st, inPtr, 3, outPtr, 0)).toBe(0);
      expect(e.deflateChunk(st, inPtr + 3, 2, outPtr, 1)).toBe(7);
      expect(hex(core.u8.subarray(outPtr, outPtr + 7))).toBe("f248cdc9c90700");
    });
  });

  const inputs: fc.Arbitrary<Uint8Array> = fc.oneof(
    fc.uint8Array({ maxLength: 200_000, size: "max" }),
    fc.record({ size: fc.nat(300_000), seed: fc.nat() }).map(({ size, seed }) => jsonLike(size, seed)),
    fc.record({ size: fc.nat(300_000), seed: fc.nat() }).map(({ size, seed }) => prose(size, seed)),
    fc.nat(300_000).map((n) => new Uint8Array(n)),
    fc
      .tuple(fc.string({ minLength: 1, maxLength: 40 }), fc.nat(20_000))
      .map(([s, n]) => new TextEncoder().encode(s.repeat(n))),
    fc
      .array(fc.tuple(fc.nat(255), fc.integer({ min: 1, max: 2000 })), { maxLength: 300 })
      .map((runs) => Uint8Array.from(runs.flatMap(([b, n]) => new Array<number>(n).fill(b)))),
  );
  const pieceSizes = fc.array(
    fc.oneof(fc.integer({ min: 1, max: 300 }), fc.integer({ min: 1, max: DEFLATE_IN_CAP })),
    {
      minLength: 1,
      maxLength: 8,
    },
  );

  it("inflates with node:zlib to the input at every level and windowBits 8..15, in any pieces", () => {
    fc.assert(
      fc.property(
        inputs,
        fc.integer({ min: 1, max: 9 }),
        fc.integer({ min: 8, max: 15 }),
        pieceSizes,
        (data, level, wb, pieces) => {
          checkMessage(compress(data, level, wb, pieces), data, wb);
        },
      ),
      { numRuns: 60 },
    );
  });

  it("several MiB, each level class, no distance beyond windowBits 8 and 15", () => {
    const json = jsonLike(3 << 20, 7);
    for (const [level, wb] of [
      [1, 15],
      [6, 15],
      [9, 8],
    ]) {
      checkMessage(compress(json, level, wb), json, wb);
    }
  });

  // Matches take most of the skew away, so the length limit itself is checked in the spec.
  it("skewed byte counts (Fibonacci) inflate", () => {
    for (const level of [1, 9]) {
      const data = fibonacciBytes(level);
      checkMessage(compress(data, level, 15), data, 15);
    }
  });

  it("random bytes fall back to stored blocks: at most 5 bytes per block over the input", () => {
    for (const level of [1, 6]) {
      const data = randomBinary(2 << 20, level);
      const msg = compress(data, level, 15);
      const d = inflateChecked(Buffer.concat([msg, TAIL]));
      expect(d.headers.slice(0, -1).every((h) => h.type === 0)).toBe(true);
      expect(msg.length).toBeLessThanOrEqual(data.length + 5 * d.headers.length);
      expect(d.headers.length).toBeLessThanOrEqual(Math.ceil(data.length / 65278) + 2);
    }
  });

  describe("context takeover", () => {
    const inflateStream = (windowBits: number) => {
      const inflate = zlib.createInflateRaw({ windowBits: Math.max(9, windowBits) });
      const chunks: Buffer[] = [];
      inflate.on("data", (c: Buffer) => chunks.push(c));
      const flush = promisify((cb: () => void) => inflate.flush(zlib.constants.Z_SYNC_FLUSH, cb));
      return async (msg: Uint8Array): Promise<Buffer> => {
        inflate.write(Buffer.concat([msg, TAIL]));
        await flush();
        return Buffer.concat(chunks.splice(0));
      };
    };

    it("messages of one state inflate, one by one, through ONE inflate stream; later ones reference earlier ones", async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.array(inputs, { minLength: 1, maxLength: 5 }),
          fc.integer({ min: 1, max: 9 }),
          fc.integer({ min: 8, max: 15 }),
          pieceSizes,
          async (messages, level, wb, pieces) => {
            const st = stateFor(wb);
            e.deflateInit(st, wb, level);
            const next = inflateStream(wb);
            const all: Uint8Array[] = [];
            for (const m of messages) {
              const msg = compressMessage(st, m, pieces);
              all.push(msg, TAIL);
              expect(Buffer.compare(await next(msg), m)).toBe(0);
            }
            const d = inflateChecked(Buffer.concat(all));
            expect(Buffer.compare(d.out, Buffer.concat(messages))).toBe(0);
            expect(d.headers.every((h) => h.final === 0)).toBe(true);
            expect(d.maxDist).toBeLessThanOrEqual(1 << wb);
          },
        ),
        { numRuns: 25 },
      );
    });

    it("a repeated message costs a fraction of its first sending, within the window only", async () => {
      for (const wb of [9, 15]) {
        const m = jsonLike((1 << wb) - 8, wb);
        const st = stateFor(wb);
        e.deflateInit(st, wb, 6);
        const next = inflateStream(wb);
        const first = compressMessage(st, m);
        const second = compressMessage(st, m);
        expect(second.length).toBeLessThan(first.length / 10);
        expect(Buffer.compare(await next(first), m)).toBe(0);
        expect(Buffer.compare(await next(second), m)).toBe(0);
        // Re-initialised (no context takeover), the same message costs what it did alone.
        e.deflateInit(st, wb, 6);
        expect(compressMessage(st, m).length).toBe(first.length);
      }
    });
  });

  it("deflateBound covers every call, pieces of 64 KiB - 1 of random bytes after held-back ones", () => {
    const st = stateFor(15);
    e.deflateInit(st, 15, 1);
    const data = randomBinary(DEFLATE_IN_CAP * 3, 11);
    compressMessage(st, data, [DEFLATE_IN_CAP - 1]);
    expect(e.deflateBound(DEFLATE_IN_CAP)).toBeLessThan(2 * DEFLATE_IN_CAP + 1024);
  });
});
