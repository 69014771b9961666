// The Deno adapter for servers: Deno.listen / Deno.listenTls in, the same connections out.
// Handshake, protocol, policy and batching live in host-core.
import "../host-core/inline.ts";
import {
  type HandlerOptions,
  type ServeOptions,
  serverInternals,
  WebSocketServer,
} from "../host-core/server.ts";
import { DenoConnection } from "./connection.ts";
import { Deno, type Listener } from "./deno-api.ts";

export type { HandlerOptions, ServeOptions };

export class Server<T = unknown> extends WebSocketServer<T> {}

/** A standalone WebSocket server on Deno's TCP (or TLS) listener. */
export async function serve<T = unknown>(options: ServeOptions<T>): Promise<Server<T>> {
  const server = new Server<T>(options);
  const address = {
    hostname: options.host ?? "0.0.0.0",
    port: options.port ?? 0,
    ...(options.reusePort ? { reusePort: true } : {}),
  };
  const listener = options.tls ? Deno.listenTls({ ...address, ...options.tls }) : Deno.listen(address);
  const core = serverInternals(server);
  core.port = listener.addr.port;
  let listening = true;
  core.setListener(async () => {
    listening = false;
    listener.close();
  });
  acceptLoop(listener, server, options.tls !== undefined, () => listening);
  return server;
}

async function acceptLoop<T>(
  listener: Listener,
  server: Server<T>,
  secure: boolean,
  listening: () => boolean,
): Promise<void> {
  const core = serverInternals(server);
  while (listening()) {
    try {
      const connection = new DenoConnection(Promise.resolve(await listener.accept()));
      connection.start(core.accept(connection, { secure }));
    } catch (err) {
      if (!listening()) return;
      // Out of descriptors or a failed TLS accept: the listener itself is fine; breathe and go on.
      console.error("wasmsock: accept failed:", err);
      await new Promise((r) => setTimeout(r, 10));
    }
  }
}
