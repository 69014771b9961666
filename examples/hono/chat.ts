// What the Hono examples mount: a chat at /chat/ROOM (a pub/sub topic per room), and JSON-RPC with
// the JSON codec at /rpc, or on any served path for a client that offers the "jsonrpc" subprotocol.
import type { ServerWebSocket, WebSocketHandler } from "wasmsock";

type Rpc = { jsonrpc: "2.0"; id: number; method: string; params?: unknown };

const rpc: WebSocketHandler<unknown, Rpc | object> = {
  codec: "json",
  message(ws, m) {
    const call = m as Rpc;
    const result = call.method === "time" ? Date.now() : call.params;
    ws.send({ jsonrpc: "2.0", id: call.id, result });
  },
};

const chat: WebSocketHandler = {
  open: (ws) => ws.subscribe(room(ws)),
  message: (ws, text) => ws.publish(room(ws), text),
};

const room = (ws: ServerWebSocket) => ws.path.split("?")[0].slice("/chat/".length);

export const options = {
  routes: { "/chat/*": chat, "/rpc": rpc as WebSocketHandler },
  protocols: { jsonrpc: rpc as WebSocketHandler },
  maxConnections: 10_000,
  evict: "idle" as const,
};
