// The socket a server's handler holds (ServerWebSocket: only what a handler calls) and the half the
// server drives (SocketDriver: the Session, the Transport, the deadlines). Batching: what handlers
// queue while one received chunk is dispatched leaves in one write; sends outside dispatch leave
// together on the next microtask, or when cork()'s callback returns.
import { STATE_OPEN } from "./abi.ts";
import { type Codec, type CodecOption, invalidMessage, type OnInvalid } from "./codec.ts";
import type { Deadlines, Expiring } from "./deadlines.ts";
import { type WebSocketError, wsError } from "./errors.ts";
import { unlend } from "./output.ts";
import { bytesOf, invalidPayload, type Payload } from "./payload.ts";
import type { Negotiated } from "./permessage-deflate.ts";
import { type Framed, isSubscribed, type Subscriber, type Topics, topicsOf } from "./pubsub.ts";
import type { Route } from "./router.ts";
import type { Policy } from "./server-policy.ts";
import { Session, type SessionHandler } from "./session.ts";
import { CLOSED, OPEN, type ReadyState, readyStateOf, type WebSocketState } from "./state.ts";
import { split, Throttle } from "./throttle.ts";
import type { Transport, TransportEvents } from "./transport.ts";
import type { UpgradeInfo, UpgradeResult } from "./upgrade.ts";

/** What `message` receives: the codec's value (M) or, without a codec, text or bytes. */
export type Received<M> = [M] extends [Payload] ? string | Uint8Array : M;

export interface WebSocketHandler<T = unknown, M = Payload> {
  /** This handler's codec, overriding the server's (`"json"`, or `{ decode, encode }`). */
  codec?: CodecOption;
  /** A message its codec cannot decode: close with 1007 (default) or tell `error` and go on. */
  onInvalid?: OnInvalid;
  /**
   * Runs once the request passed RFC 6455 4.2.1 and the server's policy, before the 101; may be
   * async, within handshakeTimeout. Return nothing to accept, `{ data, headers, protocol }` to
   * accept with user state, extra 101 fields and a subprotocol the client offered, or a `Response`
   * to refuse with it. A throw refuses with 500.
   */
  upgrade?(request: Request, info: UpgradeInfo): UpgradeResult<T> | Promise<UpgradeResult<T>>;
  /**
   * A handshake was refused (the error's code says why) or timed out. `request` is undefined when
   * the head did not get far enough to make one.
   */
  reject?(request: Request | undefined, error: WebSocketError, info: UpgradeInfo): void;
  open?(ws: ServerWebSocket<T, M>): void;
  /** A whole message: text as a string (or bytes, by textAs), binary as bytes; with a codec, its value. */
  message?(ws: ServerWebSocket<T, M>, data: Received<M>, isBinary: boolean): void;
  /**
   * Streaming: when present, messages arrive in pieces as they are received (and `message` is not
   * called), so a message never has to fit in memory. Pair it with `maxPayload: 0` for no limit.
   */
  fragment?(
    ws: ServerWebSocket<T, M>,
    data: Uint8Array,
    isBinary: boolean,
    first: boolean,
    fin: boolean,
  ): void;
  /** Once per connection, when TCP is gone: the peer's close code, an error's, or 1006. */
  close?(ws: ServerWebSocket<T, M>, code: number, reason: string): void;
  /** send() returned false and the buffer has since fallen below highWaterMark. */
  drain?(ws: ServerWebSocket<T, M>): void;
  /**
   * The peer broke the protocol (the close frame with err.closeCode is already queued), or open
   * threw (`WS_ERR_HANDLER`, the thrown value as `cause`; the connection closes with 1011), or a
   * message its codec could not decode (`WS_ERR_INVALID_MESSAGE`).
   */
  error?(ws: ServerWebSocket<T, M>, err: WebSocketError): void;
  ping?(ws: ServerWebSocket<T, M>, data: Uint8Array): void;
  pong?(ws: ServerWebSocket<T, M>, data: Uint8Array): void;
}

export type { Payload } from "./payload.ts";
export { CLOSED, CLOSING, CONNECTING, OPEN } from "./state.ts";

