// Hono on Node (@hono/node-server) with wasmsock mounted: `node --experimental-strip-types
// examples/hono/node.ts` or through tsx. Node hands over the raw socket on the HTTP server's upgrade
// event, so our engine runs; Hono serves every other request.
import { createAdaptorServer } from "@hono/node-server";
import { Hono } from "hono";
import { attach } from "wasmsock/node";
import { options } from "./chat.ts";

const app = new Hono();
app.get("/", (c) => c.text("hello from Hono"));

const server = createAdaptorServer({ fetch: app.fetch });
attach(server as import("node:http").Server, options);
server.listen(3000, () => console.log("listening on 3000"));
