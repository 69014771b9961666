// The client with the browser's WebSocket interface (the WHATWG WebSockets standard), runtime-
// neutral: the protocol comes from Session and the client handshake, the bytes from an adapter's
// Dial (node:net, Deno.connect, Bun.connect, a WHATWG stream pair).
import { buildRequest, parseResponse } from "./client-handshake.ts";
import { WebSocketError, wsError } from "./errors.ts";
import { unlend } from "./output.ts";
import { bytesOf, invalidPayload } from "./payload.ts";
import {
  acceptClientAnswer,
  clientOffer,
  EXTENSION,
  type PerMessageDeflateOptions,
  resolveDeflate,
} from "./permessage-deflate.ts";
import { Session, type SessionHandler } from "./session.ts";
import { readyStateOf, type WebSocketState } from "./state.ts";
import type { Transport, TransportEvents } from "./transport.ts";

export interface ClientOptions {
  /** Subprotocols to offer (also the constructor's second argument). */
  protocols?: string | string[];
  /** Extra request header fields: names are tokens, values hold no control character but tab. */
  headers?: Record<string, string>;
  origin?: string;
  /** Largest message (and frame) accepted, in bytes; 1009 beyond it; 0 for no limit. Default 100 MiB, as ws. */
  maxPayload?: number;
  /** Milliseconds from connecting until the server's 101 arrives; default 30 000. */
  handshakeTimeout?: number;
  /** Milliseconds to wait for the server to end TCP once the close handshake is done; default 30 000. */
  closeTimeout?: number;
  /**
   * Reading pauses while more than this many bytes of what the core writes on its own (pongs, the
   * close) wait to be sent, so a server flooding pings without reading cannot grow our memory.
   * Default 1 MiB.
   */
  highWaterMark?: number;
  /**
   * RFC 7692 compression, offered by default as browsers do (`false` to not offer it). The
   * server's answer decides; `extensions` shows it.
   */
  perMessageDeflate?: boolean | PerMessageDeflateOptions;
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

export type BinaryType = "blob" | "arraybuffer" | "nodebuffer";

/** What a CloseEvent carries (declared here: the DOM lib's type is not in Node's). */
export interface CloseEventInit {
  code?: number;
  reason?: string;
  wasClean?: boolean;
}

/** The `close` event (Node 20 has no global CloseEvent). */
export class CloseEvent extends Event {
  readonly code: number;
  readonly reason: string;
  readonly wasClean: boolean;
  constructor(type: string, init: CloseEventInit = {}) {
    super(type);
    this.code = init.code ?? 0;
    this.reason = init.reason ?? "";
    this.wasClean = init.wasClean ?? false;
  }
}

/** The `error` event; `error` says what went wrong (the browser's event does not). */
export class ErrorEvent extends Event {
  readonly error: WebSocketError;
  readonly message: string;
  constructor(error: WebSocketError) {
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
const DEFAULT_HIGH_WATER_MARK = 1024 * 1024;
// How long a failed connection waits for the server to close TCP after our close frame.
const FAIL_LINGER = 250;
const DEFAULT_MAX_PAYLOAD = 100 * 1024 * 1024;
// bufferedAmount's list of sent messages is compacted once this many entries at its front have gone.
const COMPACT_MIN = 1024;
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// RFC 7230 3.2: a field value holds no control character but HTAB.
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is its job.
const FIELD_CTL = /[\0-\x08\x0a-\x1f\x7f]/;
const encoder = new TextEncoder();
const empty = new Uint8Array(0);
// Node's and Bun's Buffer, for binaryType "nodebuffer".
const NodeBuffer = (globalThis as { Buffer?: { from(b: ArrayBufferLike, o: number, l: number): Uint8Array } })
  .Buffer;

type Handler<E extends Event> = ((event: E) => void) | null;

/** A send waiting behind a Blob that is being read; `size` is what it adds to bufferedAmount. */
interface Outgoing {
  data: Uint8Array | Blob;
  binary: boolean;
  size: number;
}

export class ClientWebSocket<O extends ClientOptions = ClientOptions> extends EventTarget {
  // The IDL constants, defined read-only on the class and its prototype below.
  declare static readonly CONNECTING: 0;
  declare static readonly OPEN: 1;
  declare static readonly CLOSING: 2;
  declare static readonly CLOSED: 3;
  declare readonly CONNECTING: 0;
  declare readonly OPEN: 1;
  declare readonly CLOSING: 2;
  declare readonly CLOSED: 3;

  readonly url: string;
  /** The URL's origin, which every MessageEvent carries. */
  private readonly origin: string;
  // close() or a failure began closing before the core's state says so (a close waiting behind a
  // Blob, a refused handshake).
  private ending = false;
  // Reading is paused while unsent output is over highWaterMark (a server flooding pings).
  private throttled = false;
  private readonly highWaterMark: number;
  private binaryTypeValue: BinaryType = "blob";
  private protocolValue = "";
  private extensionsValue = "";
  private readonly session: Session;
  private readonly connection: Transport;
  private readonly offered: string[];
  private readonly deflate: Required<PerMessageDeflateOptions> | null;
  private readonly closeTimeout: number;
  private head: Uint8Array | null = empty;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private flushQueued = false;
  private closeCode = 1006;
  private closeReason = "";
  private failure: Error | null = null;
  private readonly handlers = new Map<string, (event: Event) => void>();
  /** Sends behind a Blob being read, in order; close() waits behind them too. */
  private backlog: Outgoing[] = [];
  private waiting = 0;
  private closing: [code: number | undefined, reason: string] | null = null;
  private readonly ledger = new Ledger();
  /** Bytes given to send() that will never be sent: bufferedAmount keeps them. */
  private dropped = 0;

  /** How a host opens connections: each host's WebSocket subclass sets it. */
  static readonly dial: Dial<never> | undefined;

  constructor(url: string | URL, protocols?: string | string[], options: O = {} as O) {
    super();
    const dial = (new.target as unknown as { dial?: Dial<O> }).dial;
    if (!dial) throw new TypeError("wasmsock: construct a host's WebSocket (e.g. from wasmsock/node)");
    const u = parseUrl(url);
    this.url = u.href;
    this.origin = u.origin;
    const list = protocols ?? options.protocols ?? [];
    this.offered = typeof list === "string" ? [list] : [...list];
    if (this.offered.some((p, i) => !TOKEN.test(p) || this.offered.indexOf(p) !== i))
      throw new DOMException("invalid or repeated subprotocol", "SyntaxError");
    checkFields(options);
    this.closeTimeout = options.closeTimeout ?? 30_000;
    this.highWaterMark = options.highWaterMark ?? DEFAULT_HIGH_WATER_MARK;
    this.session = new Session({
      role: "client",
      maxMessageSize: options.maxPayload ?? DEFAULT_MAX_PAYLOAD,
      maxFrameSize: options.maxPayload ?? DEFAULT_MAX_PAYLOAD,
    });
    this.deflate = resolveDeflate(options.perMessageDeflate ?? true, false);
    const request = buildRequest(this.session, {
      path: u.pathname + u.search,
      host: u.host,
      origin: options.origin,
      protocols: this.offered,
      extensions: this.deflate ? clientOffer(this.deflate) : undefined,
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
      receive: (chunk) => this.onData(chunk),
      error: (err) => {
        this.failure ??= err;
      },
      closed: () => this.onConnectionClosed(),
      // bufferedAmount is polled, as in the browser: only reading waits for drain.
      drained: () => this.throttle(),
    });
    this.connection.write([request]);
    this.arm(options.handshakeTimeout ?? 30_000);
  }

  /** The WHATWG readyState, derived from the core's state of the connection. */
  get readyState(): number {
    const state = readyStateOf(this.session.state);
    return this.ending && state < CLOSING ? CLOSING : state;
  }

  /** The connection's state as the core keeps it (one of WebSocketState). */
  get state(): WebSocketState {
    return this.session.state as WebSocketState;
  }
  get protocol(): string {
    return this.protocolValue;
  }
  get extensions(): string {
    return this.extensionsValue;
  }

  /**
   * Payload bytes given to send() and not yet handed to the OS, framing excluded (the standard's
   * rule). Sends once closing has begun are not sent but still count; the count never resets.
   */
  get bufferedAmount(): number {
    if (this.readyState === CLOSED) return this.dropped;
    return this.dropped + this.waiting + this.ledger.pending(this.connection.bufferedAmount);
  }

  get binaryType(): BinaryType {
    return this.binaryTypeValue;
  }
  // As for any enumerated attribute, a value outside the enumeration is ignored.
  set binaryType(value: BinaryType) {
    const type = `${value}`;
    if (type === "blob" || type === "arraybuffer" || (type === "nodebuffer" && NodeBuffer))
      this.binaryTypeValue = type;
  }

  /** Sends a string as text; an ArrayBuffer, a view's bytes or a Blob as binary, all in order. */
  send(data: string | ArrayBufferLike | ArrayBufferView | Blob): void {
    const payload = toPayload(data);
    if (this.readyState === CONNECTING) throw new DOMException("still connecting", "InvalidStateError");
    const binary = typeof data !== "string";
    const size = payload instanceof Uint8Array ? payload.length : payload.size;
    if (this.readyState !== OPEN) {
      this.dropped += size;
      return;
    }
    if (payload instanceof Uint8Array && this.backlog.length === 0) {
      this.queue(payload, binary);
      return;
    }
    // A Blob, or a send behind one: it waits its turn. A view's bytes are taken now, as writes to
    // it after send() must not show.
    const entry = { data: payload instanceof Uint8Array && binary ? payload.slice() : payload, binary, size };
    this.backlog.push(entry);
    this.waiting += size;
    // Only a Blob starts a backlog.
    if (this.backlog.length === 1) this.read(entry, payload as Blob);
  }

  /** Not in the browser's API: sends a ping; the answer arrives as a `pong` MessageEvent. */
  ping(data: string | Uint8Array = empty): void {
    if (this.readyState === CONNECTING) throw new DOMException("still connecting", "InvalidStateError");
    if (this.readyState !== OPEN) return;
    this.session.ping(data);
    this.scheduleFlush();
  }

  close(code?: number, reason?: string): void {
    // The standard's order: the code, then the reason, then the state.
    if (code !== undefined) {
      const clamped = clampCode(code);
      if (clamped !== 1000 && (clamped < 3000 || clamped > 4999))
        throw new DOMException(`close code ${code} is not 1000 or 3000-4999`, "InvalidAccessError");
      code = clamped;
    }
    if (reason !== undefined) {
      reason = `${reason}`;
      if (encoder.encode(reason).length > 123)
        throw new DOMException("close reason over 123 bytes", "SyntaxError");
    }
    if (this.readyState === CONNECTING) this.fail(wsError("WS_ERR_CLOSED_BEFORE_OPEN"));
    else if (this.readyState === OPEN) {
      this.ending = true;
      this.closing = [code ?? (reason ? 1000 : undefined), reason ?? ""];
      // Messages sent before close() go first, even those waiting for a Blob.
      if (this.backlog.length === 0) this.sendClose();
    }
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

  // Like the browser's onX attributes: one listener per type, added when a handler is first set,
  // calls the current handler, so replacing it keeps its place among the listeners. A value that
  // is not a function is null.
  private setHandler<E extends Event>(type: string, f: Handler<E>): void {
    if (typeof f !== "function") {
      if (this.handlers.delete(type)) this.removeEventListener(type, this.callHandler);
      return;
    }
    if (!this.handlers.has(type)) this.addEventListener(type, this.callHandler);
    this.handlers.set(type, f as (event: Event) => void);
  }

  private readonly callHandler = (event: Event): void => this.handlers.get(event.type)?.call(this, event);

  private readonly handler: SessionHandler = {
    message: (data, isBinary) => {
      // The standard drops what arrives once close() has been called.
      if (this.readyState !== OPEN) return;
      const value = isBinary ? this.binary(data as Uint8Array) : data;
      this.dispatchEvent(new MessageEvent("message", { data: value, origin: this.origin }));
    },
    pong: (data) => this.dispatchEvent(new MessageEvent("pong", { data: this.binary(data.slice()) })),
    close: (code, reason) => {
      this.closeCode = code || 1005;
      this.closeReason = reason;
      this.ending = true;
    },
    // Reported with the close, as the standard fires `error` right before `close`.
    error: (error) => {
      this.failure = error;
      this.ending = true;
    },
  };

  private binary(data: Uint8Array): ArrayBuffer | Uint8Array | Blob {
    if (this.binaryTypeValue === "nodebuffer")
      return NodeBuffer!.from(data.buffer, data.byteOffset, data.byteLength);
    if (this.binaryTypeValue === "blob") return new Blob([data as Uint8Array<ArrayBuffer>]);
    // The session hands out views (of a chunk or a pooled buffer); copy unless the view is whole.
    const whole = data.byteOffset === 0 && data.byteLength === data.buffer.byteLength;
    return (whole ? data.buffer : new Uint8Array(data).buffer) as ArrayBuffer;
  }

  /** Hands one message to the session; the ledger notes where it ends on the wire. */
  private queue(bytes: Uint8Array, binary: boolean): void {
    this.session.send(bytes, binary);
    this.ledger.add(this.session.pendingBytes, bytes.length);
    this.scheduleFlush();
  }

  /** Reads the Blob at the backlog's head; both outcomes are handled here, so nothing rejects unseen. */
  private read(entry: Outgoing, blob: Blob): void {
    new Promise<ArrayBuffer>((resolve) => resolve(blob.arrayBuffer())).then(
      (buffer) => {
        // The connection closed meanwhile: bufferedAmount has kept the entry.
        if (this.backlog[0] !== entry) return;
        entry.data = new Uint8Array(buffer);
        this.drainBacklog();
      },
      (cause: unknown) => {
        if (this.backlog[0] === entry)
          this.fail(
            wsError("WS_ERR_BLOB_READ", cause instanceof Error ? cause.message : String(cause), cause),
          );
      },
    );
  }

  /** Sends the backlog up to the next Blob, which it starts reading; then a close() that waited. */
  private drainBacklog(): void {
    for (let next = this.backlog[0]; next; next = this.backlog[0]) {
      if (!(next.data instanceof Uint8Array)) {
        this.read(next, next.data);
        return;
      }
      this.backlog.shift();
      this.waiting -= next.size;
      // The server's close (or its protocol error) came first: nothing more goes out.
      if (this.session.closeSent) this.dropped += next.size;
      else this.queue(next.data, next.binary);
    }
    if (this.closing) this.sendClose();
  }

  private sendClose(): void {
    if (this.session.closeSent) return;
    this.session.close(...this.closing!);
    this.flush();
    this.arm(this.closeTimeout);
  }

  private onData(chunk: Uint8Array): void {
    if (this.head) {
      chunk = this.handshake(chunk);
      if (chunk.length === 0) return;
    }
    const wasOpen = !this.session.closeSent && !this.session.failed;
    this.session.receive(chunk, this.handler, this.connection.givesChunks === true);
    this.flush();
    if (!wasOpen) return;
    // 7.1.7: failing the connection, our close goes out, then TCP ends at once; the server gets a
    // moment to read the close before we drop the connection.
    if (this.session.failed) {
      this.connection.end();
      this.arm(Math.min(this.closeTimeout, FAIL_LINGER));
    }
    // 7.1.1: once the close is answered, the server ends TCP; bound the wait.
    else if (this.session.closeReceived) this.arm(this.closeTimeout);
  }

  /** Collects the response head; returns the bytes after it (frames), empty while incomplete. */
  private handshake(chunk: Uint8Array): Uint8Array {
    let head = chunk;
    if (this.head!.length > 0) {
      head = new Uint8Array(this.head!.length + chunk.length);
      head.set(this.head!);
      head.set(chunk, this.head!.length);
    }
    const res = parseResponse(this.session, head, this.offered, this.deflate ? [EXTENSION] : [], MAX_HEAD);
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
    const agreed =
      this.deflate && acceptClientAnswer(res.headers["sec-websocket-extensions"] ?? "", this.deflate);
    if (agreed instanceof WebSocketError) {
      this.fail(agreed);
      return empty;
    }
    clearTimeout(this.timer);
    this.protocolValue = res.protocol;
    if (agreed) this.session.setDeflate(agreed);
    this.extensionsValue = this.session.extensions;
    this.dispatchEvent(new Event("open"));
    return head.subarray(res.end);
  }

  /** Fails the connection (7.1.7): no closing handshake, error then close with 1006. */
  private fail(error: WebSocketError): void {
    this.failure ??= error;
    this.ending = true;
    this.connection.destroy();
  }

  private arm(ms: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.fail(
        this.readyState === CONNECTING
          ? wsError("WS_ERR_HANDSHAKE_TIMEOUT")
          : wsError("WS_ERR_CONNECTION_LOST", "no close from the server within closeTimeout"),
      );
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
    if (this.readyState === CLOSED) return;
    const chunks = this.session.lendOutput();
    if (chunks.length === 0) return;
    this.ledger.wrote(chunks, this.connection.bufferedAmount);
    try {
      this.connection.write(chunks);
    } finally {
      unlend(chunks);
    }
    this.throttle();
  }

  /**
   * Reading follows writing for what the core writes on its own: while more than highWaterMark
   * bytes of it wait (pongs to a ping flood), the server's own TCP window holds the flood. The
   * user's sends never pause reading: a server that stops reading while its output to us is full
   * would then wait for us, and we for it.
   */
  private throttle(): void {
    const held = this.connection.bufferedAmount;
    const over = held - this.ledger.pending(held) > this.highWaterMark;
    if (over === this.throttled) return;
    this.throttled = over;
    if (over) this.connection.pause();
    else this.connection.resume();
  }

  private onConnectionClosed(): void {
    if (this.readyState === CLOSED) return;
    clearTimeout(this.timer);
    const clean = this.session.closeReceived && this.session.closeSent && !this.session.failed;
    this.dropped += this.waiting + this.ledger.pending(this.connection.bufferedAmount);
    this.backlog = [];
    this.session.free();
    // The standard's order: readyState is CLOSED, then `error` if the connection failed, then `close`.
    if (!clean) this.dispatchEvent(new ErrorEvent(this.failureError()));
    this.dispatchEvent(
      new CloseEvent("close", {
        code: clean ? this.closeCode : 1006,
        reason: clean ? this.closeReason : "",
        wasClean: clean,
      }),
    );
  }

  /** What failed, as a WebSocketError: a runtime's error (refused, reset, TLS) becomes its cause. */
  private failureError(): WebSocketError {
    const failure = this.failure;
    if (failure instanceof WebSocketError) return failure;
    return failure
      ? wsError("WS_ERR_TRANSPORT", failure.message, failure)
      : wsError("WS_ERR_CONNECTION_LOST");
  }
}

// The IDL constants: enumerable, read-only and on the prototype, as in the browser.
for (const target of [ClientWebSocket, ClientWebSocket.prototype])
  for (const [name, value] of Object.entries({ CONNECTING, OPEN, CLOSING, CLOSED }))
    Object.defineProperty(target, name, { value, enumerable: true });

/**
 * bufferedAmount's count of sent messages: each is noted with where its frame ends on the wire, and
 * the transport's count of bytes it still holds says how far the wire has gone.
 */
class Ledger {
  /** Wire bytes handed to the transport since the handshake. */
  private written = 0;
  /** [wire end, payload size] of each message not known to have gone, oldest first, flat. */
  private ends: number[] = [];
  private first = 0;
  private payload = 0;

  /** A message of `size` payload bytes whose frame ends `queued` bytes past what was written. */
  add(queued: number, size: number): void {
    this.ends.push(this.written + queued, size);
    this.payload += size;
  }

  /** Chunks handed to the transport, which held `held` bytes before; what has gone is forgotten. */
  wrote(chunks: Uint8Array[], held: number): void {
    this.forget(this.written - held);
    for (const c of chunks) this.written += c.length;
  }

  /** Payload bytes not yet handed to the OS, given what the transport still holds. */
  pending(held: number): number {
    const sent = this.written - held;
    this.forget(sent);
    if (this.first === this.ends.length) return 0;
    // The oldest message may be partly out: its header leaves first, so what is left is payload.
    const end = this.ends[this.first];
    const size = this.ends[this.first + 1];
    return this.payload - size + Math.min(size, end - sent);
  }

  /** Drops the messages whose last byte is among the first `sent` on the wire. */
  private forget(sent: number): void {
    const e = this.ends;
    while (this.first < e.length && e[this.first] <= sent) {
      this.payload -= e[this.first + 1];
      this.first += 2;
    }
    // Gone entries at the front are dropped once they are half of the list.
    if (this.first >= COMPACT_MIN && this.first * 2 >= e.length) {
      e.splice(0, this.first);
      this.first = 0;
    }
  }
}

/** The constructor's URL rules: parseable, ws(s) or http(s) (mapped to ws(s)), no fragment. */
function parseUrl(url: string | URL): URL {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new DOMException(`invalid WebSocket URL ${url}`, "SyntaxError");
  }
  if (u.protocol === "http:") u.protocol = "ws:";
  if (u.protocol === "https:") u.protocol = "wss:";
  // An empty fragment counts too: only a fragment puts "#" in the serialized URL.
  if ((u.protocol !== "ws:" && u.protocol !== "wss:") || u.href.includes("#"))
    throw new DOMException(`invalid WebSocket URL ${u.href}`, "SyntaxError");
  return u;
}

/** Header names must be tokens and values free of CR, LF and other controls, checked up front. */
function checkFields(options: ClientOptions): void {
  const fields = Object.entries(options.headers ?? {});
  if (options.origin !== undefined) fields.push(["Origin", options.origin]);
  for (const [name, value] of fields)
    if (!TOKEN.test(name) || FIELD_CTL.test(value))
      throw new DOMException(`invalid header field ${JSON.stringify(`${name}: ${value}`)}`, "SyntaxError");
}

/** send()'s argument as bytes, or a Blob to read; anything else is the caller's mistake. */
function toPayload(data: unknown): Uint8Array | Blob {
  if (data instanceof Blob) return data;
  const bytes = bytesOf(data);
  if (!bytes) throw invalidPayload(data, "a string, an ArrayBuffer, an ArrayBufferView or a Blob");
  return bytes;
}

/** WebIDL's [Clamp] unsigned short, as close() takes its code: NaN is 0, halves round to even. */
function clampCode(code: number): number {
  const x = Math.min(Math.max(+code || 0, 0), 65535);
  const floor = Math.floor(x);
  const rest = x - floor;
  return rest > 0.5 || (rest === 0.5 && floor % 2 === 1) ? floor + 1 : floor;
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
    // Before open the only way out is `error` (then `close`), which says why.
    const onError = (e: Event) => reject((e as ErrorEvent).error);
    ws.addEventListener("error", onError, { once: true });
    ws.addEventListener(
      "open",
      () => {
        ws.removeEventListener("error", onError);
        resolve(ws);
      },
      { once: true },
    );
  });
}
