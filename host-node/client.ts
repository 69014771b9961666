// The client's Node adapter: node:net / node:tls carry the bytes of host-core's ClientWebSocket.
import "../host-core/inline.ts";
import net from "node:net";
import tls from "node:tls";
import { type ClientOptions, type ClientTarget, ClientWebSocket, connector } from "../host-core/client.ts";
import type { Transport, TransportEvents } from "../host-core/transport.ts";
import { wire } from "./connection.ts";

export interface NodeClientOptions extends ClientOptions {
  /** For wss:// — passed to tls.connect (ca, cert, key, rejectUnauthorized, servername...). */
  tls?: tls.ConnectionOptions;
}

function dial(target: ClientTarget, options: NodeClientOptions, events: TransportEvents): Transport {
  const { host, port } = target;
  const socket = target.secure
    ? tls.connect({ servername: net.isIP(host) ? undefined : host, ...options.tls, host, port })
    : net.connect({ host, port });
  return wire(socket, () => events);
}

export class WebSocket extends ClientWebSocket<NodeClientOptions> {
  static override readonly dial = dial;
}

/** Connects and resolves once the connection is open; rejects with the failure otherwise. */
export const connect = connector(WebSocket);

export { type BinaryType, CloseEvent, ErrorEvent } from "../host-core/client.ts";
export type { NodeClientOptions as ClientOptions };
