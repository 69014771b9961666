import * as abi from "./abi.ts";
import {
  B0_FIN as FIN,
  FLAG_FIN,
  FLAG_FIRST,
  INPUT_CAP,
  KEY_POOL_SIZE,
  KIND_BINARY,
  KIND_CLOSE,
  KIND_ERROR,
  KIND_PING,
  KIND_PONG,
  KIND_REPLY,
  KIND_TEXT,
  OP_BINARY,
  OP_CLOSE,
  OP_CONT,
  OP_PING,
  OP_PONG,
  OP_TEXT,
  SEND_CAP,
  SEND_PAYLOAD,
  SESSION_CLIENT,
} from "./abi.ts";
import { type Core, getCore } from "./core.ts";
import { WebSocketError } from "./errors.ts";
import { KeySource } from "./keys.ts";

export interface SessionOptions {
  role: "server" | "client";
  /** Largest frame accepted, in bytes (1009 beyond it); 0 = unlimited. Default 16 MiB. */
  maxFrameSize?: number;
  /** Largest message accepted, in bytes (1009 beyond it); 0 = unlimited. Default 16 MiB. */
  maxMessageSize?: number;
  /** Deliver text as a decoded string (default) or as its UTF-8 bytes (already validated). */
  textAs?: "string" | "bytes";
  /** Deliver each message piece as it arrives (`fragment`) instead of whole messages. */
  stream?: boolean;
  /** The core instance; defaults to the isolate's shared one. */
  core?: Core;
  /**
   * Return the core's slot if the session is garbage-collected without free() (default true).
   * Owners that always call free() turn it off and save a FinalizationRegistry entry.
   */
  autoFree?: boolean;
}

/** What a session reports while it decodes received bytes. Every callback is optional. */
export interface SessionHandler {
  message?(data: string | Uint8Array, isBinary: boolean): void;
  /** Stream mode: a piece of a message. `fin` marks its last piece. */
  fragment?(data: Uint8Array, isBinary: boolean, first: boolean, fin: boolean): void;
  ping?(data: Uint8Array): void;
  pong?(data: Uint8Array): void;
  close?(code: number, reason: string): void;
  error?(error: WebSocketError): void;
}

export type SessionEvent =
  | { type: "message"; data: string | Uint8Array; isBinary: boolean }
  | { type: "fragment"; data: Uint8Array; isBinary: boolean; first: boolean; fin: boolean }
  | { type: "ping" | "pong"; data: Uint8Array }
  | { type: "close"; code: number; reason: string }
  | { type: "error"; error: WebSocketError };

export const DEFAULT_MAX_MESSAGE = 16 * 1024 * 1024;
/** Payloads from this size on are written by reference next to their header, not copied. */
export const COPY_LIMIT = 16 * 1024;
// A flush's first batch is as large as the last flush's final one (between BATCH_MIN and
// BATCH_HINT_MAX), so a handshake's close echo takes 1 KiB and a stream of echoes one buffer.
const BATCH_MIN = 1024;
const BATCH_HINT_MAX = 64 * 1024;
const WHOLE = FLAG_FIRST | FLAG_FIN;
// A frame's announced length sizes the message buffer, up to this much ahead of the data.
const PREALLOCATE_MAX = 16 * 1024 * 1024;

// Node's and Bun's Buffer skips zero-filling memory that is overwritten at once.
const allocate: (size: number) => Uint8Array =
  (globalThis as { Buffer?: { allocUnsafe(size: number): Uint8Array } }).Buffer?.allocUnsafe ??
  ((size) => new Uint8Array(size));

// U+FEFF at the start of a message is content, not a byte-order mark.
const textDecoder = new TextDecoder("utf-8", { ignoreBOM: true });
const textEncoder = new TextEncoder();
const empty = new Uint8Array(0);

// Returns a session's slot to the core if its owner forgot to call free().
const slots = new FinalizationRegistry<{ core: Core; ptr: number }>((slot) =>
  slot.core.exports.sessionFree(slot.ptr),
);

/**
 * One WebSocket connection's protocol state, without I/O (like wsproto): feed it received bytes
 * with receive(), ask it for frames with send()/ping()/close(), and write what takeOutput() gives.
 */
