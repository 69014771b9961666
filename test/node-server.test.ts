// The Node server against real peers (ws, undici) and raw TCP for exact bytes on the wire.
import { spawn } from "node:child_process";
import { once } from "node:events";
import { createServer as createHttpServer } from "node:http";
import { type Socket, connect as tcpConnect } from "node:net";
import { WebSocket as UndiciWebSocket } from "undici";
import { afterEach, describe, expect, it } from "vitest";
import WsClient from "ws";
import {
  attach,
  createUpgradeHandler,
  type Server,
  type ServerWebSocket,
  serve,
  type WebSocketHandler,
} from "../host-node/index.ts";

const KEY = "dGhlIHNhbXBsZSBub25jZQ==";
const servers: Server[] = [];
const cleanup: (() => void)[] = [];

afterEach(async () => {
  for (const c of cleanup.splice(0)) c();
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

const echo: WebSocketHandler = {
  message: (ws, data, isBinary) => ws.send(data, { binary: isBinary }),
};

async function start(options: Partial<Parameters<typeof serve>[0]> = {}): Promise<Server> {
  const server = await serve({ host: "127.0.0.1", port: 0, handler: echo, ...options });
  servers.push(server);
  return server;
}

function wsClient(port: number, path = "/", protocols?: string[]): Promise<WsClient> {
  const ws = new WsClient(`ws://127.0.0.1:${port}${path}`, protocols);
  cleanup.push(() => ws.terminate());
  return new Promise((resolve, reject) => {
    ws.once("open", () => resolve(ws));
    ws.once("error", reject);
  });
}

function roundTrip(ws: WsClient, data: string | Buffer): Promise<{ data: Buffer; isBinary: boolean }> {
  return new Promise((resolve) => {
    ws.once("message", (d, isBinary) => resolve({ data: d as Buffer, isBinary }));
    ws.send(data);
  });
}

function closeOf(ws: WsClient): Promise<number> {
  return new Promise((resolve) => ws.once("close", (code) => resolve(code)));
}

// A raw TCP peer: it never answers pings on its own and reads exactly what arrives.
class Raw {
  readonly socket: Socket;
  buffer = Buffer.alloc(0);
  ended = false;

  constructor(port: number) {
    this.socket = tcpConnect(port, "127.0.0.1");
    this.socket.on("data", (b) => {
      this.buffer = Buffer.concat([this.buffer, b]);
    });
    this.socket.on("close", () => {
      this.ended = true;
    });
    this.socket.on("error", () => {});
    cleanup.push(() => this.socket.destroy());
  }

  send(bytes: string | Uint8Array): void {
    this.socket.write(bytes);
  }

  async until(test: () => boolean, ms = 3000): Promise<void> {
    const end = Date.now() + ms;
    while (!test()) {
      if (Date.now() > end) throw new Error(`timed out; got ${this.buffer.toString("latin1")}`);
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  /** Reads the response head and returns it; what follows stays in buffer. */
  async head(): Promise<string> {
    await this.until(() => this.buffer.includes("\r\n\r\n") || this.ended);
    const end = this.buffer.indexOf("\r\n\r\n") + 4;
    const head = this.buffer.subarray(0, end).toString("latin1");
    this.buffer = this.buffer.subarray(end);
    return head;
  }
}

function request(path = "/", extra = ""): string {
  return `GET ${path} HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${KEY}\r\nSec-WebSocket-Version: 13\r\n${extra}\r\n`;
}

async function upgraded(port: number): Promise<Raw> {
  const raw = new Raw(port);
  raw.send(request());
  expect(await raw.head()).toMatch(/^HTTP\/1\.1 101 /);
  return raw;
}

async function statusOf(port: number, req: string): Promise<string> {
  const raw = new Raw(port);
  raw.send(req);
  await raw.until(() => raw.ended);
  return raw.buffer.toString("latin1");
}

/** A masked client frame (5.2, 5.3) with a zero key, so the payload reads as-is. */
function clientFrame(b0: number, payload: Uint8Array = new Uint8Array(0)): Buffer {
  if (payload.length > 125) throw new Error("short frames only");
  return Buffer.concat([Buffer.from([b0, 0x80 | payload.length, 0, 0, 0, 0]), payload]);
}

describe("echo with ws and undici", () => {
  it("echoes text, binary and the length boundaries unchanged", async () => {
    const server = await start({ maxPayload: 64 * 1024 * 1024 });
    const ws = await wsClient(server.port);
    expect(await roundTrip(ws, "héllo")).toEqual({ data: Buffer.from("héllo"), isBinary: false });
    for (const n of [0, 125, 126, 65535, 65536, 16 * 1024 * 1024]) {
      const payload = Buffer.alloc(n, n & 0xff);
      const r = await roundTrip(ws, payload);
      expect(r.isBinary).toBe(true);
      expect(r.data.equals(payload)).toBe(true);
    }
    const empty = await roundTrip(ws, "");
    expect(empty).toEqual({ data: Buffer.alloc(0), isBinary: false });
  });

  it("works with undici's WebSocket", async () => {
    const server = await start();
    const ws = new UndiciWebSocket(`ws://127.0.0.1:${server.port}/`);
    cleanup.push(() => ws.close());
    ws.binaryType = "arraybuffer";
    await once(ws as unknown as EventTarget, "open");
    const got: unknown[] = [];
    const done = new Promise<void>((resolve) =>
      ws.addEventListener("message", (e) => {
        got.push(e.data);
        if (got.length === 2) resolve();
      }),
    );
    ws.send("text");
    ws.send(new Uint8Array([1, 2, 3]));
    await done;
    expect(got[0]).toBe("text");
    expect(new Uint8Array(got[1] as ArrayBuffer)).toEqual(new Uint8Array([1, 2, 3]));
    const closed = once(ws as unknown as EventTarget, "close");
    ws.close(1000, "done");
    const [event] = (await closed) as [CloseEvent];
    expect(event.code).toBe(1000);
  });

  it("answers a ping with a pong and reports the peer's pong to the handler", async () => {
    let pong: Uint8Array | undefined;
    const server = await start({
      handler: { ...echo, open: (ws) => ws.ping("hb"), pong: (_ws, data) => (pong = data) },
    });
    const ws = await wsClient(server.port);
    const got = new Promise<Buffer>((resolve) => ws.once("pong", resolve));
    ws.ping("abc");
    expect((await got).toString()).toBe("abc");
    await new Promise((r) => setTimeout(r, 50));
    expect(new TextDecoder().decode(pong)).toBe("hb");
  });

  it("delivers text as bytes with textAs: bytes", async () => {
    let got: unknown;
    const server = await start({ textAs: "bytes", handler: { message: (_ws, data) => (got = data) } });
    const ws = await wsClient(server.port);
    ws.send("abc");
    await new Promise((r) => setTimeout(r, 50));
    expect(got).toBeInstanceOf(Uint8Array);
  });
});

describe("streaming", () => {
  it("hands a 40 MiB message over in pieces, in order, without assembling it", async () => {
    const pieces: { length: number; first: boolean; fin: boolean; sample: number }[] = [];
    const done = new Promise<void>((resolve) => {
      void start({
        maxPayload: 0,
        handler: {
          fragment: (_ws, data, isBinary, first, fin) => {
            expect(isBinary).toBe(true);
            pieces.push({ length: data.length, first, fin, sample: data[0] });
            if (fin) resolve();
          },
          message: () => expect.unreachable("message is not called in streaming mode"),
        },
      }).then(async (server) => (await wsClient(server.port)).send(Buffer.alloc(40 << 20, 7)));
    });
    await done;
    expect(pieces.length).toBeGreaterThan(1);
    expect(pieces.every((p) => p.length <= 64 * 1024)).toBe(true);
    expect(pieces.reduce((n, p) => n + p.length, 0)).toBe(40 << 20);
    expect(pieces.map((p) => p.first)).toEqual(pieces.map((_, i) => i === 0));
    expect(pieces.map((p) => p.fin)).toEqual(pieces.map((_, i) => i === pieces.length - 1));
    expect(pieces.every((p) => p.length === 0 || p.sample === 7)).toBe(true);
  });
});

describe("handshake policy", () => {
  it("chooses a subprotocol the client offered", async () => {
    const byList = await start({ protocols: ["b", "c"] });
    expect((await wsClient(byList.port, "/", ["a", "b"])).protocol).toBe("b");
    const byFn = await start({ protocols: (offered) => offered.at(-1) });
    expect((await wsClient(byFn.port, "/", ["x", "y"])).protocol).toBe("y");
    // A chooser that invents a protocol is ignored: never answer with one that was not offered.
    const rogue = await start({ protocols: () => "z" });
    const raw = new Raw(rogue.port);
    raw.send(request("/", "Sec-WebSocket-Protocol: x\r\n"));
    expect(await raw.head()).not.toMatch(/Sec-WebSocket-Protocol/i);
  });

  it("answers path, origin, method, version and size violations with their statuses", async () => {
    const server = await start({ path: ["/chat", "/rooms/*"], origins: ["https://*.example.com"] });
    const p = server.port;
    expect(await statusOf(p, request("/other"))).toMatch(/^HTTP\/1\.1 404 /);
    const ok = new Raw(p);
    ok.send(request("/rooms/1?x=y", "Origin: https://a.example.com\r\n"));
    expect(await ok.head()).toMatch(/^HTTP\/1\.1 101 /);
    expect(await statusOf(p, request("/chat", "Origin: https://evil.test\r\n"))).toMatch(/^HTTP\/1\.1 403 /);
    expect(await statusOf(p, "GET /chat HTTP/1.1\r\nHost: x\r\n\r\n")).toMatch(
      /^HTTP\/1\.1 426 [\s\S]*Sec-WebSocket-Version: 13/,
    );
    expect(await statusOf(p, "GET /nope HTTP/1.1\r\nHost: x\r\n\r\n")).toMatch(/^HTTP\/1\.1 404 /);
    expect(await statusOf(p, "POST /chat HTTP/1.1\r\nHost: x\r\n\r\n")).toMatch(
      /^HTTP\/1\.1 405 [\s\S]*Allow: GET/,
    );
    expect(await statusOf(p, request("/chat").replace("13", "8"))).toMatch(/^HTTP\/1\.1 426 /);
    expect(await statusOf(p, request("/chat").replace(KEY, "short"))).toMatch(/^HTTP\/1\.1 400 /);
    expect(await statusOf(p, request("/chat", `X-Big: ${"a".repeat(9000)}\r\n`))).toMatch(/^HTTP\/1\.1 431 /);
  });

  it("refuses connections past maxConnections with 503", async () => {
    const server = await start({ maxConnections: 1 });
    await wsClient(server.port);
    expect(await statusOf(server.port, request())).toMatch(/^HTTP\/1\.1 503 /);
  });

  it("destroys a connection that never finishes its request head", async () => {
    const server = await start({ handshakeTimeout: 100 });
    const raw = new Raw(server.port);
    raw.send("GET / HTTP/1.1\r\n");
    await raw.until(() => raw.ended, 2000);
    expect(raw.buffer.length).toBe(0);
  });
});

describe("limits and failures", () => {
  it("closes with 1009 past maxPayload", async () => {
    const server = await start({ maxPayload: 1000 });
    const ws = await wsClient(server.port);
    ws.on("error", () => {});
    const code = closeOf(ws);
    ws.send(Buffer.alloc(1001));
    expect(await code).toBe(1009);
  });

  it("fails the connection with 1002 on a reserved opcode and ends TCP", async () => {
    let error: string | undefined;
    let closed: number | undefined;
    const server = await start({
      handler: { error: (_ws, err) => (error = err.code), close: (_ws, code) => (closed = code) },
    });
    const raw = await upgraded(server.port);
    raw.send(clientFrame(0x83)); // FIN + opcode 3 (5.2: reserved)
    await raw.until(() => raw.ended);
    expect([...raw.buffer.subarray(0, 4)]).toEqual([0x88, 2, 0x03, 0xea]); // close 1002
    await new Promise((r) => setTimeout(r, 20));
    expect(error).toBe("WS_ERR_RESERVED_OPCODE");
    expect(closed).toBe(1002);
  });

  it("closes idle peers that do not answer the heartbeat ping", async () => {
    const server = await start({ idleTimeout: 200 });
    const raw = await upgraded(server.port);
    await raw.until(() => raw.ended, 3000);
    expect(raw.buffer[0]).toBe(0x89); // the ping
    const close = raw.buffer.indexOf(0x88);
    expect(raw.buffer.readUInt16BE(close + 2)).toBe(1001);
  });

  it("keeps idle peers that answer pings", async () => {
    const server = await start({ idleTimeout: 100 });
    const ws = await wsClient(server.port);
    await new Promise((r) => setTimeout(r, 400));
    expect(ws.readyState).toBe(WsClient.OPEN);
  });

  it("server.close() sends 1001 to every peer", async () => {
    const server = await start();
    const a = await wsClient(server.port);
    const b = await wsClient(server.port);
    const codes = Promise.all([closeOf(a), closeOf(b)]);
    await server.close();
    expect(await codes).toEqual([1001, 1001]);
    expect(server.clients.size).toBe(0);
  });

  it("destroys TCP when the peer never answers our close", async () => {
    let code: number | undefined;
    const server = await start({
      closeTimeout: 100,
      handler: { open: (ws) => ws.close(4000, "bye"), close: (_ws, c) => (code = c) },
    });
    const raw = await upgraded(server.port);
    await raw.until(() => raw.ended, 2000);
    expect([...raw.buffer.subarray(0, 4)]).toEqual([0x88, 5, 0x0f, 0xa0]);
    await new Promise((r) => setTimeout(r, 20));
    expect(code).toBe(1006);
  });
});

describe("closing handshake (7.1)", () => {
  it("answers a message that arrived in the same chunk as the close, then echoes the close once", async () => {
    const server = await start();
    const raw = await upgraded(server.port);
    raw.send(
      Buffer.concat([clientFrame(0x81, Buffer.from("hi")), clientFrame(0x88, Buffer.from([0x03, 0xe8]))]),
    );
    await raw.until(() => raw.ended);
    expect([...raw.buffer]).toEqual([0x81, 2, 0x68, 0x69, 0x88, 2, 0x03, 0xe8]);
  });

  it("sends one close frame when a handler closes while the peer's close is pending in the chunk", async () => {
    const server = await start({ handler: { message: (ws) => ws.close(4001) } });
    const raw = await upgraded(server.port);
    raw.send(
      Buffer.concat([clientFrame(0x81, Buffer.from("x")), clientFrame(0x88, Buffer.from([0x03, 0xe8]))]),
    );
    await raw.until(() => raw.ended);
    expect([...raw.buffer]).toEqual([0x88, 2, 0x0f, 0xa1]);
  });
});

describe("flow control", () => {
  it("send() returns false past highWaterMark and drain follows a slow reader", async () => {
    let drained = false;
    let results: boolean[] = [];
    let socket: ServerWebSocket | undefined;
    const server = await start({
      highWaterMark: 256 * 1024,
      handler: {
        open: (ws) => {
          socket = ws;
          const chunk = new Uint8Array(64 * 1024);
          results = Array.from({ length: 64 }, () => ws.send(chunk));
        },
        drain: () => (drained = true),
      },
    });
    const raw = new Raw(server.port);
    raw.socket.pause();
    raw.send(request());
    await new Promise((r) => setTimeout(r, 100));
    expect(results[0]).toBe(true);
    expect(results.at(-1)).toBe(false);
    expect(socket!.bufferedAmount).toBeGreaterThan(256 * 1024);
    expect(drained).toBe(false);
    raw.socket.resume();
    await raw.until(() => drained);
  });

  it("pause() stops reading until resume()", async () => {
    const got: string[] = [];
    let socket: ServerWebSocket | undefined;
    const server = await start({
      handler: {
        open: (ws) => {
          socket = ws;
          ws.pause();
        },
        message: (_ws, data) => got.push(data as string),
      },
    });
    const ws = await wsClient(server.port);
    ws.send("one");
    await new Promise((r) => setTimeout(r, 100));
    expect(got).toEqual([]);
    socket!.resume();
    await new Promise((r) => setTimeout(r, 100));
    expect(got).toEqual(["one"]);
  });

  it("writes everything queued while one chunk is dispatched in one write", async () => {
    const server = await start({
      handler: {
        message: (ws) => {
          ws.send("a");
          ws.send("b");
          ws.send("c");
        },
      },
    });
    const raw = await upgraded(server.port);
    let reads = 0;
    raw.socket.on("data", () => reads++);
    raw.send(clientFrame(0x81, Buffer.from("x")));
    await raw.until(() => raw.buffer.length >= 9);
    expect([...raw.buffer]).toEqual([0x81, 1, 97, 0x81, 1, 98, 0x81, 1, 99]);
    expect(reads).toBe(1);
  });
});

describe("examples", () => {
  it("the demo serves its page, a chat that broadcasts and an echo endpoint", async () => {
    const child = spawn(process.execPath, ["dist/examples/demo.js"], {
      env: { ...process.env, PORT: "0" },
      stdio: ["ignore", "pipe", "inherit"],
    });
    cleanup.push(() => child.kill());
    const [line] = (await once(child.stdout!, "data")) as [Buffer];
    const port = Number(line.toString().match(/:(\d+)\//)![1]);
    expect(await (await fetch(`http://127.0.0.1:${port}/`)).text()).toContain("/chat");
    const [a, b, e] = await Promise.all([
      wsClient(port, "/chat"),
      wsClient(port, "/chat"),
      wsClient(port, "/echo"),
    ]);
    const heard = new Promise<string>((resolve) =>
      b.on("message", (d) => {
        if (d.toString().includes("hello")) resolve(d.toString());
      }),
    );
    a.send("hello");
    expect(JSON.parse(await heard).text).toBe("hello");
    expect((await roundTrip(e, "same")).data.toString()).toBe("same");
  });
});

describe("existing HTTP servers", () => {
  it("attach() serves upgrades next to ordinary requests", async () => {
    const http = createHttpServer((_req, res) => res.end("page"));
    await new Promise<void>((r) => http.listen(0, "127.0.0.1", r));
    cleanup.push(() => http.close());
    const port = (http.address() as { port: number }).port;
    servers.push(attach(http, { path: "/ws", handler: echo }));
    expect(await (await fetch(`http://127.0.0.1:${port}/`)).text()).toBe("page");
    const ws = await wsClient(port, "/ws");
    expect((await roundTrip(ws, "hi")).data.toString()).toBe("hi");
    expect(await statusOf(port, request("/elsewhere"))).toMatch(/^HTTP\/1\.1 404 /);
  });

  it("handleUpgrade() takes a request a framework parsed", async () => {
    const wss = createUpgradeHandler({ handler: echo, protocols: ["p"] });
    servers.push(wss);
    let seen: ServerWebSocket | undefined;
    const http = createHttpServer();
    http.on("upgrade", (req, socket, head) => wss.handleUpgrade(req, socket, head, (ws) => (seen = ws)));
    await new Promise<void>((r) => http.listen(0, "127.0.0.1", r));
    cleanup.push(() => http.close());
    const port = (http.address() as { port: number }).port;
    const ws = await wsClient(port, "/any", ["p"]);
    expect(ws.protocol).toBe("p");
    expect((await roundTrip(ws, Buffer.from([9]))).data).toEqual(Buffer.from([9]));
    expect(seen?.protocol).toBe("p");
    expect(seen?.path).toBe("/any");
  });
});
