// `npm start`: a chat page on http://localhost:8080 (PORT overrides) whose WebSocket shares the HTTP
// server; /chat broadcasts every message to every open page, /echo answers each message with itself.
import { createServer } from "node:http";
import { attach, type ServerWebSocket } from "../host-node/index.ts";
import { demoPage } from "./demo-page.ts";

const port = Number(process.env.PORT ?? 8080);
const room = new Set<ServerWebSocket<string>>();
let guests = 0;

const http = createServer((req, res) => {
  if (req.url !== "/") return void res.writeHead(404).end("not found");
  res.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end(demoPage);
});

attach<string>(http, {
  path: ["/chat", "/echo"],
  maxPayload: 64 * 1024,
  handler: {
    open(ws) {
      if (ws.path !== "/chat") return;
      ws.data = `guest-${++guests}`;
      room.add(ws);
      ws.send(JSON.stringify({ welcome: ws.data }));
    },
    message(ws, data, isBinary) {
      if (ws.path === "/echo") return void ws.send(data, { binary: isBinary });
      if (isBinary) return;
      const line = JSON.stringify({ from: ws.data, text: data });
      for (const peer of room) peer.send(line);
    },
    close(ws) {
      room.delete(ws);
    },
  },
});

http.listen(port, process.env.HOST ?? "127.0.0.1", () => {
  const { port } = http.address() as { port: number };
  console.log(`chat on http://localhost:${port}/`);
});
