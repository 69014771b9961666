// The Deno adapter for servers: Deno.listen / Deno.listenTls in, the same connections out.
// Handshake, protocol, policy and batching live in host-core.
import "../host-core/inline.ts";
import { acceptHeaders, admitRequest, MountedDriver } from "../host-core/mounted.ts";
import {
  WebSocketServer as CoreServer,
  type HandlerOptions,
  type ServeOptions,
  serverInternals,
} from "../host-core/server.ts";
import { isResponse } from "../host-core/upgrade.ts";
import { DenoConnection } from "./connection.ts";
import { Deno, type Listener, type ServeHandlerInfo } from "./deno-api.ts";

export type { HandlerOptions, ServeOptions };

/**
 * A WebSocket server: listening of its own with serve(), or mounted in Deno.serve (or a framework
 * on it) with upgrade(), where Deno's own WebSocket carries the frames.
 */
export class WebSocketServer<T = unknown> extends CoreServer<T> {
  /**
   * For `Deno.serve((req, info) => wss.upgrade(req, info))`: policy, routes and the upgrade hook
   * decide; the answer is the 101 from Deno.upgradeWebSocket, or the refusal.
   */
  async upgrade(request: Request, info?: ServeHandlerInfo): Promise<Response> {
    const core = serverInternals(this);
    const a = await admitRequest(core, request, info?.remoteAddr?.hostname);
    if (isResponse(a)) return a;
    const { idleTimeout } = core.policy;
    let upgraded: ReturnType<typeof Deno.upgradeWebSocket>;
    try {
      // The subprotocol goes in as a field below: Deno's own check splits the client's offer on
      // ", " only, and refuses "a,b" (valid per RFC 7230 7).
      upgraded = Deno.upgradeWebSocket(request, {
        idleTimeout: idleTimeout > 0 ? Math.max(1, Math.round(idleTimeout / 2000)) : 0,
      });
    } catch (err) {
      return new Response(`not a WebSocket upgrade: ${(err as Error).message}`, { status: 400 });
    }
    const { socket, response } = upgraded;
    for (const [name, value] of acceptHeaders(a)) response.headers.set(name, value);
    const driver = new MountedDriver(core, socket, a);
    socket.binaryType = "arraybuffer";
    socket.onopen = () => driver.opened();
    socket.onmessage = (e) => driver.received(e.data);
    socket.onclose = (e) => driver.closed(e.code, e.reason);
    socket.onerror = () => {};
    return response;
  }
}

export { WebSocketServer as Server };

/** A standalone WebSocket server on Deno's TCP (or TLS) listener. */
export async function serve<T = unknown>(options: ServeOptions<T>): Promise<WebSocketServer<T>> {
  const server = new WebSocketServer<T>(options);
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

// Deno's accept() fails with these when the connection was reset or closed in the backlog.
const GONE = new Set(["ENOTCONN", "ECONNRESET", "ECONNABORTED"]);

async function acceptLoop<T>(
  listener: Listener,
  server: WebSocketServer<T>,
  secure: boolean,
  listening: () => boolean,
): Promise<void> {
  const core = serverInternals(server);
  while (listening()) {
    try {
      const conn = await listener.accept();
      const connection = new DenoConnection();
      connection.start(core.accept(connection, { secure }), conn);
    } catch (err) {
      if (!listening()) return;
      // A client that left before it was accepted: nothing to report or to wait for.
      if (GONE.has((err as { code?: string }).code ?? "")) continue;
      // Out of descriptors or a failed TLS accept: the listener itself is fine; breathe and go on.
      console.error("wasmsock: accept failed:", err);
      await new Promise((r) => setTimeout(r, 10));
    }
  }
}
