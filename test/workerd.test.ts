// Our client inside workerd: the worker (test/workerd/worker.ts) imports the workerd entry, opens
// ws:// and wss:// connections over cloudflare:sockets' connect() to ws servers in this process,
// and answers with what it observed. Needs `npm run build` (dist/ and build/*.wasm).
import { createServer as createHttpsServer, type Server as HttpsServer } from "node:https";
import { type AddressInfo, createServer, type Server } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WsClient, { WebSocketServer } from "ws";
import { startWorkerd, type Workerd } from "./workerd/harness.ts";

/** The same summary the worker computes: length and a rolling hash. */
function digest(bytes: Uint8Array): { length: number; hash: number } {
  let hash = 0;
  for (const b of bytes) hash = (hash * 31 + b) >>> 0;
  return { length: bytes.length, hash };
}

const text = "héllo wasmsock ✓ 🌍";
const small = new Uint8Array([0, 1, 2, 253, 254, 255]);
const large = Uint8Array.from({ length: 100_000 }, (_, i) => (i * 31) & 255);

/** What the ws server saw of one connection. */
interface Peer {
  url?: string;
  protocols?: string;
  extensions?: string;
  bytesRead?: number;
  messages: unknown[];
  ping?: string;
  close?: { code: number; reason: string };
}

/**
 * A ws echo server (over https when given one) that records the first connection; "bye" makes
 * it close with 4002. `closed` resolves when that connection's close handshake is over.
 */
async function echoServer(https?: HttpsServer, perMessageDeflate: boolean | object = false) {
  const handleProtocols = (p: Set<string>) => (p.has("superchat") ? "superchat" : false);
  const wss = https
    ? new WebSocketServer({ server: https, handleProtocols, perMessageDeflate })
    : new WebSocketServer({ port: 0, host: "127.0.0.1", handleProtocols, perMessageDeflate });
  if (https) await new Promise<void>((r) => https.listen(0, "127.0.0.1", r));
  else await new Promise((r) => wss.on("listening", r));
  const peer: Peer = { messages: [] };
  const closed = new Promise<void>((resolve) => {
    wss.once("connection", (ws, req) => {
      peer.url = req.url;
      peer.extensions = ws.extensions;
      peer.protocols = req.headers["sec-websocket-protocol"];
      ws.on("message", (data, isBinary) => {
        const bytes = data as Buffer;
        peer.messages.push(
          isBinary ? { type: "binary", ...digest(bytes) } : { type: "text", data: `${bytes}` },
        );
        if (!isBinary && `${bytes}` === "bye") ws.close(4002, "server says bye");
        else ws.send(data, { binary: isBinary });
      });
      ws.on("ping", (data) => (peer.ping = `${data}`));
      ws.on("close", (code, reason) => {
        peer.close = { code, reason: `${reason}` };
        peer.bytesRead = (ws as unknown as { _socket: { bytesRead: number } })._socket.bytesRead;
        resolve();
      });
    });
  });
  const { port } = (https ?? wss).address() as AddressInfo;
  return {
    port,
    peer,
    closed,
    close: async () => {
      await new Promise((r) => wss.close(r));
      https?.closeAllConnections();
      if (https) await new Promise((r) => https.close(r));
    },
  };
}

