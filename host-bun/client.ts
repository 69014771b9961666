// The client's Bun adapter: Bun.connect carries the bytes of host-core's ClientWebSocket.
import "../host-core/inline.ts";
import {
  type ClientConnection,
  type ClientOptions,
  type ClientSink,
  type ClientTarget,
  ClientWebSocket,
  connector,
} from "../host-core/client.ts";
import { Bun, type SocketHandler, type TlsClientOptions } from "./bun-api.ts";
import { BunConnection, handlers } from "./connection.ts";

export interface BunClientOptions extends ClientOptions {
  /** For wss:// — passed to Bun.connect's tls (ca, rejectUnauthorized, serverName...). */
  tls?: TlsClientOptions;
}

const socket: SocketHandler<BunConnection> = {
  ...handlers,
  open: (s) => s.data.opened(s),
  // The only place Bun reports a certificate it rejected.
  handshake: (s, success, err) => {
    if (!success && err) s.data.peer.error?.(err);
  },
};

// Bun.connect is asynchronous: the handshake request queues in the connection until it opens.
function dial(target: ClientTarget, options: BunClientOptions, sink: ClientSink): ClientConnection {
  const connection = new BunConnection(null);
  connection.peer = {
    data: (chunk) => sink.data(chunk),
    drain() {},
    close: () => sink.closed(),
    error: (err) => sink.error(err),
  };
  Bun.connect<BunConnection>({
    hostname: target.host,
    port: target.port,
    tls: target.secure ? (options.tls ?? true) : undefined,
    data: connection,
    socket,
  }).catch((err: Error) => connection.failed(err));
  return connection;
}

export class WebSocket extends ClientWebSocket<BunClientOptions> {
  static override readonly dial = dial;
}

/** Connects and resolves once the connection is open; rejects with the failure otherwise. */
export const connect = connector(WebSocket);

export { type BinaryType, CloseEvent, ErrorEvent } from "../host-core/client.ts";
export type { BunClientOptions as ClientOptions };
