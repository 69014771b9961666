// The socket a server's handler holds. Runtime-neutral: it drives a Session and talks to the
// runtime through a Transport. Batching: what handlers queue while one received chunk is
// dispatched leaves in one write; sends outside dispatch leave together on the next microtask.
import type { WebSocketError } from "./errors.ts";
import type { Deadlines, Expiring, Policy } from "./server-policy.ts";
import { Session, type SessionHandler } from "./session.ts";
import type { Transport } from "./transport.ts";

export interface WebSocketHandler<T = unknown> {
  open?(ws: ServerWebSocket<T>): void;
  message?(ws: ServerWebSocket<T>, data: string | Uint8Array, isBinary: boolean): void;
  /**
   * Streaming: when present, messages arrive in pieces as they are received (and `message` is not
   * called), so a message never has to fit in memory. Pair it with `maxPayload: 0` for no limit.
   */
  fragment?(ws: ServerWebSocket<T>, data: Uint8Array, isBinary: boolean, first: boolean, fin: boolean): void;
  /** Once per connection, when TCP is gone: the peer's close code, an error's, or 1006. */
  close?(ws: ServerWebSocket<T>, code: number, reason: string): void;
  /** send() returned false and the buffer has since fallen below highWaterMark. */
  drain?(ws: ServerWebSocket<T>): void;
  /** The peer broke the protocol; the close frame with err.closeCode is already queued. */
  error?(ws: ServerWebSocket<T>, err: WebSocketError): void;
  ping?(ws: ServerWebSocket<T>, data: Uint8Array): void;
  pong?(ws: ServerWebSocket<T>, data: Uint8Array): void;
}

export const CONNECTING = 0;
export const OPEN = 1;
export const CLOSING = 2;
export const CLOSED = 3;

// What a pending deadline means for this socket.
const IDLE = 1;
const PINGED = 2;
const CLOSE_WAIT = 3;

export interface SocketInit<T> {
  transport: Transport;
  handler: WebSocketHandler<T>;
  policy: Policy;
  deadlines: Deadlines;
  protocol?: string;
  path?: string;
  /** Called once when the transport is gone, after the handler's close. */
  onClosed?(ws: ServerWebSocket<T>): void;
}

export class ServerWebSocket<T = unknown> implements Expiring {
  /** User state. */
  data: T = undefined as T;
  readonly protocol: string;
  readonly extensions = "";
  readonly path: string;
  readyState = CONNECTING;
  private readonly session: Session;
  private readonly init: SocketInit<T>;
  private readonly events: SessionHandler;
  private prelude: Uint8Array | undefined;
  private dispatching = false;
  private flushQueued = false;
  private needDrain = false;
  private active = false;
  private ended = false;
  private deadline = 0;
  private closeCode = 1006;
  private closeReason = "";

  constructor(init: SocketInit<T>) {
    this.init = init;
    this.protocol = init.protocol ?? "";
    this.path = init.path ?? "/";
    const max = init.policy.maxPayload;
    this.session = new Session({
      role: "server",
      maxFrameSize: max,
      maxMessageSize: max,
      textAs: init.policy.textAs,
      stream: init.handler.fragment !== undefined,
      autoFree: false,
    });
    this.events = new SessionEvents(this, init.handler);
  }

  get remoteAddress(): string {
    return this.init.transport.remoteAddress ?? "";
  }

  get bufferedAmount(): number {
    return this.session.pendingBytes + this.init.transport.bufferedAmount;
  }

  /** Queues a message; false when it was buffered past highWaterMark (drain follows). */
  send(data: string | Uint8Array, options: { binary?: boolean } = {}): boolean {
    if (this.readyState !== OPEN || this.session.closeSent) return false;
    this.session.send(data, options.binary ?? typeof data !== "string");
    return this.queued();
  }

  ping(data?: string | Uint8Array): void {
    if (this.readyState !== OPEN || this.session.closeSent) return;
    this.session.ping(data);
    this.queued();
  }

  /** Starts the closing handshake (7.1.2); TCP is destroyed if the peer never answers. */
  close(code?: number, reason?: string): void {
    // After a received close or a protocol error the close frame is already queued.
    if (this.readyState !== OPEN || this.session.closeSent) return;
    this.session.close(code, reason);
    this.readyState = CLOSING;
    this.arm(CLOSE_WAIT, this.init.policy.closeTimeout);
    this.queued();
  }

  /** Destroys TCP at once, without a closing handshake. */
  terminate(): void {
    this.init.transport.destroy();
  }