/** The server's side a socket needs; one per server, shared by its sockets. */
export interface SocketContext<T> {
  readonly policy: Policy;
  readonly deadlines: Deadlines;
  readonly topics: Topics;
  /** Bytes arrived on ws (for `evict: "idle"`). */
  touch(ws: ServerWebSocket<T>): void;
  /** The socket's transport is gone, after the handler's close. */
  gone(ws: ServerWebSocket<T>): void;
}

/**
 * What a ServerWebSocket drives: our engine's SocketDriver, or a runtime's own WebSocket
 * (host-core/mounted.ts).
 */
export interface Driver<T> {
  readonly route: Route<T>;
  readonly readyState: ReadyState;
  readonly state: WebSocketState;
  readonly protocol: string;
  readonly extensions: string;
  readonly path: string;
  readonly remoteAddress: string;
  readonly bufferedAmount: number;
  readonly dropped: number;
  readonly topics: string | Set<string> | undefined;
  send(data: Payload, binary?: boolean): boolean;
  ping(data?: Payload): void;
  close(code?: number, reason?: string): void;
  terminate(): void;
  pause(): void;
  resume(): void;
  cork<R>(fn: () => R): R;
  subscribe(topic: string): void;
  unsubscribe(topic: string): void;
  publish(topic: string, data: Payload, binary?: boolean): number;
}

let wrap: <T>(driver: Driver<T>, data: T) => ServerWebSocket<T>;

/** For drivers: the socket a handler holds. */
export function socketFor<T>(driver: Driver<T>, data: T): ServerWebSocket<T> {
  return wrap(driver, data);
}

/** An open WebSocket as its handler sees it; M is what send() takes (a codec's value, or a Payload). */
export class ServerWebSocket<T = unknown, M = Payload> {
  /** Your state, from the upgrade hook's `data` or set by a handler. */
  data: T;
  readonly #driver: Driver<T>;

  private constructor(driver: Driver<T>, data: T) {
    this.#driver = driver;
    this.data = data;
  }

  static {
    wrap = (driver, data) => new ServerWebSocket(driver, data) as ServerWebSocket<never>;
  }

  /** OPEN, then CLOSING once a close frame was sent or received, CLOSED when TCP is gone. */
  get readyState(): ReadyState {
    return this.#driver.readyState;
  }

  /** The connection's state as the core keeps it: OPEN, CLOSE_SENT, CLOSE_RECEIVED, ... */
  get state(): WebSocketState {
    return this.#driver.state;
  }

  /** The subprotocol chosen in the handshake, or "". */
  get protocol(): string {
    return this.#driver.protocol;
  }

  /** The Sec-WebSocket-Extensions value agreed in the handshake, or "". */
  get extensions(): string {
    return this.#driver.extensions;
  }

  /** The request target, query included. */
  get path(): string {
    return this.#driver.path;
  }

  get remoteAddress(): string {
    return this.#driver.remoteAddress;
  }

  /** Bytes queued and not yet handed to the OS. */
  get bufferedAmount(): number {
    return this.#driver.bufferedAmount;
  }

  /** Messages send() did not queue because of backpressureLimit. */
  get dropped(): number {
    return this.#driver.dropped;
  }

  /**
   * Queues a message: a string as text, bytes as binary (`binary` overrides); with a codec, any
   * value it encodes. False when it is buffered past highWaterMark (drain follows), or not queued
   * (closed, or past backpressureLimit). Throws a TypeError for anything but a string, an
   * ArrayBuffer or an ArrayBufferView (without a codec), or what the codec cannot encode.
   */
  send(data: M, options?: { binary?: boolean }): boolean {
    return this.#driver.send(encoded(this.#driver.route.codec, data), options?.binary);
  }

  ping(data?: Payload): void {
    this.#driver.ping(data);
  }

  /** Starts the closing handshake (7.1.2); TCP is destroyed if the peer never answers. */
  close(code?: number, reason?: string): void {
    this.#driver.close(code, reason);
  }

  /** Destroys TCP at once, without a closing handshake. */
  terminate(): void {
    this.#driver.terminate();
  }

  /** Stops reading from the peer (TCP backpressure reaches it). */
  pause(): void {
    this.#driver.pause();
  }

  resume(): void {
    this.#driver.resume();
  }

  /** Runs fn with batching on: what it sends leaves in one write when it returns. */
  cork<R>(fn: () => R): R {
    return this.#driver.cork(fn);
  }

