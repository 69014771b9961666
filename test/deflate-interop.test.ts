// permessage-deflate (RFC 7692) against the peers people use: ws both ways (with and without context
// takeover), Chromium (it always offers it) and python3-websockets both ways. Each exchange also
// checks the bytes on the wire, so a peer that silently fell back to uncompressed frames fails.
import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import type { Socket } from "node:net";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import WsClient, { WebSocketServer as WsServer } from "ws";
import { Deflater } from "../host-core/deflater.ts";
import { type Server, serve, WebSocket } from "../host-node/index.ts";
import { launchChromium } from "./helpers/chromium.ts";
import { spawnEcho } from "./helpers/spawn-echo.ts";

const servers: Server[] = [];
const cleanup: (() => void)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0)) c();
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

// Compressible and incompressible payloads, below and above the 1 KiB threshold.
const words = "the quick brown fox jumps over a lazy dog while wasmsock inflates".split(" ");
const prose = Array.from({ length: 60000 }, (_, i) => words[(i * 7 + (i >> 3)) % words.length]).join(" ");
const json = JSON.stringify(
  Array.from({ length: 3000 }, (_, i) => ({ id: i, name: words[(i % 11) % words.length], ok: i % 3 === 0 })),
);
const messages: (string | Buffer)[] = [
  "tiny",
  prose.slice(0, 2000),
  prose,
  json,
  randomBytes(70000),
  Buffer.alloc(3 << 20),
  "",
  Buffer.from("é✓".repeat(5000)),
];

// What our server agreed on, as its socket reports it.
let agreed = "";
async function ourServer(deflate: object | boolean = true): Promise<Server> {
  const server = await serve({
    host: "127.0.0.1",
    port: 0,
    perMessageDeflate: deflate,
    maxPayload: 64 << 20,
    handler: {
      open: (ws) => {
        agreed = ws.extensions;
      },
      message: (ws, data, isBinary) => ws.send(data, { binary: isBinary }),
    },
  });
  servers.push(server);
  return server;
}

/** Sends every message through a ws client and returns the echoes and the bytes the socket read. */
async function wsExchange(url: string, options: WsClient.ClientOptions) {
  const ws = new WsClient(url, { maxPayload: 64 << 20, ...options });
  cleanup.push(() => ws.terminate());
  await once(ws, "open");
  const echoes: { data: Buffer; isBinary: boolean }[] = [];
  for (const m of messages) {
    ws.send(m);
    const [data, isBinary] = (await once(ws, "message")) as [Buffer, boolean];
    echoes.push({ data, isBinary });
  }
  const read = (ws as unknown as { _socket: Socket })._socket.bytesRead;
  const extensions = ws.extensions;
  ws.close();
  return { echoes, read, extensions };
}

/** Sends every message through our client, which must have agreed compression, and closes it. */
async function ourExchange(ws: WebSocket) {
  ws.binaryType = "nodebuffer";
  await once(ws, "open");
  expect(ws.extensions).toMatch(/^permessage-deflate/);
  const echoes: { data: Buffer | string; isBinary: boolean }[] = [];
  for (const m of messages) {
    ws.send(m);
    const [event] = (await once(ws, "message")) as [MessageEvent];
    echoes.push({ data: event.data, isBinary: typeof event.data !== "string" });
  }
  ws.close();
  return echoes;
}

function expectEchoes(echoes: { data: Buffer | string | ArrayBuffer; isBinary: boolean }[]): void {
  expect(echoes).toHaveLength(messages.length);
  echoes.forEach((e, i) => {
    const sent = messages[i];
    expect(e.isBinary, `message ${i}`).toBe(typeof sent !== "string");
    expect(Buffer.from(e.data as Buffer).equals(Buffer.from(sent)), `message ${i}`).toBe(true);
  });
}

const total = messages.reduce((n, m) => n + Buffer.byteLength(m), 0);

describe("ws client → our server", () => {
  it("default: no context takeover either way, compressed on the wire", async () => {
    const server = await ourServer(true);
    const r = await wsExchange(`ws://127.0.0.1:${server.port}`, { perMessageDeflate: { threshold: 0 } });
    expect(r.extensions).toBe("permessage-deflate");
    expect(agreed).toBe("permessage-deflate; server_no_context_takeover; client_no_context_takeover");
    expectEchoes(r.echoes);
    // Random bytes do not compress; everything else does, by far.
    expect(r.read).toBeLessThan(total / 10);
  });

  it("context takeover both ways when allowed, and window bits as asked", async () => {
    const server = await ourServer({
      serverNoContextTakeover: false,
      clientNoContextTakeover: false,
      clientMaxWindowBits: 10,
    });
    const r = await wsExchange(`ws://127.0.0.1:${server.port}`, {
      perMessageDeflate: { threshold: 0, serverMaxWindowBits: 11 },
    });
    expect(agreed).toBe("permessage-deflate; server_max_window_bits=11; client_max_window_bits=10");
    expectEchoes(r.echoes);
    expect(r.read).toBeLessThan(total / 10);
  });

  it("without the option the server declines the offer", async () => {
    const server = await ourServer(false);
    const r = await wsExchange(`ws://127.0.0.1:${server.port}`, { perMessageDeflate: true });
    expect(r.extensions).toBe("");
    expect(agreed).toBe("");
    expectEchoes(r.echoes);
  });
});

