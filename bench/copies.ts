// The data movement alone under bench:core's 1 MiB rows, with no unmasking or validation: each 64 KiB
// chunk (in a buffer of its own, as a socket's reads come) copied into a WebAssembly memory, as
// Session does, then out into the message's buffer, reused (borrow mode) or fresh (the default).
// What these copies cost bounds what any host of a WebAssembly core can reach on those rows.
// Usage: npx tsx bench/copies.ts [--rounds N]
import { parseArgs } from "node:util";

const { values } = parseArgs({ options: { rounds: { type: "string", default: "5" } } });
const MESSAGE = 1 << 20;
const CHUNK = 64 * 1024;
const MESSAGES = 64;
const PASSES = 10;

const memory = new WebAssembly.Memory({ initial: 2 });
const region = new Uint8Array(memory.buffer, 0, CHUNK);
const chunks = Array.from({ length: MESSAGES * (MESSAGE / CHUNK) }, (_, i) => new Uint8Array(CHUNK).fill(i));
const reused = new Uint8Array(MESSAGE);

/** GB/s of payload through `step`, which handles chunk c of a message. */
function measure(step: (chunk: Uint8Array, c: number) => void): number {
  const start = process.hrtime.bigint();
  for (let p = 0; p < PASSES; p++)
    for (let m = 0; m < MESSAGES; m++)
      for (let c = 0; c < MESSAGE / CHUNK; c++) step(chunks[m * (MESSAGE / CHUNK) + c], c);
  return (PASSES * MESSAGES * MESSAGE) / Number(process.hrtime.bigint() - start);
}

let fresh = reused;
const rows: Record<string, (chunk: Uint8Array, c: number) => void> = {
  "into the core only": (chunk) => region.set(chunk),
  "in and out to a reused buffer": (chunk, c) => {
    region.set(chunk);
    reused.set(region, c * CHUNK);
  },
  "in and out to a fresh buffer per message": (chunk, c) => {
    if (c === 0) fresh = new Uint8Array(MESSAGE);
    region.set(chunk);
    fresh.set(region, c * CHUNK);
  },
};

const results = new Map<string, number[]>(Object.keys(rows).map((name) => [name, []]));
for (let r = 0; r < Number(values.rounds); r++)
  for (const [name, step] of Object.entries(rows)) results.get(name)?.push(measure(step));
console.log(`node ${process.version}, 1 MiB messages in 64 KiB chunks, ${values.rounds} rounds, GB/s`);
for (const [name, figures] of results) {
  const sorted = [...figures].sort((a, b) => a - b);
  const median = sorted[sorted.length >> 1];
  console.log(
    `${name.padEnd(42)} median ${median.toFixed(2)}  (${sorted[0].toFixed(2)}-${sorted.at(-1)?.toFixed(2)})`,
  );
}
