// The worker test/workerd.test.ts runs in workerd. It imports wasmsock as a user's worker does; the
// "workerd" export condition gives dist/host-web/workerd.js, which imports the core as a .wasm module.
//   GET /            200 "ready" (the harness polls it)
//   GET /tcp?port=N             raw connect() round trip to a TCP echo server: proves the harness
//   GET /ws?url=ws://...        text, binary, ping, close against an echo server; JSON of all it saw
//   GET /server-close?url=...   the server closes; the close event
//   GET /refused?url=...        nothing listens; the error and close events, connect()'s rejection
//   GET /events                 what the inbound server logged, as JSON lines
// Inbound: a WebSocket upgrade on any path goes to a WebSocketServer with the routes of
// test/runtime/fixture-routes.ts, over workerd's own WebSocketPair.
import { connect as tcp } from "cloudflare:sockets";
import { type CloseEvent, connect, type ErrorEvent, WebSocket, WebSocketServer } from "wasmsock";
import { routesOptions } from "../runtime/fixture-routes.ts";

const events: Record<string, unknown>[] = [];
const wss = new WebSocketServer(
  routesOptions((line) => events.push({ ...line, server: `workerd-${line.server}` })),
);

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Bytes as a short, comparable summary: length and a rolling hash. */
function digest(bytes: Uint8Array): { length: number; hash: number } {
  let hash = 0;
  for (const b of bytes) hash = (hash * 31 + b) >>> 0;
  return { length: bytes.length, hash };
}

/** Resolves with the next event of `type`; rejects after ms. */
function next<T extends Event>(ws: WebSocket, type: string, ms = 3000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${type} event in ${ms} ms`)), ms);
    ws.addEventListener(
      type,
      (e) => {
        clearTimeout(timer);
        resolve(e as T);
      },
      { once: true },
    );
  });
}

async function tcpEcho(port: number): Promise<Response> {
  const socket = tcp({ hostname: "127.0.0.1", port });
  const writer = socket.writable.getWriter();
  await writer.write(encoder.encode("ping over tcp"));
  const { value } = await socket.readable.getReader().read();
  await socket.close();
  return new Response(decoder.decode(value));
}

async function exchange(url: string): Promise<Response> {
  const seen: Record<string, unknown> = {};
  const messages: unknown[] = [];
  const errors: string[] = [];
  const ws = await connect(url, { protocols: ["chat", "superchat"] });
  ws.binaryType = "arraybuffer";
  ws.addEventListener("message", (e) => {
    const data = (e as MessageEvent).data;
    messages.push(
      typeof data === "string"
        ? { type: "text", data }
        : { type: "binary", isArrayBuffer: data instanceof ArrayBuffer, ...digest(new Uint8Array(data)) },
    );
  });
  ws.addEventListener("error", (e) => errors.push((e as ErrorEvent).message));
  seen.open = { readyState: ws.readyState, protocol: ws.protocol, extensions: ws.extensions, url: ws.url };

  const replies = new Promise<void>((resolve) => {
    ws.addEventListener("message", () => messages.length === 3 && resolve());
  });
  const pong = next<MessageEvent>(ws, "pong");
  ws.send("héllo wasmsock ✓ 🌍");
  ws.send(new Uint8Array([0, 1, 2, 253, 254, 255]));
  ws.send(Uint8Array.from({ length: 100_000 }, (_, i) => (i * 31) & 255));
  ws.ping("are you there");
  seen.pong = [...new Uint8Array((await pong).data)];
  await replies;
  seen.messages = messages;

  const closed = next<CloseEvent>(ws, "close");
  ws.close(4001, "done here");
  seen.closing = ws.readyState;
  const c = await closed;
  seen.close = { code: c.code, reason: c.reason, wasClean: c.wasClean, readyState: ws.readyState };
  seen.errors = errors;
  return Response.json(seen);
}

/** The server closes on "bye": the client echoes the close and sees it end cleanly. */
async function serverClose(url: string): Promise<Response> {
  const ws = await connect(url);
  const closed = next<CloseEvent>(ws, "close");
  ws.send("bye");
  const c = await closed;
  return Response.json({ code: c.code, reason: c.reason, wasClean: c.wasClean });
}

/** Nothing listens: an error event, then close 1006, and connect() rejects. */
async function refused(url: string): Promise<Response> {
  const ws = new WebSocket(url);
  const error = next<ErrorEvent>(ws, "error");
  const c = await next<CloseEvent>(ws, "close");
  const rejection = await connect(url).then(
    () => "opened",
    (e: Error) => e.message,
  );
  return Response.json({ error: (await error).message, code: c.code, wasClean: c.wasClean, rejection });
}

const routes: Record<string, (url: string) => Promise<Response>> = {
  "/ws": exchange,
  "/server-close": serverClose,
  "/refused": refused,
};

export default {
  async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const target = url.searchParams.get("url") ?? "";
    if (request.headers.get("upgrade")?.toLowerCase() === "websocket") return wss.upgrade(request);
    if (url.pathname === "/events") return Response.json(events);
    try {
      if (url.pathname === "/tcp") return await tcpEcho(Number(url.searchParams.get("port")));
      const route = routes[url.pathname];
      return route ? await route(target) : new Response("ready");
    } catch (e) {
      return new Response(String((e as Error).stack ?? e), { status: 500 });
    }
  },
};
