// Our INFLATE against node:zlib's inflateRawSync on the same data: MB/s of output, and the ratio.
// Usage: npx tsx bench/codec-inflate.ts
import { constants, deflateRawSync, inflateRawSync } from "node:zlib";
import { createCore } from "../host-core/inline.ts";
import { random, rate } from "./codec-common.ts";
import { jsonPayload, prosePayload } from "./payloads.ts";

const core = createCore("simd");
const e = core.exports;
const st = e.inflateAlloc(15) >>> 0;
core.refresh();

function ours(compressed: Uint8Array): number {
  e.inflateInit(st, 15);
  let total = 0;
  for (let off = 0; off < compressed.length; off += 65536) {
    const piece = compressed.subarray(off, off + 65536);
    core.u8.set(piece, core.inputPtr);
    e.inflateInput(st, core.inputPtr, piece.length);
    for (;;) {
      const status = e.inflateRun(st, 1 << 30);
      total += e.inflateOutLen(st);
      if (status !== 1) break;
    }
  }
  return total;
}

const kinds: [string, (size: number) => Uint8Array][] = [
  ["json", jsonPayload],
  ["prose", prosePayload],
  ["random", random],
];
console.log("data      size     ours MB/s   zlib MB/s   ours/zlib");
for (const [name, make] of kinds) {
  for (const size of [1024, 16 * 1024, 1024 * 1024]) {
    const input = make(size);
    const compressed = deflateRawSync(input, { finishFlush: constants.Z_SYNC_FLUSH });
    if (ours(compressed) !== input.length) throw new Error(`${name} ${size}: wrong length`);
    const a = rate(() => ours(compressed), size);
    const b = rate(() => inflateRawSync(compressed, { finishFlush: constants.Z_SYNC_FLUSH }).length, size);
    console.log(
      `${name.padEnd(8)} ${String(size).padStart(8)} ${a.toFixed(0).padStart(11)} ${b.toFixed(0).padStart(11)} ${(a / b).toFixed(2).padStart(11)}`,
    );
  }
}
