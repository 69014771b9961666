// Our DEFLATE against node:zlib's deflateRawSync on the same data: MB/s of input and compressed
// size, at our levels 1 and 6 against zlib's 1 and 6. Usage: npx tsx bench/codec-deflate.ts
import { constants, deflateRawSync } from "node:zlib";
import { createCore } from "../host-core/inline.ts";
import { random, rate } from "./codec-common.ts";
import { jsonPayload, prosePayload } from "./payloads.ts";

const core = createCore("simd");
const e = core.exports;
const states = { 1: e.deflateAlloc(15, 1) >>> 0, 6: e.deflateAlloc(15, 6) >>> 0 };
const out = e.deflateAlloc(15, 1) >>> 0;
core.refresh();

function ours(level: 1 | 6, data: Uint8Array): number {
  const st = states[level];
  e.deflateForget(st);
  let total = 0;
  let off = 0;
  do {
    const n = Math.min(65536, data.length - off);
    core.u8.set(data.subarray(off, off + n), core.inputPtr);
    off += n;
    total += e.deflateChunk(st, core.inputPtr, n, out, off === data.length ? 1 : 0);
  } while (off < data.length);
  return total;
}

const kinds: [string, (size: number) => Uint8Array][] = [
  ["json", jsonPayload],
  ["prose", prosePayload],
  ["random", random],
];
const zlib = (level: number) => (d: Uint8Array) =>
  deflateRawSync(d, { level, finishFlush: constants.Z_SYNC_FLUSH }).length - 4;
console.log("data      size   level   ours MB/s  zlib MB/s  speed   ours B      zlib B     size");
for (const [name, make] of kinds) {
  for (const size of [1024, 16 * 1024, 1024 * 1024]) {
    const input = make(size);
    for (const level of [1, 6] as const) {
      const a = rate(() => ours(level, input), size);
      const b = rate(() => zlib(level)(input), size);
      const sa = ours(level, input);
      const sb = zlib(level)(input);
      console.log(
        `${name.padEnd(8)} ${String(size).padStart(8)} ${String(level).padStart(5)} ${a.toFixed(0).padStart(11)} ${b.toFixed(0).padStart(10)} ${(a / b).toFixed(2).padStart(6)} ${String(sa).padStart(9)} ${String(sb).padStart(10)} ${(sa / sb).toFixed(3).padStart(8)}`,
      );
    }
  }
}
