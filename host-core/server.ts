// The server, runtime-neutral: reads a request head off each accepted connection, answers it by
// policy and the handler's upgrade hook, and runs the WebSocket over the same connection. Adapters
// only accept connections and move bytes: every runtime gets the same limits, statuses and shutdown.
import * as abi from "./abi.ts";
import { Connections } from "./connections.ts";
import { Deadlines, type Expiring } from "./deadlines.ts";
import { WebSocketError, wsError } from "./errors.ts";
import { acceptResponse, parseUpgrade, rejectResponse, type UpgradeRequest } from "./handshake.ts";
import type { Payload } from "./payload.ts";
import type { Negotiated } from "./permessage-deflate.ts";
import { type Backplane, Topics } from "./pubsub.ts";
import { type Route, Router, type RoutingOptions } from "./router.ts";
import { decide, type Policy, resolvePolicy, type ServerOptions } from "./server-policy.ts";
import { encoded, logError, type ServerWebSocket, SocketDriver, type WebSocketHandler } from "./socket.ts";
import type { Transport, TransportEvents } from "./transport.ts";
import {
  type Acceptance,
  acceptance,
  discard,
  isResponse,
  refusalOf,
  toRequest,
  type UpgradeInfo,
} from "./upgrade.ts";

export interface HandlerOptions<T> extends ServerOptions, RoutingOptions<T> {
  /**
   * Subprotocols we speak (the client's first offer we speak is chosen), a chooser, or a handler
   * per subprotocol: the client's first offer that has one serves the connection (else `handler`).
   */
  protocols?: string[] | ((offered: string[]) => string | undefined) | Record<string, WebSocketHandler<T>>;
  /** Carries publishes to other servers (MemoryBackplane, wasmsock/redis). Default: topics stay in this server. */
  backplane?: Backplane;
}

/** serve()'s options in every host: where to listen, and a certificate for wss://. */
export interface ServeOptions<T> extends HandlerOptions<T> {
  /** 0 picks a free port (see server.port). */
  port?: number;
  /** The interface to listen on. Default: every one (IPv4 on Deno and Bun). */
  host?: string;
  /** PEM certificate and key: serves wss://. */
  tls?: { cert: string; key: string };
  /**
   * SO_REUSEPORT: several processes listen on one port and the kernel spreads connections among
   * them. Bun; Deno on Linux, run with --unstable-net; Node 22.12 and later (older Node: use
   * node:cluster). Where the runtime lacks it, serve() rejects.
   */
  reusePort?: boolean;
}

/** What an adapter knows of a connection it accepted. */
export interface TransportInfo {
  /** TLS: the upgrade hook's Request has an https:// URL. */
  secure?: boolean;
}

let internals: (server: WebSocketServer<unknown>) => ServerCore<unknown>;

/** A WebSocket server: what its user calls. Adapters reach the rest through serverInternals(). */
export class WebSocketServer<T = unknown> {
  readonly #core: ServerCore<T>;

  constructor(options: HandlerOptions<T>) {
    this.#core = new ServerCore(options);
  }

  static {
    internals = (server) => server.#core;
  }

  /** The listening port, for servers with a listener of their own. */
  get port(): number {
    return this.#core.port;
  }

  /** Open connections (with `evict`, next to evict first). */
  get clients(): ReadonlySet<ServerWebSocket<T>> {
    return this.#core.connections.all;
  }

  /**
   * Sends to every subscriber of topic, here and through the backplane. Returns how many local
   * subscribers it was queued for. A payload of 16 KiB or more is written by reference: do not
   * change it afterwards.
   */
  publish(topic: string, data: Payload | unknown, options?: { binary?: boolean }): number {
    return this.#core.topics.publish(topic, encoded(this.#core.router.codec, data), options?.binary);
  }

  /** Local sockets in topic. */
  subscriberCount(topic: string): number {
    return this.#core.topics.count(topic);
  }

  /**
   * Stops accepting, drops handshakes in progress and sends 1001 to every peer; resolves once every
   * connection is gone. Every call returns the same promise.
   */
  close(): Promise<void> {
    return this.#core.close();
  }
}

