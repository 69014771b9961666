// Hono on Deno.serve with wasmsock mounted: `deno run -A examples/hono/deno.ts` (with "hono" and
// "wasmsock/deno" in your import map). Deno's own WebSocket carries the frames; routes, codec,
// pub/sub and eviction are wasmsock's.
import { Hono } from "hono";
import { WebSocketServer } from "wasmsock/deno";
import { options } from "./chat.ts";

const wss = new WebSocketServer(options);
const app = new Hono();
app.get("/", (c) => c.text("hello from Hono"));
// c.env is Deno.serve's info (the remote address reaches the upgrade hook).
app.get("/chat/*", (c) => wss.upgrade(c.req.raw, c.env));
app.get("/rpc", (c) => wss.upgrade(c.req.raw, c.env));

Deno.serve({ port: 8000 }, app.fetch);
