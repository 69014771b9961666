// The server side of test/runtime/suite.ts, run unchanged by node, deno and bun: one server per group
// of tests on 127.0.0.1, all with the same handler. It prints one JSON line with their ports, then one
// JSON line per server-side event, so tests can assert what the server saw.
//
// Every message is echoed as it came, except text starting with "!", a command:
//   !close [code] [reason]   ws.close(code, reason)
//   !ping data               ws.ping(data)
//   !terminate               ws.terminate()
//   !pause ms                ws.pause(), ws.resume() after ms
//   !busy ms                 holds the event loop for ms, then sends "idle"
//   !flood count size        count binary messages of size bytes in one go, each starting with its
//                            index (u32), ignoring send()'s answer; logs those answers
//   !shutdown                server.close()
//   !typed                   sends a Uint16Array, a DataView's window, a subarray and an ArrayBuffer,
//                            then tries 42, {} and null and sends "<error name> <code>" for each
//   !throw                   sends "before the throw", then throws
//
// Paths starting with /throw-open make open throw. The `hooks` server adds upgrade and reject: its
// hook logs what it saw and, by path, accepts with data, fields and a protocol (/hook/...), answers
// with a Response (/hook/refuse...), throws (/hook/throw...) or takes 2 s (/hook/slow...).
import { serve } from "../../host-auto/index.ts";

type ServeOptions = Parameters<typeof serve>[0];
type Handler = NonNullable<ServeOptions["handler"]>;
type Socket = Parameters<NonNullable<Handler["open"]>>[0];
type Server = Awaited<ReturnType<typeof serve>>;

const options: Record<string, Omit<ServeOptions, "handler">> = {
  echo: {},
  protocols: { protocols: ["chat", "superchat"] },
  gate: { origins: ["https://good.example"], path: ["/only", "/rooms/*"] },
  limits: {
    maxPayload: 1024,
    maxConnections: 3,
    handshakeTimeout: 300,
    idleTimeout: 400,
    closeTimeout: 300,
  },
  backpressure: { highWaterMark: 64 * 1024, backpressureLimit: 0 },
  borrow: { borrow: true },
  shutdown: {},
  hooks: { path: "/hook/*", handshakeTimeout: 300 },
  // Default options; its handler logs no pings or pongs, which a flood would turn into a log flood.
  flood: {},
};

const servers: Record<string, Server> = {};
// `!hold N`: the connection's next N messages, kept until the last arrives, then sent back in order.
const holding = new WeakMap<
  Socket,
  { count: number; kept: [data: string | Uint8Array, isBinary: boolean][] }
>();
const utf8 = new TextDecoder();
const log = (line: Record<string, unknown>) => console.log(JSON.stringify(line));

/** One line about a connection; its path tells the test which of its connections it was. */
function seen(server: string, event: string, ws: Socket, more: Record<string, unknown> = {}): void {
  log({ server, event, path: ws.path, ...more });
}

function handler(server: string): Handler {
  return {
    ...(server === "hooks" ? hooks(server) : {}),
    open: (ws) => {
      seen(server, "open", ws, { protocol: ws.protocol, data: ws.data });
      if (ws.path.startsWith("/throw-open")) throw new Error("open failed on purpose");
    },
    message: (ws, data, isBinary) => {
      const hold = holding.get(ws);
      if (hold) {
        hold.kept.push([data, isBinary]);
        if (hold.kept.length < hold.count) return;
        holding.delete(ws);
        for (const [kept, binary] of hold.kept) ws.send(kept, { binary });
      } else if (typeof data === "string" && data.startsWith("!"))
        command(server, ws, data.slice(1).split(" "));
      else ws.send(data, { binary: isBinary });
    },
    close: (ws, code, reason) => seen(server, "close", ws, { code, reason }),
    drain: (ws) => seen(server, "drain", ws, { bufferedAmount: ws.bufferedAmount }),
    error: (ws, err) => seen(server, "error", ws, { code: err.code, cause: messageOf(err.cause) }),
    ...(server === "flood"
      ? {}
      : {
          ping: (ws, data) => seen(server, "ping", ws, { data: utf8.decode(data) }),
          pong: (ws, data) => seen(server, "pong", ws, { data: utf8.decode(data) }),
        }),
  };
}