/** For adapters: the server's driving half. Not part of the public API. */
export function serverInternals<T>(server: WebSocketServer<T>): ServerCore<T> {
  return internals(server as WebSocketServer<unknown>) as unknown as ServerCore<T>;
}

/** What adapters drive: accepting connections, the listener, the port. */
export class ServerCore<T> {
  port = 0;
  readonly policy: Policy;
  readonly deadlines: Deadlines;
  readonly router: Router<T>;
  readonly connections: Connections<T>;
  readonly topics: Topics;
  /** Handshakes whose upgrade hook runs: they count toward maxConnections. */
  upgrading = 0;
  private readonly handshaking = new Set<Accepted<T>>();
  private stopListening: () => Promise<void> = async () => {};
  private allClosed: (() => void) | undefined;
  private closing: Promise<void> | undefined;
  /** One function for every socket, not a closure each. */
  readonly gone = (ws: ServerWebSocket<T>): void => {
    this.connections.delete(ws);
    if (this.connections.all.size === 0) this.allClosed?.();
  };
  readonly touch = (ws: ServerWebSocket<T>): void => this.connections.touch(ws);

  constructor(options: HandlerOptions<T>) {
    this.router = new Router(options);
    this.policy = resolvePolicy(options, this.router.patterns, this.router.chooser());
    this.connections = new Connections(this.policy.evict === "idle");
    this.deadlines = Deadlines.forPolicy(this.policy);
    this.topics = new Topics(options.backplane);
  }

  /** A fresh connection: its request head is read off the bytes it receives. */
  accept(transport: Transport, info: TransportInfo = {}): TransportEvents {
    return this.handshake(transport, info);
  }

  /** A connection whose request head was already parsed elsewhere (e.g. by an HTTP server). */
  acceptParsed(
    transport: Transport,
    req: UpgradeRequest,
    rest: Uint8Array,
    cb?: (ws: ServerWebSocket<T>) => void,
    info?: TransportInfo,
  ): TransportEvents {
    this.handshake(transport, info).answer(req, rest, cb);
    // The socket's, if it opened in the call.
    return transport.events;
  }

  private handshake(transport: Transport, info: TransportInfo = {}): Accepted<T> {
    const accepted = new Accepted(this, transport, info.secure === true);
    transport.events = accepted;
    this.handshaking.add(accepted);
    this.deadlines.set(accepted, this.policy.handshakeTimeout);
    return accepted;
  }

  /** How to stop the adapter's listener when close() is called. */
  setListener(stop: () => Promise<void>): void {
    this.stopListening = stop;
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  /** The handshake is over: refused and gone, or its WebSocket open. */
  settled(accepted: Accepted<T>): void {
    this.handshaking.delete(accepted);
    this.deadlines.delete(accepted);
  }

  opened(accepted: Accepted<T> | undefined, ws: ServerWebSocket<T>): void {
    if (accepted) this.settled(accepted);
    this.connections.add(ws);
  }

  /** Connections that count toward maxConnections: open ones and handshakes in the hook. */
  get load(): number {
    return this.connections.size + this.upgrading;
  }

  /**
   * After policy admitted a request: its route, making room first with `evict`. A WebSocketError
   * (and its status) when no handler takes its subprotocols or nothing can be evicted.
   */
  admit(path: string, protocol: string | undefined): Route<T> | { status: number; error: WebSocketError } {
    const route = this.router.resolve(path, protocol);
    if (!route) return { status: 400, error: wsError("WS_ERR_HANDSHAKE_NO_HANDLER") };
    const { maxConnections, evict } = this.policy;
    if (evict && maxConnections > 0 && this.load >= maxConnections && !this.connections.evict())
      return { status: 503, error: wsError("WS_ERR_HANDSHAKE_CAPACITY") };
    return route;
  }

  /** The reject callback for a refusal: the route's, else the server's handler's. */
  rejectFor(route: Route<T> | undefined): WebSocketHandler<T>["reject"] {
    return route ? route.handler.reject : this.router.refusals?.reject;
  }

  private async shutdown(): Promise<void> {
    const stopped = this.stopListening();
    for (const accepted of this.handshaking) accepted.drop();
    const done = new Promise<void>((resolve) => {
      this.allClosed = resolve;
    });
    for (const ws of this.connections.all) ws.close(1001, "server shutting down");
    if (this.connections.all.size > 0) await done;
    await stopped;
    await this.topics.close();
  }
}

// Where a connection is in its handshake.
const READING = 0;
const UPGRADING = 1;
const ANSWERED = 2;
const OPEN = 3;
const GONE = 4;

const empty = new Uint8Array(0);

/**
 * One connection, from its first byte until its WebSocket opens or it is refused and gone; the
 * adapter reports to it until then (transport.events), and to the SocketDriver from then on.
 */
class Accepted<T> implements TransportEvents, Expiring {
  private phase = READING;
  /** The head read so far; while the hook runs, the bytes that followed it. */
  private head: Uint8Array = empty;
  /** The hook's Request, for reject() if the hook runs out of time. */
  private request: Request | undefined;
  /** The handler serving this connection, once policy admitted it. */
  private route: Route<T> | undefined;
  /** Reading stopped while the hook runs (bytes came before our 101). */
  private held = false;

