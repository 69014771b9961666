// npx tsx bench/codec-deflate.ts [--rounds N] [--min-ms MS] [--levels 1,6,9] [--build simd|scalar]: our permessage-deflate
// compressor (one message per call sequence, fresh stream each message, fed in 64 KiB pieces and
// copied out) against zlib.deflateRawSync at levels 1 and 6, on seeded JSON-like text, prose and
// random bytes at 1 KiB, 16 KiB and 1 MiB. Ratios: throughput ours/zlib and size ours/zlib, against
// the zlib level named in the row (level 1 against zlib 1, the others against zlib 6). The machine is
// shared, so contenders take turns for --rounds rounds and each keeps its best round.
import { parseArgs } from "node:util";
import zlib from "node:zlib";
import { DEFLATE_IN_CAP } from "../host-core/abi.ts";
import { createCore } from "../host-core/inline.ts";
import { jsonLike, prose, randomBinary } from "./deflate-data.ts";

const { values } = parseArgs({
  options: {
    rounds: { type: "string", default: "5" },
    "min-ms": { type: "string", default: "100" },
    levels: { type: "string", default: "1,6,9" },
    build: { type: "string", default: "simd" },
  },
});
const ROUNDS = Math.max(1, Number(values.rounds));
const MIN_MS = Math.max(1, Number(values["min-ms"]));
const LEVELS = values.levels.split(",").map(Number);

const core = createCore(values.build === "scalar" ? "scalar" : "simd");
const e = core.exports;
const st = e.deflateAlloc(15);
const inPtr = e.deflateInPtr();
const outPtr = e.deflateOutPtr();
core.refresh();
const sink = new Uint8Array(e.deflateBound(8 << 20));

/** One message through our compressor; returns the compressed size (the bytes are copied to sink). */
function ours(data: Uint8Array, level: number): number {
  e.deflateInit(st, 15, level);
  let off = 0;
  let total = 0;
  do {
    const n = Math.min(DEFLATE_IN_CAP, data.length - off);
    core.u8.set(data.subarray(off, off + n), inPtr);
    off += n;
    const w = e.deflateChunk(st, inPtr, n, outPtr, off >= data.length ? 1 : 0);
    sink.set(core.u8.subarray(outPtr, outPtr + w), total);
    total += w;
  } while (off < data.length);
  return total;
}

/** MB/s of f over data (repeated for at least MIN_MS) and the size f returns. */
function measure(data: Uint8Array, f: () => number): { mbps: number; size: number } {
  let size = f();
  const reps = Math.max(1, Math.floor((4 << 20) / data.length / 8));
  let n = 0;
  const t0 = performance.now();
  let t = t0;
  while (t - t0 < MIN_MS) {
    for (let i = 0; i < reps; i++) size = f();
    n += reps;
    t = performance.now();
  }
  return { mbps: (data.length * n) / ((t - t0) / 1000) / 1e6, size };
}

const inputs = { json: jsonLike, prose, random: randomBinary };
const sizes: [string, number][] = [
  ["1 KiB", 1024],
  ["16 KiB", 16384],
  ["1 MiB", 1 << 20],
];
const rows: string[][] = [["input", "size", "who", "MB/s", "bytes", "speed/zlib", "size/zlib"]];
for (const [name, gen] of Object.entries(inputs)) {
  for (const [label, size] of sizes) {
    const data = gen(size);
    const contenders: (() => number)[] = [
      () => zlib.deflateRawSync(data, { level: 1 }).length,
      () => zlib.deflateRawSync(data, { level: 6 }).length,
      ...LEVELS.map((level) => () => ours(data, level)),
    ];
    const best = contenders.map(() => ({ mbps: 0, size: 0 }));
    for (let round = 0; round < ROUNDS; round++)
      contenders.forEach((f, i) => {
        const r = measure(data, f);
        if (r.mbps > best[i].mbps) best[i] = r;
      });
    const [z1, z6] = best;
    rows.push([name, label, "zlib 1", z1.mbps.toFixed(1), String(z1.size), "", ""]);
    rows.push([name, label, "zlib 6", z6.mbps.toFixed(1), String(z6.size), "", ""]);
    for (const [k, level] of LEVELS.entries()) {
      const r = best[2 + k];
      const ref = level === 1 ? z1 : z6;
      rows.push([
        name,
        label,
        `ours ${level} (vs zlib ${level === 1 ? 1 : 6})`,
        r.mbps.toFixed(1),
        String(r.size),
        (r.mbps / ref.mbps).toFixed(2),
        (r.size / ref.size).toFixed(3),
      ]);
    }
  }
}
const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
for (const r of rows)
  console.log(r.map((c, i) => (i < 3 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  "));
