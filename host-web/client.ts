// The client over WHATWG streams: host-core's ClientWebSocket, its bytes from a stream pair that
// options.connect opens (default: the one useConnect() registered, e.g. cloudflare:sockets' connect).
import { type ClientOptions, type ClientTarget, ClientWebSocket, connector } from "../host-core/client.ts";
import type { Transport, TransportEvents } from "../host-core/transport.ts";
import { dialStreams, type OpenStreams } from "./streams.ts";

export interface WebClientOptions extends ClientOptions {
  /** Opens the byte streams to a target; default: the connector given to useConnect(). */
  connect?: OpenStreams;
}

let defaultConnect: OpenStreams | undefined;

/**
 * Sets the connector used when options.connect is absent. The `workerd` entry registers
 * `cloudflare:sockets`' connect; elsewhere there is no default.
 */
export function useConnect(open: OpenStreams): void {
  defaultConnect = open;
}

function dial(target: ClientTarget, options: WebClientOptions, events: TransportEvents): Transport {
  return dialStreams((options.connect ?? defaultConnect)!, target, events);
}

export class WebSocket extends ClientWebSocket<WebClientOptions> {
  static override readonly dial = dial;

  constructor(url: string | URL, protocols?: string | string[], options: WebClientOptions = {}) {
    // A missing connector is the caller's mistake: say so at once, like a bad URL.
    if (!options.connect && !defaultConnect)
      throw new TypeError(
        "wasmsock/web: no connect function; pass options.connect (the workerd entry sets one)",
      );
    super(url, protocols, options);
  }
}

/** Connects and resolves once the connection is open; rejects with the failure otherwise. */
export const connect = connector(WebSocket);
