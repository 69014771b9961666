// The client with the browser's WebSocket interface, runtime-neutral: the protocol comes from
// Session and the client handshake, the bytes from an adapter's Dial (node:net, Deno.connect,
// Bun.connect, a WHATWG stream pair).
import { buildRequest, parseResponse } from "./client-handshake.ts";
import { WebSocketError } from "./errors.ts";
import { Session, type SessionHandler } from "./session.ts";
import type { Transport, TransportEvents } from "./transport.ts";

export interface ClientOptions {
  /** Subprotocols to offer (also the constructor's second argument). */
  protocols?: string | string[];
  /** Extra request header fields. */
  headers?: Record<string, string>;
  origin?: string;
  /** Largest message (and frame) accepted, in bytes; 1009 beyond it. Default 16 MiB. */
  maxPayload?: number;
  /** Milliseconds from connecting until the server's 101 arrives; default 30 000. */
  handshakeTimeout?: number;
  /** Milliseconds to wait for the server to end TCP once the close handshake is done; default 30 000. */
  closeTimeout?: number;
}

/** Where to connect, from the URL: `secure` for wss://. */
export interface ClientTarget {
  host: string;
  port: number;
  secure: boolean;
  url: URL;
}

/** How a host connects: write() may come before the connection is up, the adapter queues until then. */
export type Dial<O> = (target: ClientTarget, options: O, events: TransportEvents) => Transport;

export type BinaryType = "arraybuffer" | "nodebuffer" | "blob";

/** The `close` event (Node 20 has no global CloseEvent). */
export class CloseEvent extends Event {
  readonly code: number;
  readonly reason: string;
  readonly wasClean: boolean;
  constructor(type: string, init: { code: number; reason: string; wasClean: boolean }) {
    super(type);
    this.code = init.code;
    this.reason = init.reason;
    this.wasClean = init.wasClean;
  }
}

/** The `error` event; `error` says what went wrong (the browser's event does not). */
export class ErrorEvent extends Event {
  readonly error: Error;
  readonly message: string;
  constructor(error: Error) {
    super("error");
    this.error = error;
    this.message = error.message;
  }
}

const CONNECTING = 0;
const OPEN = 1;
const CLOSING = 2;
const CLOSED = 3;
const MAX_HEAD = 16 * 1024;
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const encoder = new TextEncoder();
const empty = new Uint8Array(0);
// Node's and Bun's Buffer, for binaryType "nodebuffer".
const NodeBuffer = (globalThis as { Buffer?: { from(b: ArrayBufferLike, o: number, l: number): Uint8Array } })
  .Buffer;

type Handler<E extends Event> = ((event: E) => void) | null;

export class ClientWebSocket<O extends ClientOptions = ClientOptions> extends EventTarget {
  static readonly CONNECTING = CONNECTING;
  static readonly OPEN = OPEN;
  static readonly CLOSING = CLOSING;
  static readonly CLOSED = CLOSED;
  readonly CONNECTING = CONNECTING;
  readonly OPEN = OPEN;
  readonly CLOSING = CLOSING;
  readonly CLOSED = CLOSED;

  readonly url: string;
  binaryType: BinaryType = "arraybuffer";
  private state = CONNECTING;
  private protocolValue = "";
  private extensionsValue = "";
  private readonly session: Session;
  private readonly connection: Transport;
  private readonly offered: string[];
  private readonly closeTimeout: number;
  private head: Uint8Array | null = empty;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private flushQueued = false;
  private closeCode = 1006;
  private closeReason = "";
  private failure: Error | null = null;
  private errored = false;
  private readonly handlers = new Map<string, Handler<Event>>();

  /** How a host opens connections: each host's WebSocket subclass sets it. */
  static readonly dial: Dial<never> | undefined;

