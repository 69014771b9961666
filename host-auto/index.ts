// The host for whichever runtime loaded this file, picked at run time, so one built file (the echo
// example, the test fixtures) runs unchanged under node, deno and bun.
import type { ClientOptions, ClientWebSocket } from "../host-core/client.ts";
import type { ServeOptions, WebSocketServer } from "../host-core/server.ts";

/** What every host offers, with the options every runtime understands. */
interface Host {
  serve<T = unknown>(options: ServeOptions<T>): Promise<WebSocketServer<T>>;
  connect(url: string | URL, options?: AnyClientOptions): Promise<ClientWebSocket>;
  WebSocket: new (
    url: string | URL,
    protocols?: string | string[],
    options?: AnyClientOptions,
  ) => ClientWebSocket;
}

/** The common options, plus any runtime's own (e.g. `tls` for node and bun, `caCerts` for deno). */
export type AnyClientOptions = ClientOptions & Record<string, unknown>;

const runtime = globalThis as { Deno?: unknown; Bun?: unknown };
const host: Host = runtime.Deno
  ? await import("../host-deno/index.ts")
  : runtime.Bun
    ? await import("../host-bun/index.ts")
    : await import("../host-node/index.ts");

export const { serve, connect, WebSocket } = host;
