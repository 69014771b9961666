// What a write costs Deno by how many writes to other connections one turn of its event loop has in
// flight (the reason for host-deno/write-slots.ts): 64 B writes over 10,000 connections to a TCP
// sink in a node process, issued in bursts of B and awaited together, and through WriteSlots.
// Usage: taskset -c 1 node_modules/.bin/deno run -A bench/deno-writes.ts   (the sink goes on core 0)
import type { Conn } from "../host-deno/deno-api.ts";
import { WriteSlots } from "../host-deno/write-slots.ts";

// Minimal declarations so the repo's Node-typed tsc accepts this Deno-only file.
declare const Deno: {
  connect(options: { hostname: string; port: number }): Promise<Conn>;
  Command: new (
    program: string,
    options: { args: string[]; stdout: "piped" },
  ) => { spawn(): { stdout: ReadableStream<Uint8Array>; kill(): void } };
  exit(code: number): never;
};

const CONNECTIONS = 10_000;
const WRITES = 100_000;
const SINK = `require("node:net").createServer((s) => { s.on("data", () => {}); s.on("error", () => {}); })
  .listen(0, "127.0.0.1", function () { console.log(this.address().port); });`;

const sink = new Deno.Command("taskset", {
  args: ["-c", "0", "node", "-e", SINK],
  stdout: "piped",
}).spawn();
const reader = sink.stdout.getReader();
const port = Number(new TextDecoder().decode((await reader.read()).value).trim());
const conns: Conn[] = [];
for (let i = 0; i < CONNECTIONS; i++) conns.push(await Deno.connect({ hostname: "127.0.0.1", port }));
const message = new Uint8Array(64);

async function bursts(size: number): Promise<void> {
  for (let done = 0; done < WRITES; ) {
    const pending: Promise<number>[] = [];
    for (let i = 0; i < size && done < WRITES; i++, done++)
      pending.push(conns[done % CONNECTIONS].write(message));
    await Promise.all(pending);
  }
}

async function throughSlots(): Promise<void> {
  const slots = new WriteSlots(256, 10);
  const write = async (conn: Conn) => {
    let ticket = slots.take();
    if (ticket < 0) ticket = await slots.wait();
    try {
      await conn.write(message);
    } finally {
      slots.give(ticket);
    }
  };
  for (let done = 0; done < WRITES; ) {
    const pending: Promise<void>[] = [];
    for (let i = 0; i < CONNECTIONS && done < WRITES; i++, done++) pending.push(write(conns[i]));
    await Promise.all(pending);
  }
}

const cases: [string, () => Promise<void>][] = [
  ...[10, 100, 500, 2_000, 10_000].map((size): [string, () => Promise<void>] => [
    `bursts of ${size}`,
    () => bursts(size),
  ]),
  ["bursts of 10000 through WriteSlots(256)", throughSlots],
];
for (const [name, run] of cases) {
  let fastest = Number.POSITIVE_INFINITY;
  for (let round = 0; round < 3; round++) {
    const start = performance.now();
    await run();
    fastest = Math.min(fastest, ((performance.now() - start) * 1000) / WRITES);
  }
  console.log(`${name.padEnd(40)} ${fastest.toFixed(2)} µs a write (best of 3)`);
}
sink.kill();
Deno.exit(0);
