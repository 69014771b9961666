// The client's Deno adapter: Deno.connect / Deno.connectTls carry host-core's ClientWebSocket.
import "../host-core/inline.ts";
import { type ClientOptions, type ClientTarget, ClientWebSocket, connector } from "../host-core/client.ts";
import type { Transport, TransportEvents } from "../host-core/transport.ts";
import { DenoConnection } from "./connection.ts";
import { Deno } from "./deno-api.ts";

export interface DenoClientOptions extends ClientOptions {
  /** For wss://: extra PEM root certificates to trust (e.g. a test CA). */
  caCerts?: string[];
}

function dial(target: ClientTarget, options: DenoClientOptions, events: TransportEvents): Transport {
  const address = { hostname: target.host, port: target.port };
  const connection = new DenoConnection();
  connection.start(
    events,
    target.secure ? Deno.connectTls({ ...address, caCerts: options.caCerts }) : Deno.connect(address),
  );
  return connection;
}

export class WebSocket extends ClientWebSocket<DenoClientOptions> {
  static override readonly dial = dial;
}

/** Connects and resolves once the connection is open; rejects with the failure otherwise. */
export const connect = connector(WebSocket);

export { type BinaryType, CloseEvent, ErrorEvent } from "../host-core/client.ts";
export type { DenoClientOptions as ClientOptions };
