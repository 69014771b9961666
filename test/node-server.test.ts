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

describe("undici and textAs", () => {
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

describe("subprotocols", () => {
  it("takes a chooser's pick of the offered ones, and ignores one it invents", async () => {
    const byFn = await start({ protocols: (offered) => offered.at(-1) });
    expect((await wsClient(byFn.port, "/", ["x", "y"])).protocol).toBe("y");
    // Never answer with a protocol that was not offered.
    const rogue = await start({ protocols: () => "z" });
    const raw = new Raw(rogue.port);
    raw.send(request("/", "Sec-WebSocket-Protocol: x\r\n"));
    expect(await raw.head()).not.toMatch(/Sec-WebSocket-Protocol/i);
  });
});

describe("batching on a real socket", () => {
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

  it("handleUpgrade() runs the upgrade hook: https:// on a TLS socket, data before open, cb after", async () => {
    const seen: string[] = [];
    const wss = createUpgradeHandler<{ user: string | null }>({
      handler: {
        upgrade: (req) => {
          seen.push(`${req.url} ${req.headers.get("cookie")}`);
          return { data: { user: new URL(req.url).searchParams.get("u") } };
        },
        open: (ws) => seen.push(`open ${ws.data.user}`),
      },
    });
    servers.push(wss as Server);
    const http = createHttpServer();
    http.on("upgrade", (req, socket, head) => {
      // What a node:tls socket says of itself; the hook's URL follows it.
      Object.defineProperty(socket, "encrypted", { value: true });
      wss.handleUpgrade(req, socket, head, (ws) => seen.push(`cb ${ws.data.user}`));
    });
    await new Promise<void>((r) => http.listen(0, "127.0.0.1", r));
    cleanup.push(() => http.close());
    const port = (http.address() as { port: number }).port;
    const ws = new WsClient(`ws://127.0.0.1:${port}/x?u=ann`, { headers: { Cookie: "a=1" } });
    cleanup.push(() => ws.terminate());
    await once(ws, "open");
    expect(seen).toEqual([`https://127.0.0.1:${port}/x?u=ann a=1`, "open ann", "cb ann"]);
  });
});