  constructor(url: string | URL, protocols?: string | string[], options: O = {} as O) {
    super();
    const dial = (new.target as unknown as { dial?: Dial<O> }).dial;
    if (!dial) throw new TypeError("wasmsock: construct a host's WebSocket (e.g. from wasmsock/node)");
    const u = new URL(url);
    // The browser's rules: http(s) maps to ws(s); no fragment.
    if (u.protocol === "http:") u.protocol = "ws:";
    if (u.protocol === "https:") u.protocol = "wss:";
    if ((u.protocol !== "ws:" && u.protocol !== "wss:") || u.hash)
      throw new DOMException(`invalid WebSocket URL ${u.href}`, "SyntaxError");
    this.url = u.href;
    const list = protocols ?? options.protocols ?? [];
    this.offered = typeof list === "string" ? [list] : [...list];
    if (this.offered.some((p, i) => !TOKEN.test(p) || this.offered.indexOf(p) !== i))
      throw new DOMException("invalid or repeated subprotocol", "SyntaxError");
    this.closeTimeout = options.closeTimeout ?? 30_000;
    this.session = new Session({
      role: "client",
      maxMessageSize: options.maxPayload,
      maxFrameSize: options.maxPayload,
    });
    const request = buildRequest(this.session, {
      path: u.pathname + u.search,
      host: u.host,
      origin: options.origin,
      protocols: this.offered,
      headers: options.headers,
    });
    const secure = u.protocol === "wss:";
    const target = {
      host: u.hostname.replace(/^\[|\]$/g, ""),
      port: Number(u.port) || (secure ? 443 : 80),
      secure,
      url: u,
    };
    this.connection = dial(target, options, {
      data: (chunk) => this.onData(chunk),
      error: (err) => {
        this.failure ??= err;
      },
      close: () => this.onConnectionClosed(),
      // bufferedAmount is polled, as in the browser: nothing waits for drain.
      drain() {},
    });
    this.connection.write([request]);
    this.arm(options.handshakeTimeout ?? 30_000);
  }

  get readyState(): number {
    return this.state;
  }
  get protocol(): string {
    return this.protocolValue;
  }
  get extensions(): string {
    return this.extensionsValue;
  }
  /** Bytes queued by send() and not yet handed to the OS. */
  get bufferedAmount(): number {
    return this.session.pendingBytes + this.connection.bufferedAmount;
  }

