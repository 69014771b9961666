// The Node adapter for servers: node:net (or an http server's upgrade) in, TCP out. Handshake,
// protocol, policy and batching live in host-core.
import "../host-core/inline.ts";
import type { Server as HttpServer, IncomingMessage } from "node:http";
import { createServer, type Socket } from "node:net";
import type { Duplex } from "node:stream";
import { createServer as createTlsServer, type TlsOptions } from "node:tls";
import { parseUpgrade } from "../host-core/handshake.ts";
import {
  type ServeOptions as CoreServeOptions,
  WebSocketServer as CoreServer,
  type HandlerOptions,
  serverInternals,
} from "../host-core/server.ts";
import type { ServerWebSocket } from "../host-core/socket.ts";
import { wire } from "./connection.ts";

export type { HandlerOptions };

export interface ServeOptions<T> extends Omit<CoreServeOptions<T>, "tls"> {
  /** Serves wss://: options for tls.createServer, at least `cert` and `key` (PEM). */
  tls?: TlsOptions;
  /** The listen backlog (pending connections the kernel queues). Default: Node's (511). */
  backlog?: number;
  /** TCP keep-alive on every accepted connection. Default off. */
  keepAlive?: boolean;
}

/**
 * A WebSocket server: listening of its own with serve(), on an http server with attach(), or
 * driven by a framework with handleUpgrade(). Our engine runs in every case.
 */
export class WebSocketServer<T = unknown> extends CoreServer<T> {
  /**
   * For frameworks: a request node's HTTP server already parsed. Its head is rebuilt and checked
   * by the same rules as serve()'s; cb gets the socket after the handler's open.
   */
  handleUpgrade(
    req: IncomingMessage,
    socket: Duplex,
    head: Uint8Array,
    cb?: (ws: ServerWebSocket<T>) => void,
  ): void {
    let text = `${req.method} ${req.url} HTTP/${req.httpVersion}\r\n`;
    for (let i = 0; i < req.rawHeaders.length; i += 2)
      text += `${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}\r\n`;
    const core = serverInternals(this);
    const request = parseUpgrade(Buffer.from(`${text}\r\n`, "latin1"), core.policy, undefined, true);
    // Fields read on demand are getters: the request is amended, not spread into a copy without them.
    if (request.status === 0) request.status = 400;
    const secure = (socket as { encrypted?: boolean }).encrypted === true;
    wire(socket, (c) => core.acceptParsed(c, request, head, cb, { secure }));
  }

  /**
   * The fetch-style shape, for frameworks that hand over a WHATWG Request together with the raw
   * connection of an http server's `upgrade` event: our engine answers on that socket, so there is
   * no Response to return (undefined), as with Bun.
   */
  upgrade(request: Request, raw: { socket: Duplex; head?: Uint8Array }): undefined {
    const url = new URL(request.url);
    let text = `${request.method} ${url.pathname}${url.search} HTTP/1.1\r\n`;
    if (!request.headers.has("host")) text += `Host: ${url.host}\r\n`;
    request.headers.forEach((value, name) => {
      text += `${name}: ${value}\r\n`;
    });
    const core = serverInternals(this);
    const req = parseUpgrade(Buffer.from(`${text}\r\n`, "latin1"), core.policy, undefined, true);
    if (req.status === 0) req.status = 400;
    const head = raw.head ?? new Uint8Array(0);
    const secure = (raw.socket as { encrypted?: boolean }).encrypted === true;
    wire(raw.socket, (c) => core.acceptParsed(c, req, head, undefined, { secure }));
    return undefined;
  }
}

export { WebSocketServer as Server };

/** A standalone WebSocket server on node:net (node:tls with `tls`). */
export function serve<T = unknown>(options: ServeOptions<T>): Promise<WebSocketServer<T>> {
  const server = new WebSocketServer<T>(options);
  const core = serverInternals(server);
  const secure = options.tls !== undefined;
  const onConnection = (socket: Socket) => wire(socket, (c) => core.accept(c, { secure }));
  const tcpOptions = { noDelay: true, keepAlive: options.keepAlive };
  const tcp = options.tls
    ? createTlsServer({ ...tcpOptions, ...options.tls }, onConnection)
    : createServer(tcpOptions, onConnection);
  core.setListener(() => new Promise((resolve) => tcp.close(() => resolve())));
  if (options.reusePort && !nodeHasReusePort())
    return Promise.reject(
      new Error(
        `serve({ reusePort }) needs Node 22.12 or later (this is ${process.version}); use node:cluster instead`,
      ),
    );
  return new Promise((resolve, reject) => {
    tcp.once("error", reject);
    const { port = 0, host, reusePort, backlog } = options;
    tcp.listen({ port, host, reusePort, backlog }, () => {
      tcp.off("error", reject);
      const address = tcp.address();
      core.port = typeof address === "object" && address ? address.port : 0;
      resolve(server);
    });
  });
}

// listen({ reusePort }) came in Node 22.12 and 23.1; older versions ignore it silently.
function nodeHasReusePort(): boolean {
  const [major, minor] = process.versions.node.split(".").map(Number);
  return major > 23 || (major === 23 && minor >= 1) || (major === 22 && minor >= 12);
}

/** Serves WebSocket upgrades of an existing http or https server (https gives wss://). */
export function attach<T = unknown>(httpServer: HttpServer, options: HandlerOptions<T>): WebSocketServer<T> {
  const server = new WebSocketServer<T>(options);
  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) =>
    server.handleUpgrade(req, socket, head);
  httpServer.on("upgrade", onUpgrade);
  serverInternals(server).setListener(async () => {
    httpServer.off("upgrade", onUpgrade);
  });
  return server;
}

/** A server with no listener of its own, for handleUpgrade() from a framework. */
export function createUpgradeHandler<T = unknown>(options: HandlerOptions<T>): WebSocketServer<T> {
  return new WebSocketServer<T>(options);
}
