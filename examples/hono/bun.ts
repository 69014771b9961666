// Hono on Bun.serve with wasmsock mounted: `bun examples/hono/bun.ts`. Bun's own WebSocket carries
// the frames; routes, codec, pub/sub and eviction are wasmsock's.
import { Hono } from "hono";
import { WebSocketServer } from "wasmsock/bun";
import { options } from "./chat.ts";

const wss = new WebSocketServer(options);
const app = new Hono();
app.get("/", (c) => c.text("hello from Hono"));
// c.env is Bun's server: upgrade() answers undefined once Bun took the connection over.
app.get("/chat/*", (c) => wss.upgrade(c.req.raw, c.env));
app.get("/rpc", (c) => wss.upgrade(c.req.raw, c.env));

const server = Bun.serve({ port: 3000, fetch: app.fetch, websocket: wss.websocket });
console.log(`listening on ${server.port}`);
