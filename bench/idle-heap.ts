// What one idle connection keeps on Node's heap, by constructor: ours (echo.js) beside the node:net
// floor. Each server takes a heap snapshot (Node's --heapsnapshot-signal) with WARM connections open
// and again with CONNECTIONS more; the difference, divided, is what a connection holds. The snapshot
// counts only what is reachable after a full collection, so unlike RSS it can tell 8 bytes apart.
// The core's session slot lives in WebAssembly memory, outside the heap: 96 bytes more for ours.
// Usage: npx tsx bench/idle-heap.ts [--connections N] [--top K]
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import type { Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { openWebSocket } from "./handshake.ts";
import { killAll, REFERENCES, SERVERS, type ServerSpec, start } from "./servers.ts";

const { values } = parseArgs({
  options: {
    connections: { type: "string", default: "1000" },
    top: { type: "string", default: "12" },
  },
});
const CONNECTIONS = Number(values.connections);
const TOP = Number(values.top);
// assembly/session.ts SESSION_SIZE: slots are carved from blocks of 64, with no header of their own.
const SLOT = 96;
// Opened before the first snapshot, so what the first connections make once is in both.
const WARM = 100;

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[]] } };
  nodes: number[];
  strings: string[];
}

/** Bytes by "type name" (e.g. "object SocketDriver", "closure data"). */
function bytesByName(file: string): Map<string, number> {
  const s = JSON.parse(readFileSync(file, "utf8")) as Snapshot;
  const fields = s.snapshot.meta.node_fields;
  const width = fields.length;
  const [typeAt, nameAt, sizeAt] = ["type", "name", "self_size"].map((f) => fields.indexOf(f));
  const types = s.snapshot.meta.node_types[0];
  const out = new Map<string, number>();
  for (let i = 0; i < s.nodes.length; i += width) {
    const type = types[s.nodes[i + typeAt]];
    // Strings and numbers are named by their contents: one bucket per type for them.
    const name = type === "object" || type === "closure" ? s.strings[s.nodes[i + nameAt]] : "";
    const key = name ? `${type} ${name}` : type;
    out.set(key, (out.get(key) ?? 0) + s.nodes[i + sizeAt]);
  }
  return out;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function snapshot(pid: number, dir: string): Promise<string> {
  const before = new Set(readdirSync(dir));
  process.kill(pid, "SIGUSR2");
  // Streamed out in pieces: done once it ends its top-level object and has stopped growing.
  let size = -1;
  for (const deadline = Date.now() + 60_000; Date.now() < deadline; await sleep(300)) {
    const made = readdirSync(dir).find((f) => !before.has(f) && f.endsWith(".heapsnapshot"));
    if (made === undefined) continue;
    const path = join(dir, made);
    const text = readFileSync(path, "latin1");
    if (text.length === size && text.trimEnd().endsWith("]}")) return path;
    size = text.length;
  }
  throw new Error("no heap snapshot within 60 s");
}

async function open(port: number, n: number, into: Socket[]): Promise<void> {
  for (let i = 0; i < n; i += 50) {
    const batch = await Promise.all(Array.from({ length: Math.min(50, n - i) }, () => openWebSocket(port)));
    for (const { socket } of batch) into.push(socket);
  }
}

async function perConnection(name: string, spec: ServerSpec): Promise<Map<string, number>> {
  const dir = mkdtempSync(join(tmpdir(), "idle-heap-"));
  const [node, ...args] = spec.argv;
  const flagged = {
    ...spec,
    argv: [node, "--heapsnapshot-signal=SIGUSR2", `--diagnostic-dir=${dir}`, ...args],
  };
  const server = await start(name, flagged);
  const sockets: Socket[] = [];
  try {
    await open(server.port, WARM, sockets);
    await sleep(500);
    const first = bytesByName(await snapshot(server.pid, dir));
    await open(server.port, CONNECTIONS, sockets);
    await sleep(500);
    const second = bytesByName(await snapshot(server.pid, dir));
    const diff = new Map<string, number>();
    for (const key of new Set([...first.keys(), ...second.keys()])) {
      const d = ((second.get(key) ?? 0) - (first.get(key) ?? 0)) / CONNECTIONS;
      if (Math.abs(d) >= 0.5) diff.set(key, d);
    }
    return diff;
  } finally {
    for (const s of sockets) s.destroy();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

process.on("exit", killAll);
const total = (m: Map<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);
const results: [string, Map<string, number>][] = [];
for (const name of ["wasmsock-node", "node-floor"]) {
  const spec = SERVERS[name] ?? REFERENCES[name];
  const diff = await perConnection(name, spec);
  results.push([name, diff]);
  console.log(
    `${name}: ${total(diff).toFixed(0)} bytes of heap per idle connection (${CONNECTIONS} connections)`,
  );
  for (const [key, bytes] of [...diff].sort((a, b) => b[1] - a[1]).slice(0, TOP))
    console.log(`  ${bytes.toFixed(1).padStart(8)}  ${key}`);
}
const [ours, floor] = results.map(([, d]) => total(d));
const [oursBy, floorBy] = results.map(([, d]) => d);
console.log("ours less the floor, by constructor:");
const over = [...new Set([...oursBy.keys(), ...floorBy.keys()])]
  .map((key): [string, number] => [key, (oursBy.get(key) ?? 0) - (floorBy.get(key) ?? 0)])
  .filter(([, d]) => Math.abs(d) >= 4)
  .sort((a, b) => b[1] - a[1]);
for (const [key, bytes] of over) console.log(`  ${bytes.toFixed(1).padStart(8)}  ${key}`);
console.log(
  `ours over the floor: ${(ours - floor).toFixed(0)} bytes of heap, ${(ours - floor + SLOT).toFixed(0)} with the core's slot`,
);
