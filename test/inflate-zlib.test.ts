// RFC 1951 inflate (assembly/inflate.ts) against node:zlib, through the built module: what zlib's
// deflate writes at every setting inflates byte for byte however it is chunked and however little
// output room each run gets; random and damaged streams end in data or INFLATE_ERROR, never in a
// trap or a run that makes no progress.
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import zlib from "node:zlib";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { INPUT_CAP } from "../host-core/abi.ts";
import type { Core } from "../host-core/core.ts";
import { createCore } from "../host-core/inline.ts";

fc.configureGlobal({ endOnFailure: true });

// The result codes, read from the source so the test cannot drift from it.
const source = readFileSync(new URL("../assembly/inflate.ts", import.meta.url), "utf8");
function constant(name: string): number {
  const m = source.match(new RegExp(`export const ${name}: i32 = (-?\\d+);`));
  if (!m) throw new Error(`${name} not found in assembly/inflate.ts`);
  return Number(m[1]);
}
const NEED_INPUT = constant("INFLATE_NEED_INPUT");
const OUTPUT = constant("INFLATE_OUTPUT");
const END = constant("INFLATE_END");
const ERROR = constant("INFLATE_ERROR");

// RFC 7692 7.2.1: a message's compressed bytes without the trailing empty stored block.
const TAIL = Buffer.from([0x00, 0x00, 0xff, 0xff]);

interface Outcome {
  result: number;
  out: Buffer;
  /** Bytes of the stream consumed when it ended (END), else its length. */
  consumed: number;
  boundary: boolean;
}

// Per-run checks, cheaper than expect() at tens of thousands of runs per case.
function check(ok: boolean, what: string): void {
  if (!ok) throw new Error(what);
}

/** One decoder state in a module instance, driven the way a host drives it. */
class Inflater {
  readonly st: number;
  readonly ring: number;
  readonly ringSize: number;

  constructor(
    readonly core: Core,
    readonly ringBits: number,
  ) {
    const e = core.exports;
    this.st = e.inflateAlloc(ringBits) >>> 0;
    core.refresh();
    this.ringSize = 1 << ringBits;
    this.ring = this.st + e.inflateStateSize(ringBits) - this.ringSize;
    e.inflateInit(this.st, ringBits);
  }

  init(): void {
    this.core.exports.inflateInit(this.st, this.ringBits);
  }

  /**
   * Feeds stream in pieces of sizes[i] (cycled) with outLimits[j] (cycled) per run, checking every
   * run: its segment lies in the ring and within outLimit, OUTPUT always produced something,
   * NEED_INPUT left no input, and (with `guard`) no byte of the ring outside the segment changed.
   */
  feed(stream: Uint8Array, sizes: number[], limits: number[], guard = false): Outcome {
    const { core, st } = this;
    const e = core.exports;
    const parts: Buffer[] = [];
    let result = NEED_INPUT;
    let consumed = stream.length;
    let runs = 0;
    for (let off = 0, i = 0; off < stream.length && result === NEED_INPUT; i++) {
      const piece = stream.subarray(off, off + Math.min(sizes[i % sizes.length], INPUT_CAP));
      core.writeInput(piece);
      e.inflateInput(st, core.inputPtr, piece.length);
      do {
        const limit = limits[runs++ % limits.length];
        const before = guard
          ? Buffer.from(core.u8.subarray(this.ring, this.ring + this.ringSize))
          : undefined;
        result = e.inflateRun(st, limit);
        const p = e.inflateOutPtr(st) >>> 0;
        const n = e.inflateOutLen(st);
        check([NEED_INPUT, OUTPUT, END, ERROR].includes(result), `result ${result}`);
        check(p >= this.ring && p + n <= this.ring + this.ringSize, "segment inside the ring");
        check(n <= limit, "at most outLimit bytes");
        check(result !== OUTPUT || n > 0, "OUTPUT makes progress");
        check(result !== NEED_INPUT || e.inflateInputLeft(st) === 0, "NEED_INPUT consumed all input");
        if (before) {
          const after = core.u8.subarray(this.ring, this.ring + this.ringSize);
          const at = p - this.ring;
          check(
            before.subarray(0, at).equals(after.subarray(0, at)) &&
              before.subarray(at + n).equals(after.subarray(at + n)),
            "nothing outside the segment changed",
          );
        }
        parts.push(Buffer.from(core.u8.subarray(p, p + n)));
      } while (result === OUTPUT);
      if (result === END) consumed = off + piece.length - e.inflateInputLeft(st);
      off += piece.length;
    }
    return { result, out: Buffer.concat(parts), consumed, boundary: e.inflateAtBoundary(st) !== 0 };
  }
}

