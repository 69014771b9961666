// Hono in a worker with wasmsock mounted (wrangler picks wasmsock's "workerd" entry). workerd's
// WebSocketPair carries the frames. Pub/sub between connections needs them in one Durable Object:
// a worker's requests cannot touch each other's sockets.
import { Hono } from "hono";
import { WebSocketServer } from "wasmsock";
import { options } from "./chat.ts";

const wss = new WebSocketServer(options);
const app = new Hono();
app.get("/", (c) => c.text("hello from Hono"));
app.get("/rpc", (c) => wss.upgrade(c.req.raw));

export default app;