  send(data: string | ArrayBufferLike | ArrayBufferView): void {
    if (this.state === CONNECTING) throw new DOMException("still connecting", "InvalidStateError");
    // Like the browser, sending once closing has begun is ignored, not an error.
    if (this.state !== OPEN || this.session.closeSent) return;
    if (typeof data === "string") this.session.send(data);
    else if (ArrayBuffer.isView(data))
      this.session.send(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    else this.session.send(new Uint8Array(data));
    this.scheduleFlush();
  }

  /** Not in the browser's API: sends a ping; the answer arrives as a `pong` MessageEvent. */
  ping(data: string | Uint8Array = empty): void {
    if (this.state === CONNECTING) throw new DOMException("still connecting", "InvalidStateError");
    if (this.state !== OPEN || this.session.closeSent) return;
    this.session.ping(data);
    this.scheduleFlush();
  }

  close(code?: number, reason = ""): void {
    if (code !== undefined && code !== 1000 && (code < 3000 || code > 4999))
      throw new DOMException(`close code ${code} is not 1000 or 3000-4999`, "InvalidAccessError");
    if (encoder.encode(reason).length > 123)
      throw new DOMException("close reason over 123 bytes", "SyntaxError");
    if (this.state === CONNECTING) {
      this.fail(new WebSocketError("WS_ERR_CLOSED_BEFORE_OPEN", "closed before the connection opened"));
      return;
    }
    if (this.state !== OPEN) return;
    this.state = CLOSING;
    this.session.close(code ?? (reason ? 1000 : undefined), reason);
    this.flush();
    this.arm(this.closeTimeout);
  }

  get onopen(): Handler<Event> {
    return this.getHandler("open");
  }
  set onopen(f: Handler<Event>) {
    this.setHandler("open", f);
  }
  get onmessage(): Handler<MessageEvent> {
    return this.getHandler("message");
  }
  set onmessage(f: Handler<MessageEvent>) {
    this.setHandler("message", f);
  }
  get onerror(): Handler<ErrorEvent> {
    return this.getHandler("error");
  }
  set onerror(f: Handler<ErrorEvent>) {
    this.setHandler("error", f);
  }
  get onclose(): Handler<CloseEvent> {
    return this.getHandler("close");
  }
  set onclose(f: Handler<CloseEvent>) {
    this.setHandler("close", f);
  }

  private getHandler<E extends Event>(type: string): Handler<E> {
    return (this.handlers.get(type) as Handler<E> | undefined) ?? null;
  }

  // Like the browser's onX attributes: one listener per type, replaced on assignment.
  private setHandler<E extends Event>(type: string, f: Handler<E>): void {
    const old = this.handlers.get(type);
    if (old) this.removeEventListener(type, old);
    this.handlers.set(type, f as Handler<Event>);
    if (f) this.addEventListener(type, f as (e: Event) => void);
  }

  private readonly handler: SessionHandler = {
    message: (data, isBinary) => {
      const value = isBinary ? this.binary(data as Uint8Array) : data;
      this.dispatchEvent(new MessageEvent("message", { data: value }));
    },
    pong: (data) => this.dispatchEvent(new MessageEvent("pong", { data: this.binary(data) })),
    close: (code, reason) => {
      this.closeCode = code || 1005;
      this.closeReason = reason;
      this.state = CLOSING;
    },
    error: (error) => {
      this.failure = error;
      this.errored = true;
      this.state = CLOSING;
      this.dispatchEvent(new ErrorEvent(error));
    },
  };

  private binary(data: Uint8Array): ArrayBuffer | Uint8Array | Blob {
    if (this.binaryType === "nodebuffer" && NodeBuffer)
      return NodeBuffer.from(data.buffer, data.byteOffset, data.byteLength);
    if (this.binaryType === "blob") return new Blob([data as Uint8Array<ArrayBuffer>]);
    // The session hands out views (of a chunk or a pooled buffer); copy unless the view is whole.
    const whole = data.byteOffset === 0 && data.byteLength === data.buffer.byteLength;
    return (whole ? data.buffer : new Uint8Array(data).buffer) as ArrayBuffer;
  }

  private onData(chunk: Uint8Array): void {
    if (this.head) {
      chunk = this.handshake(chunk);
      if (chunk.length === 0) return;
    }
    const wasOpen = !this.session.closeSent && !this.session.failed;
    this.session.receive(chunk, this.handler);
    this.flush();
    // 7.1.1: once the close is answered (or the peer failed us), the server ends TCP; bound the wait.
    if (wasOpen && (this.session.closeReceived || this.session.failed)) this.arm(this.closeTimeout);
  }

  /** Collects the response head; returns the bytes after it (frames), empty while incomplete. */
  private handshake(chunk: Uint8Array): Uint8Array {
    let head = chunk;
    if (this.head!.length > 0) {
      head = new Uint8Array(this.head!.length + chunk.length);
      head.set(this.head!);
      head.set(chunk, this.head!.length);
    }
    const res = parseResponse(this.session, head, this.offered, MAX_HEAD);
    if (res.status === 0) {
      // Adapters may reuse their read buffer, so an incomplete head is kept as a copy.
      this.head = head === chunk ? chunk.slice() : head;
      return empty;
    }
    this.head = null;
    if (res.status !== 101) {
      this.fail(res.error!);
      return empty;
    }
    clearTimeout(this.timer);
    this.protocolValue = res.protocol;
    this.extensionsValue = res.extensions;
    this.state = OPEN;
    this.dispatchEvent(new Event("open"));
    return head.subarray(res.end);
  }

  /** Fails the connection (7.1.7): no closing handshake, error then close with 1006. */
  private fail(error: Error): void {
    this.failure = error;
    this.state = CLOSING;
    this.connection.destroy();
  }

  private arm(ms: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      if (this.state === CONNECTING)
        this.fail(new WebSocketError("WS_ERR_HANDSHAKE_TIMEOUT", "handshake timed out"));
      else this.connection.destroy();
    }, ms);
  }

  private scheduleFlush(): void {
    if (this.flushQueued) return;
    this.flushQueued = true;
    queueMicrotask(() => {
      this.flushQueued = false;
      this.flush();
    });
  }

  /** Everything queued goes out as one (vectored) write. */
  private flush(): void {
    if (this.state === CLOSED) return;
    const chunks = this.session.takeOutput();
    if (chunks.length > 0) this.connection.write(chunks);
  }

  private onConnectionClosed(): void {
    if (this.state === CLOSED) return;
    clearTimeout(this.timer);
    const clean = this.session.closeReceived && this.session.closeSent && !this.session.failed;
    if (!clean && !this.errored)
      this.dispatchEvent(new ErrorEvent(this.failure ?? new Error("connection lost")));
    this.state = CLOSED;
    this.session.free();
    this.dispatchEvent(
      new CloseEvent("close", {
        code: clean ? this.closeCode : 1006,
        reason: clean ? this.closeReason : "",
        wasClean: clean,
      }),
    );
  }
}

/** A host's connect(): a WebSocket of `Class` that resolves once open. */
export function connector<O extends ClientOptions, W extends ClientWebSocket<O>>(
  Class: new (url: string | URL, protocols?: string | string[], options?: O) => W,
): (url: string | URL, options?: O) => Promise<W> {
  return (url, options) => opened(new Class(url, options?.protocols, options));
}

/** Resolves once the socket is open; rejects with what made it fail otherwise. */
export function opened<W extends ClientWebSocket>(ws: W): Promise<W> {
  return new Promise((resolve, reject) => {
    let error: unknown;
    const onError = (e: Event) => {
      error ??= (e as ErrorEvent).error;
    };
    ws.addEventListener("error", onError);
    ws.addEventListener(
      "open",
      () => {
        ws.removeEventListener("error", onError);
        resolve(ws);
      },
      { once: true },
    );
    ws.addEventListener("close", () => reject(error ?? new Error("connection closed before opening")), {
      once: true,
    });
  });
}