// A block of random bytes, then a copy of it with every `every`-th byte changed: matches from
// 16 KiB or more back, whose distance codes carry 13 extra bits, between literals.
function farCopy(size: number, every: number): Uint8Array {
  const block = randomBytes(size);
  const copy = Buffer.from(block);
  for (let i = 0; i < size; i += every) copy[i] ^= 0x5a;
  return new Uint8Array(Buffer.concat([block, copy]));
}

// Text-like bytes (words from a small vocabulary), runs, noise, and far repeats: every kind of
// block and code zlib writes.
const data: fc.Arbitrary<Uint8Array> = fc.oneof(
  fc
    .tuple(fc.integer({ min: 16_385, max: 30_000 }), fc.integer({ min: 5, max: 300 }))
    .map(([size, every]) => farCopy(size, every)),
  fc.uint8Array({ maxLength: 70_000, size: "max" }),
  fc
    .array(fc.constantFrom("the ", "socket ", "frame ", "deflate ", '{"id":', "1,", "\n", "é", "€"), {
      maxLength: 12_000,
      size: "max",
    })
    .map((words) => new Uint8Array(Buffer.from(words.join("")))),
  fc
    .array(fc.record({ byte: fc.nat(255), run: fc.integer({ min: 1, max: 600 }) }), { maxLength: 200 })
    .map((runs) => new Uint8Array(runs.flatMap(({ byte, run }) => Array(run).fill(byte)))),
);

const settings = fc.record({
  level: fc.integer({ min: 0, max: 9 }),
  windowBits: fc.integer({ min: 9, max: 15 }),
  memLevel: fc.integer({ min: 1, max: 9 }),
  strategy: fc.constantFrom(
    zlib.constants.Z_DEFAULT_STRATEGY,
    zlib.constants.Z_FILTERED,
    zlib.constants.Z_HUFFMAN_ONLY,
    zlib.constants.Z_RLE,
    zlib.constants.Z_FIXED,
  ),
});

// Input pieces and output limits from single bytes to whole buffers.
const sizes = fc.array(fc.oneof(fc.integer({ min: 1, max: 8 }), fc.integer({ min: 1, max: 70_000 })), {
  minLength: 1,
  maxLength: 20,
});
const limits = fc.array(fc.oneof(fc.integer({ min: 1, max: 300 }), fc.integer({ min: 1, max: 1 << 15 })), {
  minLength: 1,
  maxLength: 20,
});

/** What zlib's own inflate makes of a stream, or undefined if it rejects it. */
function zlibInflate(stream: Uint8Array): Buffer | undefined {
  try {
    return zlib.inflateRawSync(stream, { finishFlush: zlib.constants.Z_SYNC_FLUSH });
  } catch {
    return undefined;
  }
}

