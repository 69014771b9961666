// Routing, subprotocol handlers, codecs, the upgrade hook, pub/sub and eviction, the same on every
// way a server runs (test/runtime/fixture-mount.ts): `engine` (serve(), our engine), `native`
// (Deno.serve / Bun.serve with the runtime's WebSocket underneath; node:http + attach on Node) and
// `hono` (a Hono app on the runtime's server). Throttling is our engine's. Peers: `ws`, and undici's
// WebSocket (the browser-style client Node ships as its global WebSocket from Node 22).
import { type ChildProcess, spawn } from "node:child_process";
import { connect } from "node:net";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { WebSocket as UndiciWebSocket } from "undici";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import WsClient from "ws";
import { newKey, upgradeRequest } from "../conformance/http.ts";

const HOST = "127.0.0.1";
const FIXTURE = fileURLToPath(new URL("../../dist/test/runtime/fixture-mount.js", import.meta.url));
type Event = Record<string, unknown>;

export function mountSuite(runtime: string, command: string[]): void {
  let child: ChildProcess;
  const events: Event[] = [];
  let wake: () => void = () => {};
  let ports: Record<string, number> = {};
  let hono = false;
  const clients: WsClient[] = [];

  /** The first fixture line with these fields, waiting for it. */
  async function event(fields: Event, ms = 5000): Promise<Event> {
    const deadline = Date.now() + ms;
    for (;;) {
      const found = events.find((e) => Object.entries(fields).every(([k, v]) => e[k] === v));
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`no event ${JSON.stringify(fields)} in ${ms} ms`);
      await new Promise<void>((r) => {
        wake = r;
        setTimeout(r, 50);
      });
    }
  }

  beforeAll(async () => {
    const [program, ...args] = command;
    child = spawn(program, [...args, FIXTURE], { stdio: ["ignore", "pipe", "inherit"] });
    createInterface({ input: child.stdout! }).on("line", (line) => {
      events.push(JSON.parse(line));
      wake();
    });
    const ready = await event({ ready: true }, 20_000);
    ports = ready.ports as Record<string, number>;
    hono = ready.hono === true;
    // Hono (and @hono/node-server) are dev dependencies: the app must be there.
    expect(hono).toBe(true);
  }, 30_000);
  afterAll(() => child?.kill("SIGKILL"));
  afterEach(() => {
    for (const ws of clients.splice(0)) ws.terminate();
  });

  let n = 0;
  const tag = () => `c${++n}`;

  /** Opens a ws client; resolves on open, rejects with the HTTP status of a refusal. */
  function open(port: number, path: string, protocols?: string[], headers?: Record<string, string>) {
    const ws = new WsClient(`ws://${HOST}:${port}${path}`, protocols, { headers });
    clients.push(ws);
    const messages: unknown[] = [];
    ws.on("message", (data, isBinary) => messages.push(isBinary ? data : `${data}`));
    ws.on("error", () => {});
    return new Promise<{ ws: WsClient; messages: unknown[]; headers: Record<string, unknown> }>(
      (resolve, reject) => {
        let headers: Record<string, unknown> = {};
        ws.once("upgrade", (res) => (headers = res.headers));
        ws.once("open", () => resolve({ ws, messages, headers }));
        ws.once("unexpected-response", (_, res) => reject(new Error(`status ${res.statusCode}`)));
        ws.once("error", reject);
      },
    );
  }

  /** The status of an upgrade request written by hand, with these extra header lines. */
  function statusOf(port: number, path: string, lines: string[]): Promise<number> {
    return within(
      new Promise((resolve, reject) => {
        const socket = connect(port, HOST);
        let head = "";
        socket.on("data", (d) => {
          head += d;
          const m = /^HTTP\/1\.1 (\d{3})/.exec(head);
          if (!m) return;
          socket.destroy();
          resolve(Number(m[1]));
        });
        socket.on("error", reject);
        socket.write(upgradeRequest(`${HOST}:${port}`, path, newKey(), lines));
      }),
      "a status line",
    );
  }

  const next = (ws: WsClient): Promise<string> =>
    within(new Promise((resolve) => ws.once("message", (d) => resolve(`${d}`))), "a message");
  const closeOf = (ws: WsClient): Promise<{ code: number; reason: string }> =>
    within(
      new Promise((resolve) => ws.once("close", (code, reason) => resolve({ code, reason: `${reason}` }))),
      "a close",
    );

  describe(`mounting on ${runtime}`, () => {
    for (const target of ["engine", "native", "hono"]) {
      describe(target, () => {
        const port = (server: string) => ports[`${target}-${server}`];

        it("routes by path (ws.path, query kept) and answers 404 elsewhere", async () => {
          const { ws } = await open(port("routes"), "/chat?room=1");
          ws.send("hi");
          expect(await next(ws)).toBe("chat /chat?room=1 - hi");
          await expect(open(port("routes"), "/nowhere")).rejects.toThrow("status 404");
          await expect(open(port("routes"), "/chat/more")).rejects.toThrow("status 404");
        });

        it("serves a connection by the first subprotocol it offers that has a handler", async () => {
          const first = await open(port("routes"), "/chat", ["x", "chat.v2", "jsonrpc"]);
          expect(first.ws.protocol).toBe("chat.v2");
          first.ws.send("hello");
          expect(await next(first.ws)).toBe("v2 hello");
          const rpc = await open(port("routes"), "/chat", ["jsonrpc", "chat.v2"]);
          expect(rpc.ws.protocol).toBe("jsonrpc");
          rpc.ws.send(JSON.stringify({ jsonrpc: "2.0", id: 7, method: "echo", params: [1, "a"] }));
          expect(JSON.parse(await next(rpc.ws))).toEqual({ jsonrpc: "2.0", id: 7, result: [1, "a"] });
        });

        it('codec "json": message gets the value, send takes any JSON value; invalid JSON closes 1007', async () => {
          const path = `/json/${tag()}`;
          const { ws } = await open(port("routes"), path);
          ws.send(JSON.stringify({ a: [1, 2], b: "ü" }));
          expect(JSON.parse(await next(ws))).toEqual({ got: { a: [1, 2], b: "ü" }, path });
          ws.send(Buffer.from("[true, null]"));
          expect(JSON.parse(await next(ws))).toEqual({ got: [true, null], path });
          const closed = closeOf(ws);
          ws.send("{not json");
          expect((await closed).code).toBe(1007);
          expect(await event({ server: `${target}-routes`, event: "error", path })).toMatchObject({
            code: "WS_ERR_INVALID_MESSAGE",
          });
        });

        it('onInvalid "error": invalid JSON goes to error and the connection stays', async () => {
          const { ws } = await open(port("routes"), "/lenient");
          ws.send("nope");
          expect(JSON.parse(await next(ws))).toEqual({ error: "WS_ERR_INVALID_MESSAGE" });
          ws.send("42");
          expect(JSON.parse(await next(ws))).toEqual({ got: 42 });
        });

        it("runs the route's upgrade hook: its data and 101 fields, or its Response", async () => {
          const { ws, headers, messages } = await open(port("routes"), "/hook/in?user=ann");
          expect(headers["x-hook"]).toBe("accepted");
          if (messages.length === 0) await next(ws);
          expect(messages[0]).toBe("hello ann");
          await expect(open(port("routes"), "/hook/refuse")).rejects.toThrow("status 401");
        });

        it("refuses an Origin not listed with 403", async () => {
          await expect(open(port("routes"), "/chat", [], { Origin: "https://evil.example" })).rejects.toThrow(
            "status 403",
          );
          await open(port("routes"), "/chat", [], { Origin: "https://good.example" });
        });

        it("refuses two Origin headers with 400, whichever comes first", async () => {
          for (const [a, b] of [
            ["https://good.example", "https://evil.example"],
            ["https://evil.example", "https://good.example"],
          ])
            expect(await statusOf(port("routes"), "/chat", [`Origin: ${a}`, `Origin: ${b}`])).toBe(400);
          expect(await statusOf(port("routes"), "/chat", ["Origin: https://good.example"])).toBe(101);
        });

        it("publishes to the other subscribers of a topic", async () => {
          const [a, b] = [`/room/${tag()}`, `/room/${tag()}`];
          const first = await open(port("routes"), a);
          const second = await open(port("routes"), b);
          await event({ server: `${target}-routes`, event: "open", path: b });
          const got = next(second.ws);
          first.ws.send("hello room");
          expect(await got).toBe(`${a}: hello room`);
        });

        it("speaks JSON-RPC with a browser-style client (undici) that offers two subprotocols", async () => {
          const ws = new UndiciWebSocket(`ws://${HOST}:${port("routes")}/chat`, ["jsonrpc", "chat.v2"]);
          await within(
            new Promise((resolve, reject) => {
              ws.onopen = resolve;
              ws.onerror = reject;
            }),
            "open",
          );
          expect(ws.protocol).toBe("jsonrpc");
          const reply = within(
            new Promise<string>((resolve) => {
              ws.onmessage = (e) => resolve(String(e.data));
            }),
            "a reply",
          );
          ws.send(JSON.stringify({ jsonrpc: "2.0", id: 3, method: "m", params: { ok: true } }));
          expect(JSON.parse(await reply)).toEqual({ jsonrpc: "2.0", id: 3, result: { ok: true } });
          const closed = within(
            new Promise<number>((resolve) => {
              ws.onclose = (e) => resolve(e.code);
            }),
            "the close",
          );
          ws.close(1000);
          expect(await closed).toBe(1000);
        });

        it('evict "oldest": a third connection closes the first with 1001', async () => {
          const [p1, p2, p3] = [`/${tag()}`, `/${tag()}`, `/${tag()}`];
          const c1 = await open(port("evict-oldest"), p1);
          await open(port("evict-oldest"), p2);
          const closed = closeOf(c1.ws);
          const c3 = await open(port("evict-oldest"), p3);
          expect(await closed).toEqual({ code: 1001, reason: "evicted: server at maxConnections" });
          c3.ws.send("still here");
          expect(await next(c3.ws)).toBe("still here");
        });

        it('evict "idle": a third connection closes the least recently active', async () => {
          const [p1, p2, p3] = [`/${tag()}`, `/${tag()}`, `/${tag()}`];
          const c1 = await open(port("evict-idle"), p1);
          const c2 = await open(port("evict-idle"), p2);
          c1.ws.send("active");
          expect(await next(c1.ws)).toBe("active");
          const closed = closeOf(c2.ws);
          await open(port("evict-idle"), p3);
          expect((await closed).code).toBe(1001);
          expect(c1.ws.readyState).toBe(WsClient.OPEN);
        });
      });
    }

    it("a Hono app serves plain routes next to the WebSocket ones", async () => {
      const res = await fetch(`http://${HOST}:${ports["hono-routes"]}/plain`);
      expect(await res.text()).toBe("hono here");
    });

    it("throttle out: 90 kB at 40 kB/s take over a second, all of it in order", async () => {
      const { ws, messages } = await open(ports["engine-throttle-out"], "/");
      const start = Date.now();
      ws.send("!flood 3 30000");
      await within(
        until(() => messages.length >= 3),
        "3 messages",
        8000,
      );
      expect(Date.now() - start).toBeGreaterThan(1000);
      expect(messages.map((m) => (m as Buffer)[0])).toEqual([0, 1, 2]);
    });

    it("throttle in: reading 90 kB at 40 kB/s takes over a second; nothing is dropped", async () => {
      const { ws, messages } = await open(ports["engine-throttle-in"], "/");
      const start = Date.now();
      for (let i = 0; i < 3; i++) ws.send(new Uint8Array(30000).fill(i));
      await within(
        until(() => messages.length >= 3),
        "3 messages",
        8000,
      );
      expect(Date.now() - start).toBeGreaterThan(1000);
      expect(messages.map((m) => [(m as Buffer).length, (m as Buffer)[29999]])).toEqual([
        [30000, 0],
        [30000, 1],
        [30000, 2],
      ]);
    });
  });
}

/** p, or a rejection after ms: a test that waits for what never comes fails fast. */
function within<T>(p: Promise<T>, what: string, ms = 3000): Promise<T> {
  let timer: ReturnType<typeof setTimeout>;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no ${what} within ${ms} ms`)), ms);
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

async function until(done: () => boolean): Promise<void> {
  while (!done()) await new Promise((r) => setTimeout(r, 20));
}