  constructor(
    private readonly server: ServerCore<T>,
    readonly transport: Transport,
    private readonly secure: boolean,
  ) {}

  receive(chunk: Uint8Array): void {
    if (this.phase === READING) this.readHead(chunk);
    else if (this.phase === UPGRADING) this.early(chunk);
  }

  drained(): void {}

  /** `closed` follows. */
  error(): void {}

  closed(): void {
    this.leave(GONE);
    this.server.settled(this);
  }

  /** handshakeTimeout passed, or closeTimeout after a refusal. */
  expire(): void {
    if (this.phase === UPGRADING) {
      this.refuse(rejectResponse(503), wsError("WS_ERR_HANDSHAKE_TIMEOUT"), this.request);
      return;
    }
    if (this.phase === READING) this.rejected(undefined, wsError("WS_ERR_HANDSHAKE_TIMEOUT"));
    this.transport.destroy();
  }

  /** server.close(): a handshake in progress is dropped. */
  drop(): void {
    this.leave(GONE);
    this.transport.destroy();
  }

  answer(req: UpgradeRequest, rest: Uint8Array, cb?: (ws: ServerWebSocket<T>) => void): void {
    this.head = empty;
    const { server } = this;
    const d = decide(req, server.policy, server.load);
    const admitted = "protocol" in d ? server.admit(req.path, d.protocol) : d;
    if (!("handler" in admitted)) {
      const request = server.rejectFor(undefined) ? toRequest(req, this.secure) : undefined;
      this.refuse(rejectResponse(admitted.status, admitted.error.message), admitted.error, request);
      return;
    }
    this.route = admitted;
    if (!("protocol" in d)) return;
    if (admitted.handler.upgrade) {
      this.upgrade(req, d.protocol, d.deflate, rest, cb);
    } else {
      const response = acceptResponse({
        accept: req.accept,
        protocol: d.protocol,
        extensions: d.deflate?.header,
      });
      this.open(req.path, response, d.protocol, d.deflate, rest, cb);
    }
  }

  private readHead(chunk: Uint8Array): void {
    const head = this.head.length === 0 ? chunk : concat(this.head, chunk);
    // A given chunk, or our own concatenation, stays as it is.
    const req = parseUpgrade(
      head,
      this.server.policy,
      undefined,
      head !== chunk || this.transport.givesChunks,
    );
    // Adapters may reuse their read buffer, so an incomplete head is kept as a copy.
    if (req.status === 0) this.head = head === chunk ? chunk.slice() : head;
    // The usual head, with nothing after it, is not viewed: on JavaScriptCore the first view of a
    // fresh chunk gives it an ArrayBuffer of its own (about 130 ns, measured on Bun).
    else this.answer(req, req.end === head.length ? empty : head.subarray(req.end));
  }