describe("workerd", () => {
  let worker: Workerd;
  beforeAll(async () => {
    worker = await startWorkerd();
  });
  afterAll(() => worker?.stop());

  /** Asks the worker to run a scenario against url; its JSON answer. */
  async function run(scenario: string, url: string): Promise<Record<string, unknown>> {
    const res = await fetch(`${worker.url}/${scenario}?url=${encodeURIComponent(url)}`);
    const body = await res.text();
    expect(res.status, `${body}\n${worker.output()}`).toBe(200);
    return JSON.parse(body);
  }

  it("connect() reaches a TCP server on 127.0.0.1 (the harness)", async () => {
    const server: Server = createServer((c) => c.pipe(c));
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const { port } = server.address() as AddressInfo;
    try {
      const res = await fetch(`${worker.url}/tcp?port=${port}`);
      expect(await res.text(), worker.output()).toBe("ping over tcp");
    } finally {
      server.close();
    }
  });

  for (const scheme of ["ws", "wss"] as const) {
    it(`${scheme}://: text, binary, a ping and a close with a ws server`, async () => {
      const server = await echoServer(scheme === "wss" ? createHttpsServer(worker.tls) : undefined);
      const url = `${scheme}://127.0.0.1:${server.port}/echo?from=workerd`;
      try {
        const seen = await run("ws", url);
        await server.closed;

        // What the client saw.
        expect(seen.open).toEqual({ readyState: 1, protocol: "superchat", extensions: "", url });
        expect(seen.pong).toEqual([...new TextEncoder().encode("are you there")]);
        expect(seen.messages).toEqual([
          { type: "text", data: text },
          { type: "binary", isArrayBuffer: true, ...digest(small) },
          { type: "binary", isArrayBuffer: true, ...digest(large) },
        ]);
        expect(seen.closing).toBe(2);
        expect(seen.close).toEqual({ code: 4001, reason: "done here", wasClean: true, readyState: 3 });
        expect(seen.errors).toEqual([]);

        // What the server saw.
        expect(server.peer).toEqual({
          url: "/echo?from=workerd",
          extensions: "",
          bytesRead: expect.any(Number),
          protocols: "chat, superchat",
          messages: [
            { type: "text", data: text },
            { type: "binary", ...digest(small) },
            { type: "binary", ...digest(large) },
          ],
          ping: "are you there",
          close: { code: 4001, reason: "done here" },
        });
      } finally {
        await server.close();
      }
    });
  }

  it("negotiates permessage-deflate with a ws server that has it on, compressing both ways", async () => {
    const server = await echoServer(undefined, { threshold: 0 });
    const url = `ws://127.0.0.1:${server.port}/echo?from=workerd`;
    try {
      const seen = await run("ws", url);
      await server.closed;
      expect((seen.open as { extensions: string }).extensions).toMatch(/^permessage-deflate/);
      expect(seen.messages).toEqual([
        { type: "text", data: text },
        { type: "binary", isArrayBuffer: true, ...digest(small) },
        { type: "binary", isArrayBuffer: true, ...digest(large) },
      ]);
      expect(server.peer.extensions).toMatch(/^permessage-deflate/);
      expect(server.peer.messages).toEqual([
        { type: "text", data: text },
        { type: "binary", ...digest(small) },
        { type: "binary", ...digest(large) },
      ]);
      // The 100,000-byte message repeats every 256 bytes: compressed, it is a few hundred.
      expect(server.peer.bytesRead).toBeLessThan(5000);
    } finally {
      await server.close();
    }
  });

  it("answers the server's close and reports it clean", async () => {
    const server = await echoServer();
    try {
      const seen = await run("server-close", `ws://127.0.0.1:${server.port}/`);
      await server.closed;
      expect(seen).toEqual({ code: 4002, reason: "server says bye", wasClean: true });
      // 5.5.1: the client echoed the server's close code.
      expect(server.peer.close).toEqual({ code: 4002, reason: "" });
    } finally {
      await server.close();
    }
  });

  describe("inbound: WebSocketServer over WebSocketPair (export default { fetch: (req) => wss.upgrade(req) })", () => {
    const wsUrl = (path: string) => worker.url.replace("http", "ws") + path;
    function open(path: string, protocols?: string[], headers?: Record<string, string>) {
      const ws = new WsClient(wsUrl(path), protocols, { headers });
      ws.on("error", () => {});
      return new Promise<{ ws: WsClient; headers: Record<string, unknown> }>((resolve, reject) => {
        let h: Record<string, unknown> = {};
        ws.once("upgrade", (res) => (h = res.headers));
        ws.once("open", () => resolve({ ws, headers: h }));
        ws.once("unexpected-response", (_, res) => reject(new Error(`status ${res.statusCode}`)));
        ws.once("error", reject);
      });
    }
    const next = (ws: WsClient): Promise<string> =>
      new Promise((resolve) => ws.once("message", (d) => resolve(`${d}`)));

    it("routes by path and answers 404 elsewhere; ws.path keeps the query", async () => {
      const { ws } = await open("/chat?from=ws");
      ws.send("hi");
      expect(await next(ws)).toBe("chat /chat?from=ws - hi");
      ws.close();
      await expect(open("/nowhere")).rejects.toThrow("status 404");
    });

    it("serves by the first offered subprotocol that has a handler, with its codec", async () => {
      const { ws } = await open("/chat", ["x", "jsonrpc", "chat.v2"]);
      expect(ws.protocol).toBe("jsonrpc");
      ws.send(JSON.stringify({ jsonrpc: "2.0", id: 1, params: { a: 1 } }));
      expect(JSON.parse(await next(ws))).toEqual({ jsonrpc: "2.0", id: 1, result: { a: 1 } });
      ws.close();
    });

    it('codec "json" closes with 1007 on invalid JSON and tells error', async () => {
      const { ws } = await open("/json/w1");
      ws.send("[1,2]");
      expect(JSON.parse(await next(ws))).toEqual({ got: [1, 2], path: "/json/w1" });
      const closed = new Promise<number>((r) => ws.once("close", (code) => r(code)));
      ws.send("{oops");
      expect(await closed).toBe(1007);
      const logged = (await (await fetch(`${worker.url}/events`)).json()) as Record<string, unknown>[];
      expect(logged).toContainEqual(
        expect.objectContaining({ server: "workerd-routes", event: "error", code: "WS_ERR_INVALID_MESSAGE" }),
      );
    });

    it("runs the upgrade hook (data, 101 fields, a refusing Response) and checks origins", async () => {
      const { ws, headers } = await open("/hook/in?user=bo");
      expect(headers["x-hook"]).toBe("accepted");
      expect(await next(ws)).toBe("hello bo");
      ws.close();
      await expect(open("/hook/refuse")).rejects.toThrow("status 401");
      await expect(open("/chat", [], { Origin: "https://evil.example" })).rejects.toThrow("status 403");
    });
  });

  it("reports a refused connection as error, then close 1006", async () => {
    const server: Server = createServer();
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const { port } = server.address() as AddressInfo;
    await new Promise((r) => server.close(r));
    const seen = await run("refused", `ws://127.0.0.1:${port}/`);
    expect(seen).toMatchObject({ code: 1006, wasClean: false });
    expect(seen.error).toMatch(/connect/);
    expect(seen.rejection).toBe(seen.error);
  });
});