export class Session {
  readonly core: Core;
  readonly isClient: boolean;
  private ptr: number;
  private readonly textAs: "string" | "bytes";
  private readonly stream: boolean;
  private readonly keys: KeySource | null;
  private message: Uint8Array = empty;
  private messageLength = 0;
  private chunks: Uint8Array[] = [];
  private batch: Uint8Array = empty;
  private batchStart = 0;
  private batchEnd = 0;
  private batchHint = BATCH_MIN;
  private queued = 0;
  private sendingFragmented = false;
  private closeSentFlag = false;
  private closeReceivedFlag = false;
  private failedFlag = false;

  constructor(options: SessionOptions) {
    this.core = options.core ?? getCore();
    this.isClient = options.role === "client";
    this.textAs = options.textAs ?? "string";
    this.stream = options.stream ?? false;
    this.keys = this.isClient ? new KeySource() : null;
    const e = this.core.exports;
    this.ptr = e.sessionOpen(this.isClient ? SESSION_CLIENT : 0) >>> 0;
    this.core.refresh();
    e.sessionLimits(
      this.ptr,
      options.maxFrameSize ?? options.maxMessageSize ?? DEFAULT_MAX_MESSAGE,
      options.maxMessageSize ?? DEFAULT_MAX_MESSAGE,
    );
    if (options.autoFree ?? true) slots.register(this, { core: this.core, ptr: this.ptr }, this);
  }

  /** The core's handle for this session (for the handshake helpers). */
  get handle(): number {
    return this.ptr;
  }
  get closeSent(): boolean {
    return this.closeSentFlag;
  }
  get closeReceived(): boolean {
    return this.closeReceivedFlag;
  }
  /** The peer broke the protocol; a close frame with the reason is queued. */
  get failed(): boolean {
    return this.failedFlag;
  }
  /** Bytes queued by send() and not yet taken by takeOutput(). */
  get pendingBytes(): number {
    return this.queued;
  }

  /** Decodes received bytes, reporting to handler synchronously. Automatic replies are queued. */
  receive(bytes: Uint8Array, handler: SessionHandler): void {
    for (let off = 0; off < bytes.length && this.reading(); off += INPUT_CAP) {
      const piece = bytes.subarray(off, off + INPUT_CAP);
      this.core.u8.set(piece, this.core.inputPtr);
      this.receiveInput(piece.length, handler);
    }
  }

  /** Decodes len bytes the host already placed at the core's input region (core.inputPtr). */
  receiveInput(len: number, handler: SessionHandler): void {
    if (!this.reading()) return;
    const core = this.core;
    const count = core.exports.receive(this.ptr, core.inputPtr, len);
    this.dispatch(count, len, handler);
    if (this.isClient && core.exports.keysUsed() > KEY_POOL_SIZE / 2) core.refillKeys();
  }

  /** The same as receive(), collecting what happened as event objects. */
  events(bytes: Uint8Array): SessionEvent[] {
    const out: SessionEvent[] = [];
    this.receive(bytes, {
      message: (data, isBinary) => out.push({ type: "message", data, isBinary }),
      fragment: this.stream
        ? (data, isBinary, first, fin) => out.push({ type: "fragment", data, isBinary, first, fin })
        : undefined,
      ping: (data) => out.push({ type: "ping", data }),
      pong: (data) => out.push({ type: "pong", data }),
      close: (code, reason) => out.push({ type: "close", code, reason }),
      error: (error) => out.push({ type: "error", error }),
    });
    return out;
  }

  private reading(): boolean {
    return this.ptr !== 0 && !this.failedFlag && !this.closeReceivedFlag;
  }

