// The servers test/runtime/mount-suite.ts talks to, as options shared by every way of running them:
// serve() (our engine), Deno.serve / Bun.serve / node:http (the runtime's engine or attach), Hono,
// and workerd's fetch. Runtime-neutral: no imports, a log function from the fixture.
//
//   /chat              echoes "chat <path> <protocol> <text>"
//   protocol chat.v2   (any path) echoes "v2 <text>"
//   protocol jsonrpc   (any path) codec json: answers { jsonrpc: "2.0", id, result: params }
//   /json/*            codec json: answers { got: value, path }; invalid JSON closes with 1007
//   /lenient           codec json, onInvalid "error": invalid JSON goes to error, the socket stays
//   /hook/*            upgrade hook: /hook/refuse -> 401; else data { user } and X-Hook: accepted
//   /room/*            joins topic "room"; a message is published to the others
// The `evict-oldest` and `evict-idle` servers admit 2 and evict; `throttle-in`/`-out` allow 40 kB/s.
type Log = (line: Record<string, unknown>) => void;

// Loosely typed on purpose: the same object is given to every host's WebSocketServer.
// biome-ignore lint/suspicious/noExplicitAny: shared across hosts' option types
type Any = any;

export function routesOptions(log: Log): Any {
  const seen = (server: string, event: string, ws: Any, more: Record<string, unknown> = {}) =>
    log({ server, event, path: ws.path, protocol: ws.protocol, ...more });
  const closes = (server: string) => (ws: Any, code: number, reason: string) =>
    seen(server, "close", ws, { code, reason });
  return {
    origins: ["https://good.example"],
    routes: {
      "/chat": {
        open: (ws: Any) => seen("routes", "open", ws),
        message: (ws: Any, data: string) => ws.send(`chat ${ws.path} ${ws.protocol || "-"} ${data}`),
        close: closes("routes"),
      },
      "/json/*": {
        codec: "json",
        open: (ws: Any) => seen("routes", "open", ws),
        message: (ws: Any, value: unknown) => ws.send({ got: value, path: ws.path }),
        error: (ws: Any, err: Any) => seen("routes", "error", ws, { code: err.code }),
        close: closes("routes"),
      },
      "/lenient": {
        codec: "json",
        onInvalid: "error",
        open: (ws: Any) => seen("routes", "open", ws),
        message: (ws: Any, value: unknown) => ws.send({ got: value }),
        error: (ws: Any, err: Any) => {
          seen("routes", "error", ws, { code: err.code });
          ws.send({ error: err.code });
        },
        close: closes("routes"),
      },
      "/hook/*": {
        upgrade(request: Request) {
          const url = new URL(request.url);
          if (url.pathname === "/hook/refuse") return new Response("members only", { status: 401 });
          return { data: { user: url.searchParams.get("user") }, headers: { "X-Hook": "accepted" } };
        },
        open: (ws: Any) => {
          seen("routes", "open", ws, { data: ws.data });
          ws.send(`hello ${ws.data.user}`);
        },
        close: closes("routes"),
      },
      "/room/*": {
        open: (ws: Any) => {
          ws.subscribe("room");
          seen("routes", "open", ws);
        },
        message: (ws: Any, data: string) => ws.publish("room", `${ws.path}: ${data}`),
        close: closes("routes"),
      },
    },
    protocols: {
      "chat.v2": {
        open: (ws: Any) => seen("routes", "open", ws),
        message: (ws: Any, data: string) => ws.send(`v2 ${data}`),
        close: closes("routes"),
      },
      jsonrpc: {
        codec: "json",
        open: (ws: Any) => seen("routes", "open", ws),
        message: (ws: Any, m: Any) => ws.send({ jsonrpc: "2.0", id: m.id, result: m.params }),
        close: closes("routes"),
      },
    },
  };
}

/** A server that holds two connections and evicts by `evict` to admit a third. */
export function evictOptions(log: Log, evict: "oldest" | "idle"): Any {
  const server = `evict-${evict}`;
  return {
    maxConnections: 2,
    evict,
    handler: {
      open: (ws: Any) => log({ server, event: "open", path: ws.path }),
      message: (ws: Any, data: Any) => ws.send(data),
      close: (ws: Any, code: number, reason: string) =>
        log({ server, event: "close", path: ws.path, code, reason }),
    },
  };
}

/** Echoes at 40 kB/s `way` ("in" or "out"); "!flood n size" sends n binary messages of size bytes. */
export function throttleOptions(log: Log, way: "in" | "out"): Any {
  const server = `throttle-${way}`;
  return {
    throttle: { [way]: 40_000 },
    handler: {
      open: (ws: Any) => log({ server, event: "open", path: ws.path }),
      message: (ws: Any, data: Any, isBinary: boolean) => {
        if (typeof data === "string" && data.startsWith("!flood ")) {
          const [n, size] = data.slice(7).split(" ").map(Number);
          for (let i = 0; i < n; i++) ws.send(new Uint8Array(size).fill(i));
        } else ws.send(data, { binary: isBinary });
      },
      close: (ws: Any, code: number) => log({ server, event: "close", path: ws.path, code }),
    },
  };
}