// examples/hono/workerd.ts as wrangler would bundle it, with Hono (a dev dependency) from
// $HONO_DIR, default the repository's node_modules.
const honoDir = process.env.HONO_DIR ?? ".";
describe("workerd: the Hono example", () => {
  let worker: Workerd;
  beforeAll(async () => {
    const entry = fileURLToPath(new URL("../examples/hono/workerd.ts", import.meta.url));
    worker = await startWorkerd(10_000, entry, [join(honoDir, "node_modules")]);
  });
  afterAll(() => worker?.stop());

  it("answers plain routes and JSON-RPC over a WebSocket at /rpc", async () => {
    expect(await (await fetch(worker.url)).text()).toBe("hello from Hono");
    const ws = new WsClient(`${worker.url.replace("http", "ws")}/rpc`, ["jsonrpc"]);
    await new Promise((resolve, reject) => ws.once("open", resolve).once("error", reject));
    expect(ws.protocol).toBe("jsonrpc");
    const reply = new Promise<string>((resolve) => ws.once("message", (d) => resolve(`${d}`)));
    ws.send(JSON.stringify({ jsonrpc: "2.0", id: 9, method: "echo", params: ["x"] }));
    expect(JSON.parse(await reply)).toEqual({ jsonrpc: "2.0", id: 9, result: ["x"] });
    ws.close();
  });
});
