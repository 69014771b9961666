// The client's Deno adapter: Deno.connect / Deno.connectTls carry host-core's ClientWebSocket.
import "../host-core/inline.ts";
import {
  type ClientConnection,
  type ClientOptions,
  type ClientSink,
  type ClientTarget,
  ClientWebSocket,
  connector,
} from "../host-core/client.ts";
import { DenoConnection } from "./connection.ts";
import { Deno } from "./deno-api.ts";

export interface DenoClientOptions extends ClientOptions {
  /** For wss://: extra PEM root certificates to trust (e.g. a test CA). */
  caCerts?: string[];
}

function dial(target: ClientTarget, options: DenoClientOptions, sink: ClientSink): ClientConnection {
  const address = { hostname: target.host, port: target.port };
  const connection = new DenoConnection(
    target.secure ? Deno.connectTls({ ...address, caCerts: options.caCerts }) : Deno.connect(address),
  );
  connection.start({ data: sink.data, drain: () => {}, close: sink.closed, error: sink.error });
  return connection;
}

export class WebSocket extends ClientWebSocket<DenoClientOptions> {
  static override readonly dial = dial;
}

/** Connects and resolves once the connection is open; rejects with the failure otherwise. */
export const connect = connector(WebSocket);

export { type BinaryType, CloseEvent, ErrorEvent } from "../host-core/client.ts";
export type { DenoClientOptions as ClientOptions };
