// The Bun adapter for servers: Bun.listen in, the same socket out. Handshake, protocol, policy and
// batching live in host-core; each socket's state is one BunConnection in its `data`.
import "../host-core/inline.ts";
import { type Admission, acceptHeaders, admitRequest, MountedDriver } from "../host-core/mounted.ts";
import {
  WebSocketServer as CoreServer,
  type HandlerOptions,
  type ServeOptions,
  serverInternals,
} from "../host-core/server.ts";
import { isResponse } from "../host-core/upgrade.ts";
import {
  Bun,
  type BunHttpServer,
  type BunServerWebSocket,
  type BunWebSocketHandler,
  type SocketHandler,
} from "./bun-api.ts";
import { BunConnection, handlers } from "./connection.ts";

export type { HandlerOptions, ServeOptions };

/** Before open, a socket's data is its admission; from open on, its driver. */
type Mounted = BunServerWebSocket<Admission<unknown> | MountedDriver<unknown>>;

/**
 * A WebSocket server: listening of its own with serve(), or mounted in Bun.serve with upgrade()
 * and `websocket`, where Bun's own WebSocket carries the frames.
 */
export class WebSocketServer<T = unknown> extends CoreServer<T> {
  #websocket: BunWebSocketHandler<Admission<unknown> | MountedDriver<unknown>> | undefined;

  /**
   * For `Bun.serve({ fetch: (req, server) => wss.upgrade(req, server), websocket: wss.websocket })`:
   * undefined once Bun took the connection over, else the refusal to return.
   */
  async upgrade(request: Request, server: BunHttpServer): Promise<Response | undefined> {
    const core = serverInternals(this);
    const a = await admitRequest(core, request, server.requestIP?.(request)?.address);
    if (isResponse(a)) return a;
    if (server.upgrade(request, { data: a, headers: acceptHeaders(a) })) return undefined;
    return new Response("not a WebSocket upgrade", { status: 400 });
  }

  /** Bun.serve's `websocket` option, with this server's limits. */
  get websocket(): BunWebSocketHandler<Admission<unknown> | MountedDriver<unknown>> {
    if (this.#websocket) return this.#websocket;
    const core = serverInternals(this) as ReturnType<typeof serverInternals<unknown>>;
    const { maxPayload, idleTimeout, backpressureLimit } = core.policy;
    const driver = (ws: Mounted) => ws.data as MountedDriver<unknown>;
    this.#websocket = {
      open(ws: Mounted) {
        const d = new MountedDriver(core, nativeOf(ws), ws.data as Admission<unknown>);
        ws.data = d;
        d.opened();
      },
      message: (ws: Mounted, message) => driver(ws).received(message),
      close: (ws: Mounted, code, reason) => driver(ws).closed(code, reason),
      drain: (ws: Mounted) => driver(ws).drained(),
      maxPayloadLength: maxPayload > 0 ? maxPayload : 2 ** 32 - 1,
      idleTimeout: idleTimeout > 0 ? Math.max(1, Math.round(idleTimeout / 1000)) : 0,
      // Our own limit decides (MountedDriver): Bun only buffers.
      backpressureLimit: Number.isFinite(backpressureLimit) ? backpressureLimit * 2 : 2 ** 31,
      closeOnBackpressureLimit: false,
      sendPings: idleTimeout > 0,
    };
    return this.#websocket;
  }
}

function nativeOf(ws: Mounted) {
  return {
    send: (data: string | Uint8Array) => void ws.send(data),
    close: (code?: number, reason?: string) => ws.close(code, reason),
    get bufferedAmount() {
      return ws.getBufferedAmount();
    },
    ping: (data: Uint8Array) => void ws.ping(data),
    terminate: () => ws.terminate(),
  };
}

export { WebSocketServer as Server };

/** A standalone WebSocket server on Bun.listen; rejects when the port cannot be had. */
export async function serve<T = unknown>(options: ServeOptions<T>): Promise<WebSocketServer<T>> {
  const server = new WebSocketServer<T>(options);
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
