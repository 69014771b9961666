// The server side of test/runtime/mount-suite.ts, run unchanged by node, deno and bun. The servers
// of fixture-routes.ts, each three ways: `engine-*` with serve() (our engine); `native-*` mounted in
// the runtime's own server (Deno.serve / Bun.serve, where the runtime's WebSocket runs; on Node,
// upgrade(request, { socket, head }) from node:http's upgrade event, where ours runs); `hono-*` in
// a Hono app on that server (Deno and Bun; Hono from $HONO_DIR, default the repository's node_modules). Prints one
// JSON line with the ports, then one per event.
import { createServer } from "node:http";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { evictOptions, routesOptions, throttleOptions } from "./fixture-routes.ts";

// biome-ignore lint/suspicious/noExplicitAny: each runtime's host and server APIs
type Any = any;

const runtime = "Deno" in globalThis ? "deno" : "Bun" in globalThis ? "bun" : "node";
const host: Any = await import(`../../host-${runtime}/index.js`);
const g = globalThis as Any;
const log = (line: Record<string, unknown>) => console.log(JSON.stringify(line));
const as = (target: string) => (line: Record<string, unknown>) =>
  log({ ...line, server: `${target}-${line.server}` });

const servers: Record<string, (log: (l: Record<string, unknown>) => void) => Any> = {
  routes: routesOptions,
  "evict-oldest": (l) => evictOptions(l, "oldest"),
  "evict-idle": (l) => evictOptions(l, "idle"),
};

async function loadHono(): Promise<Any> {
  // Hono is a dev dependency: the repository's node_modules (this file runs from dist/test/runtime).
  const dir = process.env.HONO_DIR ?? fileURLToPath(new URL("../../../", import.meta.url));
  try {
    return await import(pathToFileURL(join(dir, "node_modules/hono/dist/index.js")).href);
  } catch {
    return undefined;
  }
}

/** The runtime's own server on 127.0.0.1 with this fetch handler; its port. */
async function nativeServer(wss: Any, fetch?: (req: Request, env: Any) => Any): Promise<number> {
  if (runtime === "deno") {
    const s = g.Deno.serve(
      { port: 0, hostname: "127.0.0.1", onListen() {} },
      fetch ?? ((req: Request, info: Any) => wss.upgrade(req, info)),
    );
    return s.addr.port;
  }
  if (runtime === "bun") {
    const s = g.Bun.serve({
      port: 0,
      hostname: "127.0.0.1",
      fetch: fetch ?? ((req: Request, server: Any) => wss.upgrade(req, server)),
      websocket: wss.websocket,
    });
    return s.port;
  }
  // Node: the fetch shape over an http server's upgrade event (our engine on the raw socket).
  const http = createServer((_, res) => res.writeHead(200).end("plain http"));
  http.on("upgrade", (req, socket, head) => {
    const headers = new Headers();
    for (let i = 0; i < req.rawHeaders.length; i += 2)
      headers.append(req.rawHeaders[i], req.rawHeaders[i + 1]);
    wss.upgrade(new Request(`http://${req.headers.host}${req.url}`, { headers }), { socket, head });
  });
  await new Promise<void>((r) => http.listen(0, "127.0.0.1", r));
  return (http.address() as Any).port;
}

/** Node: a Hono app on @hono/node-server, with our engine on its server's upgrade event. */
async function nodeHonoServer(wss: Any, fetch: (req: Request, env: Any) => Any): Promise<number> {
  const dir = process.env.HONO_DIR ?? fileURLToPath(new URL("../../../", import.meta.url));
  const { createAdaptorServer } = await import(
    pathToFileURL(join(dir, "node_modules/@hono/node-server/dist/index.mjs")).href
  );
  const http = createAdaptorServer({ fetch });
  // What attach(server, options) does, with this WebSocketServer.
  http.on("upgrade", (req: Any, socket: Any, head: Any) => wss.handleUpgrade(req, socket, head));
  await new Promise<void>((r) => http.listen(0, "127.0.0.1", r));
  return (http.address() as Any).port;
}

const ports: Record<string, number> = {};
const hono = await loadHono();
for (const [name, make] of Object.entries(servers)) {
  ports[`engine-${name}`] = (await host.serve({ host: "127.0.0.1", port: 0, ...make(as("engine")) })).port;
  ports[`native-${name}`] = await nativeServer(new host.WebSocketServer(make(as("native"))));
  if (hono) {
    const wss = new host.WebSocketServer(make(as("hono")));
    const app = new hono.Hono();
    app.get("/plain", (c: Any) => c.text("hono here"));
    app.get("/*", (c: Any) => wss.upgrade(c.req.raw, c.env));
    ports[`hono-${name}`] =
      runtime === "node" ? await nodeHonoServer(wss, app.fetch) : await nativeServer(wss, app.fetch);
  }
}
for (const way of ["in", "out"] as const)
  ports[`engine-throttle-${way}`] = (
    await host.serve({ host: "127.0.0.1", port: 0, ...throttleOptions(as("engine"), way) })
  ).port;
log({ ready: true, ports, hono: hono !== undefined });