  private dispatch(count: number, inputLen: number, h: SessionHandler): void {
    const { u32, u8, inputPtr } = this.core;
    // Whole messages handed out as bytes are views of one copy of the chunk, made on first need.
    let chunk: Uint8Array | null = null;
    for (let i = 0, e = this.core.eventPtr >>> 2; i < count; i++, e += 4) {
      const head = u32[e];
      const kind = head & 0xff;
      const ptr = u32[e + 1];
      const len = u32[e + 2];
      if (kind === KIND_TEXT || kind === KIND_BINARY) {
        const isBinary = kind === KIND_BINARY;
        const flags = head >>> 8;
        if ((flags & WHOLE) === WHOLE && !this.stream) {
          if (!isBinary && this.textAs === "string")
            h.message?.(textDecoder.decode(u8.subarray(ptr, ptr + len)), false);
          else {
            if (!chunk) {
              chunk = allocate(inputLen);
              chunk.set(u8.subarray(inputPtr, inputPtr + inputLen));
            }
            h.message?.(chunk.subarray(ptr - inputPtr, ptr - inputPtr + len), isBinary);
          }
        } else this.onPiece(u8, isBinary, flags, ptr, len, u32[e + 3], h);
      } else if (kind === KIND_REPLY) {
        // The core echoes a received close; skip it if a handler already sent its own.
        const isClose = (u8[ptr] & 0x0f) === OP_CLOSE;
        if (!isClose || !this.closeSentFlag) this.queueCopy(u8, ptr, len);
        if (isClose) this.closeSentFlag = true;
      } else if (kind === KIND_PING) {
        h.ping?.(u8.slice(ptr, ptr + len));
      } else if (kind === KIND_PONG) {
        h.pong?.(u8.slice(ptr, ptr + len));
      } else if (kind === KIND_CLOSE) {
        this.closeReceivedFlag = true;
        h.close?.(head >>> 16, textDecoder.decode(u8.subarray(ptr, ptr + len)));
      } else if (kind === KIND_ERROR) {
        this.onError(WebSocketError.fromCore(u32[e + 3], head >>> 16), h);
      }
    }
  }

  /** A piece of a message split over frames or chunks; `left` is what its frame still holds. */
  private onPiece(
    u8: Uint8Array,
    isBinary: boolean,
    flags: number,
    ptr: number,
    len: number,
    left: number,
    h: SessionHandler,
  ): void {
    const fin = (flags & FLAG_FIN) !== 0;
    if (this.stream) {
      h.fragment?.(u8.slice(ptr, ptr + len), isBinary, (flags & FLAG_FIRST) !== 0, fin);
      return;
    }
    const need = this.messageLength + len;
    if (need > this.message.length) this.growMessage(need + Math.min(left, PREALLOCATE_MAX));
    this.message.set(u8.subarray(ptr, ptr + len), this.messageLength);
    this.messageLength = need;
    if (!fin) return;
    const whole = need === this.message.length ? this.message : this.message.subarray(0, need);
    this.message = empty;
    this.messageLength = 0;
    h.message?.(isBinary || this.textAs === "bytes" ? whole : textDecoder.decode(whole), isBinary);
  }

  private growMessage(size: number): void {
    const next = allocate(Math.max(size, this.message.length * 2));
    next.set(this.message.subarray(0, this.messageLength));
    this.message = next;
  }

  private onError(error: WebSocketError, handler: SessionHandler): void {
    this.failedFlag = true;
    this.message = empty;
    this.messageLength = 0;
    if (!this.closeSentFlag) this.close(error.closeCode);
    handler.error?.(error);
  }

  /**
   * Queues a data frame. `binary` defaults to true for bytes and false for strings (text given as
   * bytes must be UTF-8). With fin false the message continues with the next send().
   */
  send(data: string | Uint8Array, binary = typeof data !== "string", fin = true): void {
    const payload = typeof data === "string" ? textEncoder.encode(data) : data;
    const op = this.sendingFragmented ? OP_CONT : binary ? OP_BINARY : OP_TEXT;
    this.sendingFragmented = !fin;
    this.queueFrame((fin ? FIN : 0) | op, payload);
  }

  ping(data: string | Uint8Array = empty): void {
    this.queueControl(OP_PING, typeof data === "string" ? textEncoder.encode(data) : data);
  }

  pong(data: string | Uint8Array = empty): void {
    this.queueControl(OP_PONG, typeof data === "string" ? textEncoder.encode(data) : data);
  }

  /** Queues a close frame (7.4: the code must be valid on the wire; the reason at most 123 bytes). */
  close(code?: number, reason = ""): void {
    if (this.closeSentFlag) return;
    let payload = empty;
    if (code !== undefined) {
      const text = textEncoder.encode(reason);
      if (text.length > 123)
        throw new WebSocketError("WS_ERR_CLOSE_REASON_TOO_LONG", "close reason over 123 bytes");
      payload = new Uint8Array(2 + text.length);
      payload[0] = code >> 8;
      payload[1] = code & 0xff;
      payload.set(text, 2);
    }
    this.queueControl(OP_CLOSE, payload);
    this.closeSentFlag = true;
  }

