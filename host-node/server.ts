// The Node adapter for servers: TCP in, TCP out. Protocol, policy and batching live in host-core.
import type { Server as HttpServer, IncomingMessage } from "node:http";
import { createServer, type Socket } from "node:net";
import type { Duplex } from "node:stream";
import { acceptResponse, parseUpgrade, rejectResponse, type UpgradeRequest } from "../host-core/handshake.ts";
import {
  Deadlines,
  decide,
  type Expiring,
  type Policy,
  resolvePolicy,
  type ServerOptions,
} from "../host-core/server-policy.ts";
import { ServerWebSocket, type Transport, type WebSocketHandler } from "../host-core/socket.ts";

export interface HandlerOptions<T> extends ServerOptions {
  handler: WebSocketHandler<T>;
}

export interface ServeOptions<T> extends HandlerOptions<T> {
  /** 0 picks a free port (see server.port). */
  port?: number;
  /** Default: every interface, like node:net. */
  host?: string;
}

const noop = () => {};

export class Server<T = unknown> {
  /** Open connections. */
  readonly clients = new Set<ServerWebSocket<T>>();
  /** The listening port (serve() only). */
  port = 0;
  private readonly policy: Policy;
  private readonly deadlines: Deadlines;
  private readonly handler: WebSocketHandler<T>;
  private readonly handshaking = new Map<Duplex, Expiring>();
  private stopListening: () => Promise<void> = async () => {};
  private allClosed: (() => void) | undefined;

  constructor(options: HandlerOptions<T>) {
    this.handler = options.handler;
    this.policy = resolvePolicy(options);
    this.deadlines = Deadlines.forPolicy(this.policy);
  }

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
    const parsed = parseUpgrade(Buffer.from(`${text}\r\n`, "latin1"), this.policy);
    this.upgrade(socket, parsed.status === 0 ? { ...parsed, status: 400 } : parsed, head, cb);
  }

  /** Sends 1001 to every peer and stops accepting; resolves once every connection is gone. */
  async close(): Promise<void> {
    const stopped = this.stopListening();
    for (const s of this.handshaking.keys()) s.destroy();
    const done = new Promise<void>((resolve) => {
      this.allClosed = resolve;
    });
    for (const ws of this.clients) ws.close(1001, "server shutting down");
    if (this.clients.size > 0) await done;
    await stopped;
  }

  /** Standalone: reads the request head off a fresh connection. */
  accept(socket: Socket): void {
    socket.setNoDelay(true);
    let head: Uint8Array = new Uint8Array(0);
    const onData = (chunk: Buffer) => {
      head = head.length === 0 ? chunk : Buffer.concat([head, chunk]);
      const req = parseUpgrade(head, this.policy);
      if (req.status === 0) return;
      socket.off("data", onData);
      this.upgrade(socket, req, head.subarray(req.end));
    };
    socket.on("data", onData);
    this.guard(socket, this.policy.handshakeTimeout);
  }

  private upgrade(
    socket: Duplex,
    req: UpgradeRequest,
    rest: Uint8Array,
    cb?: (ws: ServerWebSocket<T>) => void,
  ): void {
    const d = decide(req, this.policy, this.clients.size);
    if (d.status !== 101 || !("protocol" in d)) {
      socket.end(rejectResponse(d.status, "message" in d ? d.message : undefined));
      this.guard(socket, this.policy.closeTimeout);
      return;
    }
    const guard = this.handshaking.get(socket);
    if (guard) this.deadlines.delete(guard);
    else socket.on("error", noop);
    this.handshaking.delete(socket);
    (socket as Socket).setNoDelay?.(true);
    const ws = new ServerWebSocket<T>({
      transport: transport(socket),
      handler: this.handler,
      policy: this.policy,
      deadlines: this.deadlines,
      protocol: d.protocol,
      path: req.path,
      remoteAddress: (socket as Socket).remoteAddress,
      prelude: acceptResponse({ accept: req.accept, protocol: d.protocol }),
      onClosed: (w) => {
        this.clients.delete(w);
        if (this.clients.size === 0) this.allClosed?.();
      },
    });
    this.clients.add(ws);
    socket.on("data", (chunk: Buffer) => ws.receive(chunk));
    socket.on("drain", () => ws.drained());
    socket.on("close", () => ws.closed());
    // http's sockets allow half-open; a peer that ends its side gets ours ended too.
    socket.on("end", () => socket.end());
    ws.open(rest);
    cb?.(ws);
  }

  // A socket that has not upgraded is destroyed when ms pass (or by close()).
  private guard(socket: Duplex, ms: number): void {
    let deadline = this.handshaking.get(socket);
    if (!deadline) {
      const d = { expire: () => socket.destroy() };
      this.handshaking.set(socket, (deadline = d));
      socket.on("error", noop);
      socket.on("close", () => {
        this.handshaking.delete(socket);
        this.deadlines.delete(d);
      });
    }
    this.deadlines.set(deadline, ms);
  }

  /** @internal */
  setListener(stop: () => Promise<void>): void {
    this.stopListening = stop;
  }
}

function transport(s: Duplex): Transport {
  return {
    write(chunks) {
      s.cork();
      for (const c of chunks) s.write(c);
      s.uncork();
      return !s.writableNeedDrain;
    },
    get bufferedAmount() {
      return s.writableLength;
    },
    end: () => s.end(),
    destroy: () => s.destroy(),
    pause: () => s.pause(),
    resume: () => s.resume(),
  };
}

/** A standalone WebSocket server on node:net. */
export function serve<T = unknown>(options: ServeOptions<T>): Promise<Server<T>> {
  const server = new Server<T>(options);
  const tcp = createServer({ noDelay: true }, (socket) => server.accept(socket));
  server.setListener(() => new Promise((resolve) => tcp.close(() => resolve())));
  return new Promise((resolve, reject) => {
    tcp.once("error", reject);
    tcp.listen(options.port ?? 0, options.host, () => {
      tcp.off("error", reject);
      const address = tcp.address();
      server.port = typeof address === "object" && address ? address.port : 0;
      resolve(server);
    });
  });
}

/** Serves WebSocket upgrades of an existing http or https server (https gives wss://). */
export function attach<T = unknown>(httpServer: HttpServer, options: HandlerOptions<T>): Server<T> {
  const server = new Server<T>(options);
  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) =>
    server.handleUpgrade(req, socket, head);
  httpServer.on("upgrade", onUpgrade);
  server.setListener(async () => {
    httpServer.off("upgrade", onUpgrade);
  });
  return server;
}

/** A server with no listener of its own, for handleUpgrade() from a framework. */
export function createUpgradeHandler<T = unknown>(options: HandlerOptions<T>): Server<T> {
  return new Server<T>(options);
}
