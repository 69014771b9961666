// The server, runtime-neutral: reads a request head off each accepted connection, answers it by
// policy, and runs the WebSocket over the same connection. Adapters only accept connections and
// move bytes: every runtime gets the same limits, statuses and shutdown.
import { acceptResponse, parseUpgrade, rejectResponse, type UpgradeRequest } from "./handshake.ts";
import {
  Deadlines,
  decide,
  type Expiring,
  type Policy,
  resolvePolicy,
  type ServerOptions,
} from "./server-policy.ts";
import { ServerWebSocket, type WebSocketHandler } from "./socket.ts";
import type { Transport, TransportEvents } from "./transport.ts";

export interface HandlerOptions<T> extends ServerOptions {
  handler: WebSocketHandler<T>;
}

/** serve()'s options in every host: where to listen, and a certificate for wss://. */
export interface ServeOptions<T> extends HandlerOptions<T> {
  /** 0 picks a free port (see server.port). */
  port?: number;
  /** The interface to listen on. Default: every one (IPv4 on Deno and Bun). */
  host?: string;
  /** PEM certificate and key: serves wss://. */
  tls?: { cert: string; key: string };
}

const empty = new Uint8Array(0);

export class WebSocketServer<T = unknown> {
  /** Open connections. */
  readonly clients = new Set<ServerWebSocket<T>>();
  /** The listening port, for servers with a listener of their own. */
  port = 0;
  readonly policy: Policy;
  readonly deadlines: Deadlines;
  readonly handler: WebSocketHandler<T>;
  private readonly handshaking = new Set<Accepted<T>>();
  private stopListening: () => Promise<void> = async () => {};
  private allClosed: (() => void) | undefined;
  /** @internal One function for every socket, not a closure each. */
  readonly gone = (ws: ServerWebSocket<T>): void => {
    this.clients.delete(ws);
    if (this.clients.size === 0) this.allClosed?.();
  };

  constructor(options: HandlerOptions<T>) {
    this.handler = options.handler;
    this.policy = resolvePolicy(options);
    this.deadlines = Deadlines.forPolicy(this.policy);
  }

  /** A fresh connection: its request head is read off the bytes it receives. */
  accept(connection: Transport): TransportEvents {
    const accepted = new Accepted(this, connection);
    this.handshaking.add(accepted);
    this.deadlines.set(accepted, this.policy.handshakeTimeout);
    return accepted;
  }

  /** A connection whose request head was already parsed elsewhere (e.g. by an HTTP server). */
  acceptParsed(
    connection: Transport,
    req: UpgradeRequest,
    rest: Uint8Array,
    cb?: (ws: ServerWebSocket<T>) => void,
  ): TransportEvents {
    const accepted = new Accepted(this, connection);
    this.handshaking.add(accepted);
    accepted.answer(req, rest, cb);
    return accepted;
  }

  /** Sends 1001 to every peer and stops accepting; resolves once every connection is gone. */
  async close(): Promise<void> {
    const stopped = this.stopListening();
    for (const p of this.handshaking) p.connection.destroy();
    const done = new Promise<void>((resolve) => {
      this.allClosed = resolve;
    });
    for (const ws of this.clients) ws.close(1001, "server shutting down");
    if (this.clients.size > 0) await done;
    await stopped;
  }

  /** For adapters: how to stop their listener when close() is called. */
  setListener(stop: () => Promise<void>): void {
    this.stopListening = stop;
  }

  /** @internal */
  settled(accepted: Accepted<T>): void {
    this.handshaking.delete(accepted);
    this.deadlines.delete(accepted);
  }

  /** @internal */
  opened(accepted: Accepted<T>, ws: ServerWebSocket<T>): void {
    this.settled(accepted);
    this.clients.add(ws);
  }
}

/** One connection, from its first byte until it is gone: the request head, then its WebSocket. */
class Accepted<T> implements TransportEvents, Expiring {
  private head: Uint8Array = empty;
  private ws: ServerWebSocket<T> | undefined;
  private answered = false;

  constructor(
    private readonly server: WebSocketServer<T>,
    readonly connection: Transport,
  ) {}

  data(chunk: Uint8Array): void {
    if (this.ws) this.ws.receive(chunk);
    else if (!this.answered) this.readHead(chunk);
  }

  private readHead(chunk: Uint8Array): void {
    const head = this.head.length === 0 ? chunk : concat(this.head, chunk);
    const req = parseUpgrade(head, this.server.policy);
    // Adapters may reuse their read buffer, so an incomplete head is kept as a copy.
    if (req.status === 0) this.head = head === chunk ? chunk.slice() : head;
    else this.answer(req, head.subarray(req.end));
  }

  drain(): void {
    this.ws?.drained();
  }

  // Nothing to tell: the close that follows is what the socket and its handler hear.
  error(): void {}

  close(): void {
    if (this.ws) this.ws.closed();
    else this.server.settled(this);
  }

  /** The handshake or the goodbye after a refusal took too long. */
  expire(): void {
    this.connection.destroy();
  }

  answer(req: UpgradeRequest, rest: Uint8Array, cb?: (ws: ServerWebSocket<T>) => void): void {
    this.answered = true;
    this.head = empty;
    const { server, connection } = this;
    const { policy } = server;
    const d = decide(req, policy, server.clients.size);
    if (d.status !== 101 || !("protocol" in d)) {
      connection.write([rejectResponse(d.status, "message" in d ? d.message : undefined)]);
      connection.end();
      server.deadlines.set(this, policy.closeTimeout);
      return;
    }
    const ws = new ServerWebSocket<T>({
      transport: connection,
      handler: server.handler,
      policy,
      deadlines: server.deadlines,
      protocol: d.protocol,
      path: req.path,
      onClosed: server.gone,
    });
    this.ws = ws;
    server.opened(this, ws);
    ws.open(acceptResponse({ accept: req.accept, protocol: d.protocol }), rest);
    cb?.(ws);
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