  /** Everything queued since the last call, in order, ready for one vectored write. */
  takeOutput(): Uint8Array[] {
    this.seal();
    const out = this.chunks;
    this.chunks = [];
    if (this.batch.length > 0) this.batchHint = Math.min(this.batch.length, BATCH_HINT_MAX);
    this.batch = empty;
    this.batchStart = this.batchEnd = 0;
    this.queued = 0;
    return out;
  }

  /** Releases the core's slot. The session cannot be used afterwards. */
  free(): void {
    if (this.ptr === 0) return;
    slots.unregister(this);
    this.core.exports.sessionFree(this.ptr);
    this.ptr = 0;
  }

  private queueControl(op: number, payload: Uint8Array): void {
    if (payload.length > 125) throw WebSocketError.fromCore(abi.ERR_SEND_CONTROL_TOO_LONG);
    this.queueFrame(FIN | op, payload);
  }

  private queueFrame(first: number, payload: Uint8Array): void {
    if (this.ptr === 0 || this.closeSentFlag) throw WebSocketError.fromCore(abi.ERR_SEND_AFTER_CLOSE);
    const s = this.ptr;
    const core = this.core;
    const e = core.exports;
    const len = payload.length;
    if (this.isClient && len <= SEND_CAP - SEND_PAYLOAD) {
      const at = core.sendPtr + SEND_PAYLOAD;
      core.u8.set(payload, at);
      const h = check(e.frame(s, first, len, this.keys!.next()));
      this.queueCopy(core.u8, at - h, h + len);
      return;
    }
    if ((first & 0x0f) >= OP_CLOSE) {
      core.u8.set(payload, core.sendPtr + SEND_PAYLOAD);
      const h = check(e.frame(s, first, len, 0));
      this.queueCopy(core.u8, core.sendPtr + SEND_PAYLOAD - h, h + len);
      return;
    }
    const key = this.isClient ? this.keys!.next() : 0;
    const h = check(e.header(s, first, len, key));
    this.queueCopy(core.u8, core.sendPtr, h);
    if (this.isClient) this.queueMasked(payload, key);
    else if (len < COPY_LIMIT) this.queueCopy(payload, 0, len);
    else this.queueRef(payload);
  }

  /** A client's large payload, masked piecewise through the core's send region. */
  private queueMasked(payload: Uint8Array, key: number): void {
    const core = this.core;
    const out = new Uint8Array(payload.length);
    const at = core.sendPtr + SEND_PAYLOAD;
    for (let off = 0; off < payload.length; off += SEND_CAP - SEND_PAYLOAD) {
      const piece = payload.subarray(off, off + SEND_CAP - SEND_PAYLOAD);
      core.u8.set(piece, at);
      core.exports.mask(at, piece.length, key, off & 3);
      out.set(core.u8.subarray(at, at + piece.length), off);
    }
    this.queueRef(out);
  }

  private queueCopy(src: Uint8Array, from: number, len: number): void {
    if (this.batchEnd + len > this.batch.length) this.grow(len);
    this.batch.set(src.subarray(from, from + len), this.batchEnd);
    this.batchEnd += len;
    this.queued += len;
  }

  private queueRef(payload: Uint8Array): void {
    this.seal();
    this.chunks.push(payload);
    this.queued += payload.length;
  }

  private seal(): void {
    if (this.batchEnd > this.batchStart)
      this.chunks.push(this.batch.subarray(this.batchStart, this.batchEnd));
    this.batchStart = this.batchEnd;
  }

  // The old batch stays referenced by chunks already sealed; later bytes go to a new one.
  private grow(len: number): void {
    this.seal();
    this.batch = allocate(Math.max(this.batchHint, len, this.batch.length * 2));
    this.batchStart = this.batchEnd = 0;
  }
}

function check(result: number): number {
  if (result < 0) throw WebSocketError.fromCore(-result);
  return result;
}
