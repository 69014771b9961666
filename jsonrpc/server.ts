// JSON-RPC 2.0 over a wasmsock server: each text message is one request or batch, each answer one
// text message; a binary message gets an Invalid Request error. Methods get the connection's Peer
// as their last argument, to notify or call the client back.
import type { ServerWebSocket, WebSocketHandler } from "../host-core/socket.ts";
import { type Methods, Peer, type PeerOptions } from "./peer.ts";

export interface JsonRpcSocketData {
  peer: Peer;
}

/** A handler that serves `methods` on every connection. */
export function jsonRpcHandler(
  methods: Methods,
  options: PeerOptions = {},
): WebSocketHandler<JsonRpcSocketData> {
  const peers = new WeakMap<ServerWebSocket<JsonRpcSocketData>, Peer>();
  return {
    open(ws) {
      const peer = new Peer((text) => void ws.send(text), methods, { idPrefix: "s", ...options });
      peers.set(ws, peer);
      ws.data = { peer };
    },
    message(ws, data, isBinary) {
      const peer = peers.get(ws);
      if (!peer) return;
      if (isBinary) peer.refuse("binary messages are not JSON-RPC: send text");
      else peer.receive(typeof data === "string" ? data : new TextDecoder().decode(data));
    },
    close(ws, code) {
      peers.get(ws)?.close(new Error(`connection closed (${code})`));
    },
  };
}
