// The client's Node adapter: node:net / node:tls carry the bytes of host-core's ClientWebSocket.
import "../host-core/inline.ts";
import net from "node:net";
import tls from "node:tls";
import {
  type ClientConnection,
  type ClientOptions,
  type ClientSink,
  type ClientTarget,
  ClientWebSocket,
  connector,
} from "../host-core/client.ts";

export interface NodeClientOptions extends ClientOptions {
  /** For wss:// — passed to tls.connect (ca, cert, key, rejectUnauthorized, servername...). */
  tls?: tls.ConnectionOptions;
}

function dial(target: ClientTarget, options: NodeClientOptions, sink: ClientSink): ClientConnection {
  const { host, port } = target;
  const socket = target.secure
    ? tls.connect({ servername: net.isIP(host) ? undefined : host, ...options.tls, host, port })
    : net.connect({ host, port });
  socket.setNoDelay(true);
  socket.on("data", (chunk: Buffer) => sink.data(chunk));
  socket.on("error", (err) => sink.error(err));
  socket.on("close", () => sink.closed());
  return {
    write(chunks) {
      if (socket.destroyed) return;
      socket.cork();
      for (const c of chunks) socket.write(c);
      socket.uncork();
    },
    get bufferedAmount() {
      return socket.writableLength;
    },
    destroy: () => socket.destroy(),
  };
}

export class WebSocket extends ClientWebSocket<NodeClientOptions> {
  static override readonly dial = dial;
}

/** Connects and resolves once the connection is open; rejects with the failure otherwise. */
export const connect = connector(WebSocket);

export { type BinaryType, CloseEvent, ErrorEvent } from "../host-core/client.ts";
export type { NodeClientOptions as ClientOptions };
