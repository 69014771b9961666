// A WebSocket client for Node with the browser's interface: node:net / node:tls for the bytes,
// host-core's Session and client handshake for the protocol.
import net from "node:net";
import tls from "node:tls";
import { buildRequest, parseResponse } from "../host-core/client-handshake.ts";
import { WebSocketError } from "../host-core/errors.ts";
import { Session, type SessionHandler } from "../host-core/session.ts";

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
  /** For wss:// — passed to tls.connect (ca, cert, key, rejectUnauthorized, servername...). */
  tls?: tls.ConnectionOptions;
}

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
// 5.6: a leading U+FEFF is text like any other, so it must not be stripped as a BOM.

type Handler<E extends Event> = ((event: E) => void) | null;

export class WebSocket extends EventTarget {
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
  private readonly socket: net.Socket;
  private readonly offered: string[];
  private readonly closeTimeout: number;
  private head: Uint8Array | null = new Uint8Array(0);
  private timer: NodeJS.Timeout | undefined;
  private flushQueued = false;
  private closeCode = 1006;
  private closeReason = "";
  private failure: Error | null = null;
  private errored = false;
  private readonly handlers = new Map<string, Handler<Event>>();

  constructor(url: string | URL, protocols?: string | string[], options: ClientOptions = {}) {
    super();
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
    const maxPayload = options.maxPayload;
    this.session = new Session({
      role: "client",
      maxMessageSize: maxPayload,
      maxFrameSize: maxPayload,
    });
    const request = buildRequest(this.session, {
      path: u.pathname + u.search,
      host: u.host,
      origin: options.origin,
      protocols: this.offered,
      headers: options.headers,
    });
    const host = u.hostname.replace(/^\[|\]$/g, "");
    const port = Number(u.port) || (u.protocol === "wss:" ? 443 : 80);
    this.socket =
      u.protocol === "wss:"
        ? tls.connect({ servername: net.isIP(host) ? undefined : host, ...options.tls, host, port })
        : net.connect({ host, port });
    this.socket.setNoDelay(true);
    this.socket.write(request);
    this.socket.on("data", (chunk: Buffer) => this.onData(chunk));
    this.socket.on("error", (err) => (this.failure ??= err));
    this.socket.on("close", () => this.onSocketClose());
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
  /** Bytes queued by send() and not yet handed to the kernel. */
  get bufferedAmount(): number {
    return this.session.pendingBytes + this.socket.writableLength;
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
  ping(data: string | Uint8Array = new Uint8Array(0)): void {
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

  private binary(data: Uint8Array): ArrayBuffer | Buffer | Blob {
    if (this.binaryType === "nodebuffer") return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    if (this.binaryType === "blob") return new Blob([data as Uint8Array<ArrayBuffer>]);
    // The session hands out views (of a chunk or a pooled Buffer); copy unless the view is whole.
    const whole = data.byteOffset === 0 && data.byteLength === data.buffer.byteLength;
    return (whole ? data.buffer : new Uint8Array(data).buffer) as ArrayBuffer;
  }

  private onData(chunk: Buffer): void {
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
  private handshake(chunk: Buffer): Buffer {
    const head = this.head!.length ? Buffer.concat([this.head!, chunk]) : chunk;
    const res = parseResponse(this.session, head, this.offered, MAX_HEAD);
    if (res.status === 0) {
      this.head = head;
      return chunk.subarray(0, 0);
    }
    this.head = null;
    if (res.status !== 101) {
      this.fail(res.error!);
      return chunk.subarray(0, 0);
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
    this.socket.destroy();
  }

  private arm(ms: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      if (this.state === CONNECTING)
        this.fail(new WebSocketError("WS_ERR_HANDSHAKE_TIMEOUT", "handshake timed out"));
      else this.socket.destroy();
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
    const chunks = this.session.takeOutput();
    if (chunks.length === 0 || this.socket.destroyed) return;
    this.socket.cork();
    for (const c of chunks) this.socket.write(c);
    this.socket.uncork();
  }

  private onSocketClose(): void {
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

/** Connects and resolves once the connection is open; rejects with the failure otherwise. */
export function connect(url: string | URL, options: ClientOptions = {}): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, options.protocols, options);
    let error: unknown;
    const onError = (e: Event) => (error ??= (e as ErrorEvent).error);
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