  /** Joins a topic (nothing once closed); the socket leaves its topics when it closes. */
  subscribe(topic: string): void {
    this.#driver.subscribe(topic);
  }

  unsubscribe(topic: string): void {
    this.#driver.unsubscribe(topic);
  }

  isSubscribed(topic: string): boolean {
    return isSubscribed(this.#driver, topic);
  }

  /** The topics this socket is in. */
  get topics(): string[] {
    return topicsOf(this.#driver);
  }

  /**
   * Sends to every subscriber of topic but this socket, here and through the server's backplane.
   * Returns how many local subscribers it was queued for. A payload of 16 KiB or more is written
   * by reference: do not change it afterwards.
   */
  publish(topic: string, data: M, options?: { binary?: boolean }): number {
    return this.#driver.publish(topic, encoded(this.#driver.route.codec, data), options?.binary);
  }
}

/** A value as its codec sends it; without one, the Payload itself. */
export function encoded(codec: Codec | undefined, data: unknown): Payload {
  return codec ? codec.encode(data) : (data as Payload);
}

/**
 * A whole message to its route's handler, through the codec: a message that does not decode closes
 * with 1007 (after telling `error`), or only goes to `error` with `onInvalid: "error"`.
 */
export function dispatchMessage<T>(
  route: Route<T>,
  ws: ServerWebSocket<T>,
  data: string | Uint8Array,
  isBinary: boolean,
): void {
  const { handler, codec } = route;
  if (!handler.message) return;
  if (!codec) {
    handler.message(ws, data, isBinary);
    return;
  }
  let value: unknown;
  try {
    value = codec.decode(data, isBinary);
  } catch (thrown) {
    const err = invalidMessage(thrown);
    if (route.onInvalid !== "error") ws.close(1007, "invalid message");
    if (handler.error) handler.error(ws, err);
    else if (route.onInvalid === "error") logError(err.message, thrown);
    return;
  }
  (handler.message as (ws: ServerWebSocket<T>, data: unknown, isBinary: boolean) => void)(
    ws,
    value,
    isBinary,
  );
}

// What a pending deadline means for this socket.
const IDLE = 1;
const PINGED = 2;
const CLOSE_WAIT = 3;

// SocketDriver's bits.
const BATCHING = 1;
const USER_PAUSED = 2;
const THROTTLED = 4;
const FLUSH_QUEUED = 8;
const BACKED_UP = 16;
const NEED_DRAIN = 32;
const ACTIVE = 64;
const ENDED = 128;
// Above the flags: the pending deadline's kind (2 bits), then the close code handlers will see (the
// core lets none past 4999, so the field stays a small integer).
const DEADLINE_SHIFT = 8;
const DEADLINE_MASK = 3 << DEADLINE_SHIFT;
const CODE_SHIFT = 10;

const empty = new Uint8Array(0);
// How long a failed connection waits for the peer to close TCP after our close frame.
const FAIL_LINGER = 250;
// The timers of failed connections lingering: rare, so kept here rather than in a field of each.
const lingering = new Map<SocketDriver<unknown>, ReturnType<typeof setTimeout>>();

/** One open WebSocket as the server drives it: it owns the Session and the Transport. */
export class SocketDriver<T> implements TransportEvents, Expiring, Subscriber, Driver<T> {
  readonly ws: ServerWebSocket<T>;
  dropped = 0;
  topics: string | Set<string> | undefined;
  private readonly session: Session;
  // Made with the first received bytes: an idle connection never needs it.
  private events: SessionHandler | undefined;
  // The booleans below, the deadline's kind and the close code in one field: a field each would cost
  // every idle connection 8 bytes apiece.
  private bits = 1006 << CODE_SHIFT;
  private closeReason = "";
  // `throttle`: the buckets, and reading or writing held until they refill.
  private readonly limit: Throttle | undefined;

  constructor(
    private readonly ctx: SocketContext<T>,
    private readonly transport: Transport,
    readonly route: Route<T>,
    readonly protocol: string,
    readonly path: string,
    data: T,
    deflate: Negotiated | undefined,
  ) {
    const { policy } = ctx;
    if (policy.throttleIn || policy.throttleOut)
      this.limit = new Throttle(policy.throttleIn, policy.throttleOut, () => this.refilled());
    this.session = new Session({
      role: "server",
      maxFrameSize: policy.maxPayload,
      maxMessageSize: policy.maxPayload,
      textAs: policy.textAs,
      borrow: policy.borrow,
      stream: route.handler.fragment !== undefined,
      autoFree: false,
      deflate,
    });
    this.ws = wrap(this, data);
  }

  // Sends are batched while a received chunk is dispatched or cork()'s callback runs.
  private get batching(): boolean {
    return (this.bits & BATCHING) !== 0;
  }
  private set batching(on: boolean) {
    this.setBit(BATCHING, on);
  }
  // Reading is paused by the user, or while more than highWaterMark bytes wait to be written.
  private get userPaused(): boolean {
    return (this.bits & USER_PAUSED) !== 0;
  }
  private set userPaused(on: boolean) {
    this.setBit(USER_PAUSED, on);
  }
  private get throttled(): boolean {
    return (this.bits & THROTTLED) !== 0;
  }
  private set throttled(on: boolean) {
    this.setBit(THROTTLED, on);
  }
  private get flushQueued(): boolean {
    return (this.bits & FLUSH_QUEUED) !== 0;
  }
  private set flushQueued(on: boolean) {
    this.setBit(FLUSH_QUEUED, on);
  }
  // The transport's last write answered false: output waits in the session until drain.
  private get backedUp(): boolean {
    return (this.bits & BACKED_UP) !== 0;
  }
  private set backedUp(on: boolean) {
    this.setBit(BACKED_UP, on);
  }
  private get needDrain(): boolean {
    return (this.bits & NEED_DRAIN) !== 0;
  }
  private set needDrain(on: boolean) {
    this.setBit(NEED_DRAIN, on);
  }
  // Bytes arrived since the idle deadline was armed.
  private get active(): boolean {
    return (this.bits & ACTIVE) !== 0;
  }
  private set active(on: boolean) {
    this.setBit(ACTIVE, on);
  }
  private get ended(): boolean {
    return (this.bits & ENDED) !== 0;
  }
  private set ended(on: boolean) {
    this.setBit(ENDED, on);
  }

  private get deadline(): number {
    return (this.bits & DEADLINE_MASK) >>> DEADLINE_SHIFT;
  }
  private set deadline(kind: number) {
    this.bits = (this.bits & ~DEADLINE_MASK) | (kind << DEADLINE_SHIFT);
  }
  private get closeCode(): number {
    return this.bits >>> CODE_SHIFT;
  }
  private set closeCode(code: number) {
    this.bits = (this.bits & ((1 << CODE_SHIFT) - 1)) | (code << CODE_SHIFT);
  }

  private setBit(bit: number, on: boolean): void {
    this.bits = on ? this.bits | bit : this.bits & ~bit;
  }

  private get handler(): WebSocketHandler<T> {
    return this.route.handler;
  }

  get remoteAddress(): string {
    return this.transport.remoteAddress ?? "";
  }

  get extensions(): string {
    return this.session.extensions;
  }

  /** The core's state of the connection; CLOSED once the session is freed. */
  get state(): WebSocketState {
    return this.session.state as WebSocketState;
  }

  get readyState(): ReadyState {
    return readyStateOf(this.session.state);
  }

  get bufferedAmount(): number {
    return this.session.pendingBytes + this.transport.bufferedAmount + (this.limit?.outboundBytes ?? 0);
  }

  send(data: Payload, binary?: boolean): boolean {
    const bytes = toBytes(data);
    // Open with no close of ours queued is exactly the core's STATE_OPEN.
    if (this.session.state !== STATE_OPEN) return false;
    // Past the limit already, as in uWebSockets: a message larger than the limit still goes alone.
    if (this.bufferedAmount >= this.ctx.policy.backpressureLimit) return this.overLimit();
    this.session.send(bytes, binary ?? typeof data !== "string");
    return this.queued();
  }

  ping(data: Payload = empty): void {
    const bytes = toBytes(data);
    if (this.readyState !== OPEN || this.session.closeSent) return;
    this.session.ping(bytes);
    this.queued();
  }

  close(code?: number, reason?: string): void {
    // After a received close or a protocol error the close frame is already queued.
    if (this.readyState !== OPEN || this.session.closeSent) return;
    this.session.close(code, reason);
    this.arm(CLOSE_WAIT, this.ctx.policy.closeTimeout);
    this.queued();
  }

  terminate(): void {
    this.transport.destroy();
  }

  pause(): void {
    this.userPaused = true;
    this.transport.pause();
  }

  resume(): void {
    this.userPaused = false;
    if (!this.throttled && !this.limit?.inbound) this.transport.resume();
  }

  cork<R>(fn: () => R): R {
    if (this.batching) return fn();
    this.batching = true;
    try {
      return fn();
    } finally {
      this.batching = false;
      this.flush();
    }
  }

  subscribe(topic: string): void {
    if (this.readyState !== CLOSED) this.ctx.topics.subscribe(this, topic);
  }

  unsubscribe(topic: string): void {
    this.ctx.topics.unsubscribe(this, topic);
  }

  publish(topic: string, data: Payload, binary?: boolean): number {
    return this.ctx.topics.publish(topic, data, binary, this);
  }

  // ---- For topics ----

  /** A published message, framed once: the same bytes are queued to every subscriber. */
  deliver(message: Framed): boolean {
    if (this.session.state !== STATE_OPEN) return false;
    const { policy } = this.ctx;
    // A slow subscriber does not hold up the others, and what it holds stays bounded.
    if (this.bufferedAmount >= policy.backpressureLimit) {
      this.dropped++;
      if (policy.closeOnBackpressureLimit) this.close(1008, "too slow");
      return false;
    }
    this.session.queueMessage(message);
    if (!this.batching && !this.flushQueued) {
      this.flushQueued = true;
      if (SocketDriver.delivered.push(this as SocketDriver<unknown>) === 1)
        queueMicrotask(SocketDriver.flushDelivered);
    }
    return true;
  }

  // Subscribers with deliveries to write, flushed on one microtask for all rather than one each.
  private static delivered: SocketDriver<unknown>[] = [];
  private static readonly flushDelivered = (): void => {
    const list = SocketDriver.delivered;
    SocketDriver.delivered = [];
    for (const d of list) {
      d.flushQueued = false;
      d.flush();
    }
  };

  // ---- For the server ----

  /** Runs the handler's open (the 101 is already written), then decodes bytes that followed the head. */
  open(rest: Uint8Array): void {
    this.armIdle();
    this.cork(() => this.runOpen());
    // Not given: with handleUpgrade a framework hands it over.
    if (rest.length > 0) this.take(rest, false);
  }

  /** One received chunk: decode, dispatch, then one write for everything queued meanwhile. */
  receive(chunk: Uint8Array): void {
    this.take(chunk, this.transport.givesChunks === true);
  }

  private take(chunk: Uint8Array, given: boolean): void {
    this.active = true;
    this.ctx.touch(this.ws);
    if (this.limit?.in) this.metered(chunk, given);
    else this.decode(chunk, given);
  }

  /** `throttle.in`: what the bucket allows is decoded now; the rest waits, and reading stops. */
  private metered(chunk: Uint8Array, given: boolean): void {
    const limit = this.limit!;
    if (limit.inbound) {
      limit.inbound = concat(limit.inbound, chunk);
      return;
    }
    const n = Math.min(chunk.length, limit.in!.available());
    if (n < chunk.length) {
      limit.inbound = chunk.slice(n);
      this.transport.pause();
      this.ctx.deadlines.set(limit, limit.in!.wait);
    }
    limit.in!.take(n);
    if (n > 0) this.decode(n === chunk.length ? chunk : chunk.subarray(0, n), given);
  }

  private decode(chunk: Uint8Array, given: boolean): void {
    this.batching = true;
    try {
      this.session.receive(chunk, (this.events ??= new SessionEvents(this, this.ws, this.route)), given);
    } finally {
      // Also when a handler threw: what it queued before leaves now, not with the next chunk.
      this.batching = false;
      this.flush();
      // 7.1.1: after the closing handshake (or failing the connection) the server ends TCP first.
      if (this.session.failed || this.session.closeReceived) this.shutdown();
    }
  }

  /** The transport's buffer emptied: what waited goes now. */
  drained(): void {
    this.backedUp = false;
    if (this.session.pendingBytes > 0) this.flush();
    else this.wrote();
  }

  /** After a write or a drain: reading follows writing, and a user waiting for drain hears of it. */
  private wrote(): void {
    this.throttle();
    if (!this.needDrain || this.bufferedAmount >= this.ctx.policy.highWaterMark) return;
    this.needDrain = false;
    this.handler.drain?.(this.ws);
  }

  /** The transport failed: `closed` follows, and the WebSocket sees 1006. */
  error(): void {}

  /** The transport is gone (closed, reset or destroyed). */
  closed(): void {
    if (this.readyState === CLOSED) return;
    const linger = lingering.get(this);
    if (linger !== undefined) {
      clearTimeout(linger);
      lingering.delete(this);
    }
    this.ctx.deadlines.delete(this);
    if (this.limit) this.ctx.deadlines.delete(this.limit);
    this.ctx.topics.leaveAll(this);
    this.session.free();
    this.handler.close?.(this.ws, this.closeCode, this.closeReason);
    this.ctx.gone(this.ws);
  }

  /** A deadline passed: heartbeat, then idle close; or the peer never finished closing. */
  expire(): void {
    if (this.deadline === CLOSE_WAIT) {
      this.transport.destroy();
    } else if (this.active) {
      this.armIdle();
    } else if (this.deadline === IDLE) {
      this.ping();
      this.arm(PINGED, this.ctx.policy.idleTimeout / 2);
    } else {
      this.close(1001, "idle timeout");
      this.closeCode = 1001;
      this.shutdown();
    }
  }

  onPeerClose(code: number, reason: string): void {
    this.closeCode = code;
    this.closeReason = reason;
  }

  onError(err: WebSocketError): void {
    this.closeCode = err.closeCode || 1006;
    this.closeReason = err.message;
  }

  /** The throttle's wait is over: reading and writing go on where the buckets allow. */
  private refilled(): void {
    const limit = this.limit!;
    if (this.readyState === CLOSED) return;
    const waiting = limit.inbound;
    if (waiting) {
      const n = Math.min(waiting.length, limit.in!.available());
      limit.inbound = n < waiting.length ? waiting.subarray(n) : undefined;
      limit.in!.take(n);
      if (n > 0) this.decode(waiting.subarray(0, n), false);
      if (!limit.inbound && !this.userPaused && !this.throttled) this.transport.resume();
    }
    if (limit.outboundBytes > 0) this.flush();
    if (limit.inbound) this.ctx.deadlines.set(limit, limit.in!.wait);
    else if (limit.outboundBytes > 0) this.ctx.deadlines.set(limit, limit.out!.wait);
  }

  // An open that throws fails only its own connection: 1011 (7.4.1), and the error is reported.
  private runOpen(): void {
    const { handler } = this;
    try {
      handler.open?.(this.ws);
    } catch (thrown) {
      this.close(1011);
      const err = wsError("WS_ERR_HANDLER", "open()", thrown, 1011);
      if (handler.error) handler.error(this.ws, err);
      else logError(`${err.message}, closed with 1011`, thrown);
    }
  }

  private overLimit(): boolean {
    this.dropped++;
    this.needDrain = true;
    if (this.ctx.policy.closeOnBackpressureLimit) this.close(1008, "backpressure limit");
    return false;
  }

  private queued(): boolean {
    if (!this.batching && !this.flushQueued) {
      this.flushQueued = true;
      queueMicrotask(() => {
        this.flushQueued = false;
        this.flush();
      });
    }
    if (this.bufferedAmount < this.ctx.policy.highWaterMark) return true;
    this.needDrain = true;
    return false;
  }

  /**
   * Hands the session's output to the transport. While the transport is backed up, output waits in
   * the session, copied into its batch: a peer that does not read then holds a few large buffers,
   * not one small chunk (and its bookkeeping) per frame. `force` writes anyway (before end()).
   */
  private flush(force = false): void {
    const limit = this.limit;
    if (this.readyState === CLOSED || (this.session.pendingBytes === 0 && !limit?.outboundBytes)) return;
    if (this.backedUp && !force) {
      this.throttle();
      return;
    }
    const taken = this.session.pendingBytes > 0 ? this.session.lendOutput() : [];
    const chunks = limit?.out ? this.metering(limit, taken, force) : taken;
    if (chunks.length === 0) {
      unlend(taken);
      this.throttle();
      return;
    }
    try {
      this.backedUp = !this.transport.write(chunks);
    } catch {
      // A transport that throws is broken; this may run in a microtask, where a throw is nobody's.
      this.transport.destroy();
      return;
    } finally {
      unlend(taken);
    }
    // send() said false before this write; if the transport took everything at once, no drain
    // event of its own will come.
    this.wrote();
  }

  /** `throttle.out`: output waits behind what already waits; what the bucket allows goes now. */
  private metering(limit: Throttle, chunks: Uint8Array[], force: boolean): Uint8Array[] {
    const all = limit.outboundBytes > 0 ? [...limit.outbound, ...chunks] : chunks;
    const total = limit.outboundBytes + chunks.reduce((n, c) => n + c.length, 0);
    const n = force ? total : Math.min(total, limit.out!.available());
    limit.out!.take(n);
    const [now, later] = n === total ? [all, []] : split(all, n);
    limit.outbound = later;
    limit.outboundBytes = total - n;
    if (limit.outboundBytes > 0) this.ctx.deadlines.set(limit, limit.out!.wait);
    return now;
  }

  /**
   * Reading follows writing: while more than highWaterMark bytes wait to be written (pongs to a ping
   * flood, echoes to a peer that does not read), the socket is not read, so the peer's own TCP
   * window holds what it sends. A user's pause() stays in force on top.
   */
  private throttle(): void {
    const over = this.bufferedAmount > this.ctx.policy.highWaterMark;
    if (over === this.throttled || this.readyState === CLOSED) return;
    this.throttled = over;
    if (over) this.transport.pause();
    else if (!this.userPaused && !this.limit?.inbound) this.transport.resume();
  }

  private shutdown(): void {
    if (this.ended || this.readyState === CLOSED) return;
    this.ended = true;
    this.flush(true);
    this.transport.end(this.session.closeReceived && this.session.closeSent && !this.session.failed);
    this.arm(CLOSE_WAIT, this.ctx.policy.closeTimeout);
    // 7.1.7: a failed connection is dropped soon after our close, sooner than the shared sweep's
    // tick; failures are rare enough for a timer of their own.
    if (this.session.failed)
      lingering.set(
        this,
        setTimeout(() => this.transport.destroy(), FAIL_LINGER),
      );
  }

  private armIdle(): void {
    this.active = false;
    if (this.ctx.policy.idleTimeout > 0) this.arm(IDLE, this.ctx.policy.idleTimeout / 2);
  }

  private arm(kind: number, ms: number): void {
    this.deadline = kind;
    this.ctx.deadlines.set(this, ms);
  }
}

/** A payload's bytes; anything else throws a TypeError at once. */
function toBytes(data: unknown): Uint8Array {
  const bytes = bytesOf(data);
  if (!bytes) throw invalidPayload(data, "a string, an ArrayBuffer or an ArrayBufferView");
  return bytes;
}

/** One line on stderr for an error no handler took. */
export function logError(what: string, thrown: unknown): void {
  console.error(`wasmsock: ${what}: ${thrown instanceof Error ? thrown.message : String(thrown)}`);
}

// Forwards the session's events to the user's handler with the socket as first argument: one
// small object per connection rather than a closure per event.
class SessionEvents<T> implements SessionHandler {
  private readonly h: WebSocketHandler<T>;

  constructor(
    private readonly driver: SocketDriver<T>,
    private readonly ws: ServerWebSocket<T>,
    private readonly route: Route<T>,
  ) {
    this.h = route.handler;
  }

  message(data: string | Uint8Array, isBinary: boolean): void {
    dispatchMessage(this.route, this.ws, data, isBinary);
  }

  fragment(data: Uint8Array, isBinary: boolean, first: boolean, fin: boolean): void {
    this.h.fragment?.(this.ws, data, isBinary, first, fin);
  }

  // The session's view is copied only for a handler that takes it.
  ping(data: Uint8Array): void {
    this.h.ping?.(this.ws, data.slice());
  }

  pong(data: Uint8Array): void {
    this.h.pong?.(this.ws, data.slice());
  }

  close(code: number, reason: string): void {
    this.driver.onPeerClose(code, reason);
  }

  error(err: WebSocketError): void {
    this.driver.onError(err);
    this.h.error?.(this.ws, err);
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