  private upgrade(
    req: UpgradeRequest,
    chosen: string | undefined,
    deflate: Negotiated | undefined,
    rest: Uint8Array,
    cb?: (ws: ServerWebSocket<T>) => void,
  ): void {
    const request = toRequest(req, this.secure);
    if (!request) {
      this.refuse(rejectResponse(400), WebSocketError.fromCore(abi.ERR_HS_MALFORMED), undefined);
      return;
    }
    this.phase = UPGRADING;
    this.server.upgrading++;
    this.request = request;
    // Kept as a copy for the same reason as an incomplete head.
    this.head = rest.slice();
    const failed = (thrown: unknown) => {
      if (this.phase === UPGRADING) this.hookFailed(wsError("WS_ERR_HANDSHAKE_HOOK", "", thrown));
    };
    const answered = (result: unknown) => {
      if (this.phase !== UPGRADING) discard(result);
      else if (isResponse(result)) refusalOf(result).then((bytes) => this.refused(bytes, result), failed);
      else this.upgraded(req, acceptance<T>(req, result, chosen, deflate), cb);
    };
    let result: unknown;
    try {
      result = this.route!.handler.upgrade!(request, { ...this.info(), target: req.path });
    } catch (thrown) {
      failed(thrown);
      return;
    }
    if (isThenable(result)) result.then(answered, failed);
    else answered(result);
  }

  /** The hook accepted; a 101 it asked for that cannot be sent is a 500. */
  private upgraded(
    req: UpgradeRequest,
    answer: Acceptance<T> | WebSocketError,
    cb?: (ws: ServerWebSocket<T>) => void,
  ): void {
    if (answer instanceof WebSocketError) this.hookFailed(answer);
    else this.open(req.path, answer.response, answer.protocol, answer.deflate, this.head, cb, answer.data);
  }

  /** The hook answered with a Response: it is the refusal. */
  private refused(bytes: Uint8Array, response: Response): void {
    if (this.phase !== UPGRADING) return;
    this.refuse(
      bytes,
      wsError("WS_ERR_HANDSHAKE_REFUSED", `status ${response.status}`, response),
      this.request,
    );
  }

  private hookFailed(error: WebSocketError): void {
    this.refuse(rejectResponse(500), error, this.request);
  }

  /** Bytes that arrived before our 101 wait for the socket; reading stops until then. */
  private early(chunk: Uint8Array): void {
    this.head = concat(this.head, chunk);
    this.held = true;
    this.transport.pause();
  }

  private open(
    path: string,
    response: Uint8Array,
    protocol: string | undefined,
    deflate: Negotiated | undefined,
    rest: Uint8Array,
    cb?: (ws: ServerWebSocket<T>) => void,
    data?: T,
  ): void {
    const { server, transport } = this;
    const socket = new SocketDriver<T>(
      server,
      transport,
      this.route!,
      protocol ?? "",
      path,
      data as T,
      deflate,
    );
    // From now on the connection's events go to the socket, and this handshake is garbage.
    transport.events = socket;
    this.leave(OPEN);
    this.head = empty;
    this.request = undefined;
    server.opened(this, socket.ws);
    // The 101 leaves alone, before anything open sends.
    transport.write([response]);
    if (this.held) transport.resume();
    socket.open(rest);
    cb?.(socket.ws);
  }

  private refuse(response: Uint8Array, error: WebSocketError, request: Request | undefined): void {
    this.leave(ANSWERED);
    this.head = empty;
    this.request = undefined;
    this.transport.write([response]);
    this.transport.end();
    this.server.deadlines.set(this, this.server.policy.closeTimeout);
    this.rejected(request, error);
  }

  /** Tells the handler's reject; whatever it throws stays out of the server. */
  private rejected(request: Request | undefined, error: WebSocketError): void {
    const reject = this.server.rejectFor(this.route);
    if (!reject) return;
    try {
      const result: unknown = reject(request, error, this.info());
      if (isThenable(result)) result.then(undefined, (thrown) => logError("reject() failed", thrown));
    } catch (thrown) {
      logError("reject() threw", thrown);
    }
  }

  private leave(phase: number): void {
    if (this.phase === UPGRADING) this.server.upgrading--;
    this.phase = phase;
  }

  private info(): UpgradeInfo {
    return { remoteAddress: this.transport.remoteAddress ?? "" };
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | undefined)?.then === "function";
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
