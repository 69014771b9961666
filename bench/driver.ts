// Our JavaScript on a server connection, in process: 32 B echoes and whole connection lifecycles
// through WebSocketServer, SocketDriver and Session, to a transport that only counts bytes, so no
// kernel time is in the figures. Runs under Node (tsx), Bun and Deno.
// Usage: npx tsx bench/driver.ts [DIR ...]
// Each DIR is a copy of host-core (its wasm-inline.ts built), e.g. of another commit, kept inside the
// repository (.ab/A, .ab/B: git ignores .ab) so that it compiles as the tree does (a copy in /tmp ran
// at half the speed under tsx); the DIRs are measured interleaved in one process, an A/B. Without a
// DIR, this tree's host-core.
import { randomBytes } from "node:crypto";
import { resolve } from "node:path";
import type { TransportEvents } from "../host-core/transport.ts";

type ServerModule = typeof import("../host-core/server.ts");
type Internals = ReturnType<ServerModule["serverInternals"]>;

const PASSES = 15;
const FRAMES = 1 << 17;
const SIZE = 32;
const CONNECTIONS = 20_000;
const CHUNK = 64 * 1024;

const dirs = process.argv.slice(2).map((d) => resolve(d));
if (dirs.length === 0) dirs.push(resolve(import.meta.dirname, "../host-core"));

async function load(dir: string): Promise<ServerModule> {
  await import(`${dir}/inline.ts`);
  return (await import(`${dir}/server.ts`)) as ServerModule;
}

let written = 0;

/** A transport that takes every write at once and ends or dies on the next microtask. */
function transport(accept: (t: Parameters<Internals["accept"]>[0]) => TransportEvents) {
  const t = {
    bufferedAmount: 0,
    remoteAddress: "127.0.0.1",
    events: undefined as unknown as TransportEvents,
    write(chunks: Uint8Array[]) {
      for (const c of chunks) written += c.length;
      return true;
    },
    end: () => queueMicrotask(() => t.events.closed()),
    destroy: () => queueMicrotask(() => t.events.closed()),
    pause() {},
    resume() {},
  };
  t.events = accept(t);
  return t;
}

const REQUEST = Buffer.from(
  [
    "GET /chat HTTP/1.1",
    "Host: 127.0.0.1:8080",
    "Connection: Upgrade",
    "Pragma: no-cache",
    "Cache-Control: no-cache",
    "User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36",
    "Upgrade: websocket",
    "Origin: http://127.0.0.1:8080",
    "Sec-WebSocket-Version: 13",
    "Accept-Encoding: gzip, deflate, br",
    "Accept-Language: en-US,en;q=0.9",
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
    "",
    "",
  ].join("\r\n"),
  "latin1",
);
// A masked close with code 1000.
const CLOSE = Uint8Array.from([0x88, 0x82, 1, 2, 3, 4, 0x03 ^ 1, 0xe8 ^ 2]);

function echoStream(): Buffer {
  const frame = 2 + 4 + SIZE;
  const out = Buffer.allocUnsafe(FRAMES * frame);
  for (let m = 0; m < FRAMES; m++) {
    const at = m * frame;
    out[at] = 0x82;
    out[at + 1] = 0x80 | SIZE;
    const key = randomBytes(4);
    key.copy(out, at + 2);
    for (let i = 0; i < SIZE; i++) out[at + 6 + i] = (0x61 + (i % 26)) ^ key[i & 3];
  }
  return out;
}

const tick = () => new Promise<void>((r) => queueMicrotask(r));

async function main(): Promise<void> {
  const modules = await Promise.all(dirs.map(load));
  const echoes = modules.map((m) => {
    const server = new m.WebSocketServer({
      textAs: "bytes",
      maxPayload: 0,
      idleTimeout: 0,
      backpressureLimit: 0,
      maxConnections: 0,
      handler: { message: (ws, data, isBinary) => ws.send(data as Uint8Array, { binary: isBinary }) },
    });
    const t = transport((x) => m.serverInternals(server).accept(x, { secure: false }));
    t.events.receive(new Uint8Array(REQUEST));
    return t;
  });
  const lifecycles = modules.map((m) => {
    const server = new m.WebSocketServer({ idleTimeout: 0, maxConnections: 0, handler: { message() {} } });
    return m.serverInternals(server);
  });
  const stream = echoStream();
  const work = Buffer.allocUnsafe(stream.length);
  const perMessage = dirs.map(() => Number.POSITIVE_INFINITY);
  const perConnection = dirs.map(() => Number.POSITIVE_INFINITY);
  // Rotated, so no copy always runs first; echoes and lifecycles apart, so neither's garbage lands
  // in the other's figures.
  const order = (pass: number) => dirs.map((_, i) => (i + pass) % dirs.length);
  for (let pass = 0; pass < PASSES; pass++) {
    for (const k of order(pass)) {
      stream.copy(work);
      const t0 = performance.now();
      for (let off = 0; off < work.length; off += CHUNK) {
        echoes[k].events.receive(work.subarray(off, off + CHUNK));
        await tick();
      }
      perMessage[k] = Math.min(perMessage[k], ((performance.now() - t0) * 1e6) / FRAMES);
    }
  }
  for (let pass = 0; pass < PASSES; pass++) {
    for (const k of order(pass)) {
      const t0 = performance.now();
      for (let c = 0; c < CONNECTIONS; c++) {
        const t = transport((x) => lifecycles[k].accept(x, { secure: false }));
        // Fresh arrays, as a runtime's reads are.
        t.events.receive(new Uint8Array(REQUEST));
        t.events.receive(new Uint8Array(CLOSE));
        await tick();
        await tick();
      }
      perConnection[k] = Math.min(perConnection[k], ((performance.now() - t0) * 1e3) / CONNECTIONS);
    }
  }
  const runtime = "Bun" in globalThis ? "bun" : "Deno" in globalThis ? "deno" : `node ${process.version}`;
  console.log(`${runtime}, best of ${PASSES} passes; ${(written / 1e6).toFixed(0)} MB written`);
  for (let k = 0; k < dirs.length; k++)
    console.log(
      `${dirs[k]}: ${perMessage[k].toFixed(1)} ns per 32 B echo, ${perConnection[k].toFixed(2)} µs per connection ` +
        "(request, 101, the peer's close, our close, TCP gone)",
    );
}

await main();
