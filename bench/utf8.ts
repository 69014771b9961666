// The core's UTF-8 validator alone, on every runtime: utf8Step over 64 KiB of text already in the
// core's memory, the SIMD and scalar builds, text from dense multi-byte to ASCII. The engines'
// WebAssembly compilers differ most here (vector constants, swizzles), so a change to the validator
// is measured under each of them.
// Usage: npx tsx bench/utf8.ts | deno run -A bench/utf8.ts | bun bench/utf8.ts
//        [--rounds N] [--wasm FILE ...]: SIMD builds in files (say, of two commits) instead, interleaved
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { Core } from "../host-core/core.ts";
import { createCore } from "../host-core/inline.ts";

const { values } = parseArgs({
  options: { rounds: { type: "string", default: "7" }, wasm: { type: "string", multiple: true } },
});
const ROUNDS = Math.max(1, Number(values.rounds));
const PIECE = 64 * 1024;
const MIN_MS = 100;

const host = globalThis as { Deno?: { version: { deno: string; v8: string } }; Bun?: { version: string } };
const runtime = host.Deno
  ? `deno ${host.Deno.version.deno} (V8 ${host.Deno.version.v8})`
  : host.Bun
    ? `bun ${host.Bun.version}`
    : `node ${process.version} (V8 ${process.versions.v8})`;

const builds: [string, Core][] = values.wasm?.length
  ? values.wasm.map((f) => [f, new Core(new WebAssembly.Module(readFileSync(f)), true)])
  : [
      ["simd", createCore("simd")],
      ["scalar", createCore("scalar")],
    ];

// A multi-byte character where a draw of a fixed-seed generator falls under 1/every, else printable
// ASCII: the same text on every runtime.
const CHARS = ["é", "ß", "€", "中", "😀", "ж"].map((c) => new TextEncoder().encode(c));
function text(every: number): Uint8Array {
  let seed = 0x2545f491;
  const next = () => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed / 2 ** 32;
  };
  const out = new Uint8Array(PIECE);
  for (let i = 0; i < PIECE; ) {
    const c = CHARS[Math.floor(next() * CHARS.length)];
    if (next() * every < 1 && i + c.length <= PIECE) {
      out.set(c, i);
      i += c.length;
    } else out[i++] = 0x20 + Math.floor(next() * 95);
  }
  return out;
}

const TEXTS: [string, number][] = [
  ["every character multi-byte", 1],
  ["1 in 4", 4],
  ["1 in 16", 16],
  ["1 in 64", 64],
  ["ASCII", Number.POSITIVE_INFINITY],
];

function gbPerSecond(core: Core, bytes: Uint8Array): number {
  const ptr = core.inputPtr;
  core.u8.set(bytes, ptr);
  const step = core.exports.utf8Step;
  let calls = 0;
  const t0 = performance.now();
  let ms = 0;
  do {
    for (let i = 0; i < 64; i++) if (step(0, ptr, PIECE) !== 0) throw new Error("valid text rejected");
    calls += 64;
    ms = performance.now() - t0;
  } while (ms < MIN_MS);
  return (calls * PIECE) / (ms * 1e6);
}

const best = TEXTS.map(() => builds.map(() => 0));
for (let r = 0; r < ROUNDS; r++)
  TEXTS.forEach(([, every], t) => {
    const bytes = text(every);
    builds.forEach(([, core], b) => {
      best[t][b] = Math.max(best[t][b], gbPerSecond(core, bytes));
    });
  });

console.log(`${runtime}: utf8Step over ${PIECE / 1024} KiB in the core's memory, GB/s, best of ${ROUNDS}`);
const header = ["text", ...builds.map(([name]) => name)];
const rows = TEXTS.map(([name], t) => [name, ...best[t].map((v) => v.toFixed(2))]);
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
for (const row of [header, ...rows])
  console.log(row.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  "));