describe("pub/sub with compression", () => {
  it("a published message is compressed once for every subscriber without context takeover", async () => {
    const server = await serve({
      host: "127.0.0.1",
      port: 0,
      perMessageDeflate: true,
      handler: {
        open: (ws) => ws.subscribe("news"),
        message: (_ws, data) => server.publish("news", data),
      },
    });
    servers.push(server);
    const url = `ws://127.0.0.1:${server.port}`;
    const peers = await Promise.all(
      [0, 1, 2].map(async () => {
        const ws = new WsClient(url, { perMessageDeflate: true });
        cleanup.push(() => ws.terminate());
        await once(ws, "open");
        return ws;
      }),
    );
    const plain = new WsClient(url, { perMessageDeflate: false });
    cleanup.push(() => plain.terminate());
    await once(plain, "open");
    await new Promise((r) => setTimeout(r, 50));
    const compress = vi.spyOn(Deflater.prototype, "compress");
    const got = [...peers, plain].map((p) => once(p, "message"));
    peers[0].send(prose.slice(0, 20000));
    const echoes = (await Promise.all(got)) as [Buffer, boolean][];
    for (const [data] of echoes) expect(data.toString()).toBe(prose.slice(0, 20000));
    // One compression for the three subscribers that agreed, none for the one that did not.
    expect(compress).toHaveBeenCalledTimes(1);
    compress.mockRestore();
  });
});

describe("our client → ws server", () => {
  for (const [name, options] of [
    [
      "without context takeover",
      { threshold: 0, serverNoContextTakeover: true, clientNoContextTakeover: true },
    ],
    ["with context takeover", { threshold: 0 }],
  ] as const) {
    it(name, async () => {
      const wss = new WsServer({
        host: "127.0.0.1",
        port: 0,
        perMessageDeflate: options,
        maxPayload: 64 << 20,
      });
      wss.on("connection", (peer) => peer.on("message", (d, isBinary) => peer.send(d, { binary: isBinary })));
      await once(wss, "listening");
      cleanup.push(() => wss.close());
      let peerRead = 0;
      wss.on("connection", (peer) =>
        peer.on("close", () => (peerRead = (peer as unknown as { _socket: Socket })._socket.bytesRead)),
      );
      const port = (wss.address() as { port: number }).port;
      const ws = new WebSocket(`ws://127.0.0.1:${port}`, undefined, { maxPayload: 64 << 20 });
      const echoes = await ourExchange(ws);
      await once(ws, "close");
      expectEchoes(echoes);
      // What our client wrote: compressed.
      await new Promise((r) => setTimeout(r, 50));
      expect(peerRead).toBeGreaterThan(0);
      expect(peerRead).toBeLessThan(total / 10);
    });
  }
});

describe("Chromium (it offers permessage-deflate on every connection)", () => {
  let echo: Awaited<ReturnType<typeof spawnEcho>>;
  beforeAll(async () => {
    echo = await spawnEcho(["node"], ["--deflate"]);
  });
  afterAll(() => echo?.stop());

  it("negotiates it with our echo and exchanges compressible and random messages", async () => {
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      const result = await page.evaluate(async (url) => {
        // globalThis: the browser's WebSocket, not the one this file imports.
        const ws = new globalThis.WebSocket(url);
        ws.binaryType = "arraybuffer";
        const queue: unknown[] = [];
        let wake: (() => void) | undefined;
        ws.onmessage = (e) => {
          queue.push(e.data);
          wake?.();
        };
        const next = async () => {
          while (queue.length === 0) await new Promise<void>((r) => (wake = r));
          return queue.shift();
        };
        await new Promise((resolve, reject) => {
          ws.onopen = resolve;
          ws.onerror = reject;
        });
        const text = "wasmsock compresses this line. ".repeat(20000);
        const random = crypto.getRandomValues(new Uint8Array(50000));
        const same = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((x, i) => x === b[i]);
        const out: Record<string, unknown> = { extensions: ws.extensions };
        ws.send(text);
        out.text = (await next()) === text;
        ws.send("é✓");
        out.short = await next();
        ws.send(random);
        out.random = same(new Uint8Array((await next()) as ArrayBuffer), random);
        ws.send(text + text);
        out.again = (await next()) === text + text;
        ws.close(4000);
        return out;
      }, echo.url);
      expect(result).toEqual({
        extensions: "permessage-deflate",
        text: true,
        short: "é✓",
        random: true,
        again: true,
      });
    } finally {
      await browser.close();
    }
  });

  it("python3-websockets client (compression on, its default) against our echo", () => {
    const run = spawnSync("/usr/bin/python3", ["test/fixtures/python_deflate.py", "client", echo.url], {
      encoding: "utf8",
      timeout: 60_000,
    });
    expect(run.stderr).toBe("");
    expect(JSON.parse(run.stdout)).toEqual({
      extensions: ["permessage-deflate"],
      short_text: true,
      prose_1mib: true,
      json: true,
      random_binary: true,
      zeros_4mib: true,
      empty_binary: true,
      close_code: 4002,
    });
  });
});

describe("our client → python3-websockets server (compression on, its default)", () => {
  it("negotiates and echoes", async () => {
    const py = spawn("/usr/bin/python3", ["test/fixtures/python_deflate.py", "server"], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    cleanup.push(() => py.kill("SIGKILL"));
    const [line] = (await once(py.stdout!, "data")) as [Buffer];
    const ws = new WebSocket(`ws://127.0.0.1:${Number(line.toString())}`, undefined, {
      maxPayload: 64 << 20,
    });
    const echoes = await ourExchange(ws);
    expectEchoes(echoes);
  });
});
