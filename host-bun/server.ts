// The Bun adapter for servers: Bun.listen in, the same socket out. Handshake, protocol, policy and
// batching live in host-core; each socket's state is one BunConnection in its `data`.
import "../host-core/inline.ts";
import {
  type HandlerOptions,
  type ServeOptions,
  serverInternals,
  WebSocketServer,
} from "../host-core/server.ts";
import { Bun, type SocketHandler } from "./bun-api.ts";
import { BunConnection, handlers } from "./connection.ts";

export type { HandlerOptions, ServeOptions };

export class Server<T = unknown> extends WebSocketServer<T> {}

/** A standalone WebSocket server on Bun.listen; rejects when the port cannot be had. */
export async function serve<T = unknown>(options: ServeOptions<T>): Promise<Server<T>> {
  const server = new Server<T>(options);
  const core = serverInternals(server);
  const secure = options.tls !== undefined;
  const socket: SocketHandler<BunConnection> = {
    ...handlers,
    open(s) {
      const connection = new BunConnection(s);
      s.data = connection;
      connection.events = core.accept(connection, { secure });
    },
  };
  const listener = Bun.listen<BunConnection>({
    hostname: options.host ?? "0.0.0.0",
    port: options.port ?? 0,
    tls: options.tls,
    reusePort: options.reusePort,
    socket,
  });
  core.port = listener.port;
  core.setListener(async () => listener.stop());
  return server;
}