function hooks(server: string): Pick<Handler, "upgrade" | "reject"> {
  return {
    upgrade(request, info) {
      const { pathname, searchParams } = new URL(request.url);
      const h = request.headers;
      log({
        server,
        event: "upgrade",
        url: request.url,
        method: request.method,
        remoteAddress: info.remoteAddress,
        ...Object.fromEntries(
          ["cookie", "authorization", "__proto__", "constructor"].map((n) => [n, h.get(n)]),
        ),
      });
      if (pathname.startsWith("/hook/refuse"))
        return new Response("members only", {
          status: 401,
          headers: { "WWW-Authenticate": "Bearer", "X-Refused-By": "hook" },
        });
      if (pathname.startsWith("/hook/throw")) throw new Error("hook failed on purpose");
      if (pathname.startsWith("/hook/slow")) return new Promise<undefined>((done) => setTimeout(done, 2000));
      const offered = h.get("sec-websocket-protocol")?.split(/\s*,\s*/) ?? [];
      return {
        data: { user: searchParams.get("user") },
        headers: { "X-Hook": "accepted" },
        protocol: offered.includes("chat") ? "chat" : undefined,
      };
    },
    reject: (request, error) =>
      log({ server, event: "reject", url: request?.url, code: error.code, cause: messageOf(error.cause) }),
  };
}

const messageOf = (cause: unknown) => (cause instanceof Error ? cause.message : undefined);

function command(server: string, ws: Socket, [name, ...args]: string[]): void {
  switch (name) {
    case "close":
      ws.close(args[0] ? Number(args[0]) : undefined, args.slice(1).join(" ") || undefined);
      break;
    case "ping":
      ws.ping(args.join(" "));
      break;
    case "hold":
      holding.set(ws, { count: Number(args[0]), kept: [] });
      break;
    case "terminate":
      ws.terminate();
      break;
    case "busy": {
      // Holds the event loop, so connections meanwhile wait in the listen backlog.
      const until = Date.now() + Number(args[0]);
      while (Date.now() < until);
      ws.send("idle");
      break;
    }
    case "pause":
      ws.pause();
      seen(server, "paused", ws);
      setTimeout(() => {
        seen(server, "resumed", ws);
        ws.resume();
      }, Number(args[0]));
      break;
    case "flood": {
      const [count, size] = args.map(Number);
      const results: boolean[] = [];
      for (let i = 0; i < count; i++) {
        const chunk = new Uint8Array(size).fill(i & 0xff);
        new DataView(chunk.buffer).setUint32(0, i);
        results.push(ws.send(chunk, { binary: true }));
      }
      const firstFalse = results.indexOf(false);
      const accepted = results.filter(Boolean).length;
      seen(server, "flood", ws, { firstFalse, accepted, bufferedAmount: ws.bufferedAmount });
      break;
    }
    case "typed": {
      const bytes = new Uint8Array([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      ws.send(new Uint16Array([0x0102, 0x0304, 0x0506, 0x0708]));
      ws.send(new DataView(bytes.buffer, 2, 3));
      ws.send(bytes.subarray(7));
      ws.send(bytes.buffer.slice(0, 2));
      for (const bad of [42, {}, null]) {
        try {
          ws.send(bad as unknown as string);
          ws.send("accepted");
        } catch (err) {
          ws.send(`${(err as Error).name} ${(err as { code?: string }).code}`);
        }
      }
      break;
    }
    case "throw":
      ws.send("before the throw");
      throw new Error("handler threw on purpose");
    case "shutdown":
      seen(server, "shutdown", ws);
      servers[server].close().then(() => log({ server, event: "closed" }));
      break;
    default:
      ws.send(`unknown command ${name}`);
  }
}

// A handler's exception is not the server's: it surfaces as the runtime's own uncaught exception.
// The fixture reports how it came, and lives on.
process.on("uncaughtException", (err) =>
  log({ event: "uncaught", via: "uncaughtException", message: err.message }),
);
globalThis.addEventListener?.("unhandledrejection", (e) => {
  e.preventDefault();
  log({ event: "uncaught", via: "unhandledrejection", message: messageOf(e.reason) });
});

const ports: Record<string, number> = {};
for (const [name, o] of Object.entries(options)) {
  servers[name] = await serve({ host: "127.0.0.1", port: 0, ...o, handler: handler(name) });
  ports[name] = servers[name].port;
}
// What this runtime's host exports, for the suite to compare across runtimes.
const runtime = "Deno" in globalThis ? "deno" : "Bun" in globalThis ? "bun" : "node";
const exported = Object.keys(await import(`../../host-${runtime}/index.js`)).sort();
log({ ready: true, ports, exported });