describe.each(["simd", "scalar"] as const)("%s build", (build) => {
  const core = createCore(build);
  const states = new Map<number, Inflater>();
  const inflater = (ringBits: number): Inflater => {
    let s = states.get(ringBits);
    if (!s) states.set(ringBits, (s = new Inflater(core, ringBits)));
    s.init();
    return s;
  };

  it("zlib's deflateRawSync output inflates byte for byte, chunked and limited any way", () => {
    fc.assert(
      fc.property(
        data,
        settings,
        fc.integer({ min: 0, max: 6 }),
        fc.boolean(),
        sizes,
        limits,
        (bytes, options, extraBits, sync, pieceSizes, outLimits) => {
          // 3.2.3: with Z_SYNC_FLUSH the stream ends in an empty stored block, not a BFINAL one.
          const finishFlush = sync ? zlib.constants.Z_SYNC_FLUSH : zlib.constants.Z_FINISH;
          const stream = zlib.deflateRawSync(bytes, { ...options, finishFlush });
          const ringBits = Math.min(15, options.windowBits + extraBits);
          const inf = inflater(ringBits);
          const got = inf.feed(stream, pieceSizes, outLimits, ringBits <= 11);
          expect(got.result).toBe(sync ? NEED_INPUT : END);
          expect(got.boundary).toBe(true);
          expect(got.consumed).toBe(stream.length);
          expect(got.out.equals(Buffer.from(bytes))).toBe(true);
        },
      ),
      { numRuns: 250 },
    );
  });

  it("a distance longer than the ring is an error, at the fast loop and at the edges", () => {
    for (let ringBits = 9; ringBits < 15; ringBits++) {
      // Random bytes twice: the second copy is one match at distance 2^ringBits + 100.
      // More after it, so that the fast loop decodes the match.
      const once = randomBytes((1 << ringBits) + 100);
      const bytes = Buffer.concat([once, once, randomBytes(2000)]);
      const stream = zlib.deflateRawSync(bytes, { windowBits: 15 });
      for (const piece of [1 << 16, 1]) {
        expect(inflater(ringBits).feed(stream, [piece], [1 << 15]).result).toBe(ERROR);
        const wider = inflater(ringBits + 1).feed(stream, [piece], [1 << 15]);
        expect(wider.result).toBe(END);
        expect(wider.out.equals(bytes)).toBe(true);
      }
    }
  });

  it("after INFLATE_END the bytes that follow the stream are left as input", () => {
    fc.assert(
      fc.property(
        data,
        // 16 or more: the stream may end inside the fast loop.
        fc.oneof(
          fc.uint8Array({ minLength: 1, maxLength: 15 }),
          fc.uint8Array({ minLength: 16, maxLength: 64 }),
        ),
        sizes,
        (bytes, trailer, pieceSizes) => {
          const stream = zlib.deflateRawSync(bytes);
          const inf = inflater(15);
          const got = inf.feed(Buffer.concat([stream, trailer]), pieceSizes, [1 << 15]);
          expect(got.result).toBe(END);
          expect(got.consumed).toBe(stream.length);
          expect(got.out.equals(Buffer.from(bytes))).toBe(true);
        },
      ),
      { numRuns: 100 },
    );
  });

  it("RFC 7692 context takeover: messages flushed by one zlib stream inflate in one state", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(data, { minLength: 1, maxLength: 5 }),
        settings,
        sizes,
        limits,
        async (messages, options, pieceSizes, outLimits) => {
          const deflate = zlib.createDeflateRaw(options);
          const inf = inflater(options.windowBits);
          for (const m of messages) {
            const chunks: Buffer[] = [];
            const onData = (c: Buffer) => chunks.push(c);
            deflate.on("data", onData);
            deflate.write(m);
            await new Promise<void>((resolve) => deflate.flush(zlib.constants.Z_SYNC_FLUSH, () => resolve()));
            deflate.off("data", onData);
            const wire = Buffer.concat(chunks);
            expect(wire.subarray(-4).equals(TAIL)).toBe(true);
            // 7.2.2: the receiver appends the tail the sender removed.
            const got = inf.feed(Buffer.concat([wire.subarray(0, -4), TAIL]), pieceSizes, outLimits);
            expect(got.result).toBe(NEED_INPUT);
            expect(got.boundary).toBe(true);
            expect(got.out.equals(Buffer.from(m))).toBe(true);
          }
          deflate.close();
        },
      ),
      { numRuns: 40 },
    );
  });

  it("random bytes end in data or INFLATE_ERROR, as zlib reads them when both accept", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 3000 }), sizes, limits, (bytes, pieceSizes, outLimits) => {
        const got = inflater(15).feed(bytes, pieceSizes, outLimits);
        const want = zlibInflate(bytes);
        if (got.result !== ERROR && want) expect(got.out.equals(want.subarray(0, got.out.length))).toBe(true);
      }),
      { numRuns: 1000 },
    );
  });

  it("damaged zlib streams end in data or INFLATE_ERROR, as zlib reads them when both accept", () => {
    const damage = fc.array(
      fc.record({ at: fc.nat(), bit: fc.nat(7), kind: fc.constantFrom("flip", "cut", "byte") }),
      { minLength: 1, maxLength: 4 },
    );
    fc.assert(
      fc.property(data, settings, damage, sizes, limits, (bytes, options, hits, pieceSizes, outLimits) => {
        let stream = Buffer.from(zlib.deflateRawSync(bytes, options));
        if (stream.length === 0) return;
        for (const { at, bit, kind } of hits) {
          const i = at % stream.length;
          if (kind === "flip") stream[i] ^= 1 << bit;
          else if (kind === "byte") stream[i] = (at >> 3) & 255;
          else stream = stream.subarray(0, i + 1);
        }
        const got = inflater(15).feed(stream, pieceSizes, outLimits);
        const want = zlibInflate(stream);
        if (got.result !== ERROR && want) expect(got.out.equals(want.subarray(0, got.out.length))).toBe(true);
        if (got.result === END && want) expect(got.out.length).toBe(want.length);
      }),
      { numRuns: 400 },
    );
  });
});