  /** Stops reading from the peer (TCP backpressure reaches it). */
  pause(): void {
    this.init.transport.pause();
  }

  resume(): void {
    this.init.transport.resume();
  }

  // ---- For adapters ----

  /**
   * Runs the handler's open, then decodes bytes that followed the request head. `prelude` (the
   * 101 response) leaves in the same write as the first frames.
   */
  open(prelude?: Uint8Array, rest?: Uint8Array): void {
    this.prelude = prelude;
    this.readyState = OPEN;
    this.armIdle();
    this.dispatching = true;
    try {
      this.init.handler.open?.(this);
    } finally {
      this.dispatching = false;
    }
    if (rest && rest.length > 0) this.receive(rest);
    else this.flush();
  }

  /** One received chunk: decode, dispatch, then one write for everything queued meanwhile. */
  receive(chunk: Uint8Array): void {
    this.active = true;
    this.dispatching = true;
    try {
      this.session.receive(chunk, this.events);
    } finally {
      this.dispatching = false;
    }
    this.flush();
    // 7.1.1: after the closing handshake (or failing the connection) the server ends TCP first.
    if (this.session.failed || this.session.closeReceived) this.shutdown();
  }

  /** The transport's buffer emptied. */
  drained(): void {
    if (!this.needDrain || this.bufferedAmount >= this.init.policy.highWaterMark) return;
    this.needDrain = false;
    this.init.handler.drain?.(this);
  }

  /** The transport is gone (closed, reset or destroyed). */
  closed(): void {
    if (this.readyState === CLOSED) return;
    this.readyState = CLOSED;
    this.init.deadlines.delete(this);
    this.session.free();
    this.init.handler.close?.(this, this.closeCode, this.closeReason);
    this.init.onClosed?.(this);
  }

  /** A deadline passed: heartbeat, then idle close; or the peer never finished closing. */
  expire(): void {
    if (this.deadline === CLOSE_WAIT) {
      this.init.transport.destroy();
    } else if (this.active) {
      this.armIdle();
    } else if (this.deadline === IDLE) {
      this.ping();
      this.arm(PINGED, this.init.policy.idleTimeout / 2);
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

  private queued(): boolean {
    if (!this.dispatching && !this.flushQueued) {
      this.flushQueued = true;
      queueMicrotask(() => {
        this.flushQueued = false;
        this.flush();
      });
    }
    if (this.bufferedAmount < this.init.policy.highWaterMark) return true;
    this.needDrain = true;
    return false;
  }

  private flush(): void {
    if (this.readyState === CLOSED || (this.session.pendingBytes === 0 && !this.prelude)) return;
    const out = this.session.takeOutput();
    if (this.prelude) out.unshift(this.prelude);
    this.prelude = undefined;
    this.init.transport.write(out);
    // send() said false before this write; if the transport took everything at once, no drain
    // event of its own will come.
    this.drained();
  }

  private shutdown(): void {
    if (this.ended || this.readyState === CLOSED) return;
    this.ended = true;
    this.readyState = CLOSING;
    this.flush();
    this.init.transport.end();
    this.arm(CLOSE_WAIT, this.init.policy.closeTimeout);
  }

  private armIdle(): void {
    this.active = false;
    if (this.init.policy.idleTimeout > 0) this.arm(IDLE, this.init.policy.idleTimeout / 2);
  }

  private arm(kind: number, ms: number): void {
    this.deadline = kind;
    this.init.deadlines.set(this, ms);
  }
}

// Forwards the session's events to the user's handler with the socket as first argument: one
// small object per connection rather than a closure per event.
class SessionEvents<T> implements SessionHandler {
  constructor(
    private readonly ws: ServerWebSocket<T>,
    private readonly h: WebSocketHandler<T>,
  ) {}

  message(data: string | Uint8Array, isBinary: boolean): void {
    this.h.message?.(this.ws, data, isBinary);
  }

  fragment(data: Uint8Array, isBinary: boolean, first: boolean, fin: boolean): void {
    this.h.fragment?.(this.ws, data, isBinary, first, fin);
  }

  ping(data: Uint8Array): void {
    this.h.ping?.(this.ws, data);
  }

  pong(data: Uint8Array): void {
    this.h.pong?.(this.ws, data);
  }

  close(code: number, reason: string): void {
    this.ws.onPeerClose(code, reason);
  }

  error(err: WebSocketError): void {
    this.ws.onError(err);
    this.h.error?.(this.ws, err);
  }
}
