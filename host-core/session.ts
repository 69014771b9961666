import {
  B0_FIN,
  B0_RSV1,
  ERR_SEND_AFTER_CLOSE,
  ERR_SEND_CONTROL_TOO_LONG,
  EV_AUX,
  EV_CODE,
  EV_FLAGS,
  EV_LEN,
  EV_PTR,
  EVENT_SIZE,
  FLAG_ASCII,
  FLAG_FIN,
  FLAG_FIRST,
  INPUT_CAP,
  KIND_BINARY,
  KIND_CLOSE,
  KIND_ERROR,
  KIND_PING,
  KIND_PONG,
  KIND_REPLY,
  KIND_SUSPEND,
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
  STATE_CLOSE_ACKNOWLEDGED,
  STATE_CLOSE_RECEIVED,
  STATE_CLOSE_SENT,
  STATE_CLOSED,
  STATE_FAILED,
  STATE_OPEN,
} from "./abi.ts";
import { type Core, getCore, Latin1 } from "./core.ts";
import { Deflater } from "./deflater.ts";
import { WebSocketError } from "./errors.ts";
import { give, giveShelf, keep, lend, SHELF_MAX, take, takeShelf } from "./lend.ts";
import { allocate, allocatePlain, Output } from "./output.ts";
import type { Negotiated } from "./permessage-deflate.ts";
import { type Framed, frameOnce } from "./pubsub.ts";

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
  /**
   * Messages as bytes are lent to the handler: valid until it returns, then reused for later
   * messages (no fresh buffer per message). A send or publish that keeps one by reference takes its
   * buffer out of reuse. Default false.
   */
  borrow?: boolean;
  /** permessage-deflate as negotiated in the handshake (setDeflate() does it later). */
  deflate?: Negotiated;
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
  /** The payload is a view of the core's memory, valid during the call: copy what you keep. */
  ping?(data: Uint8Array): void;
  /** The payload is a view of the core's memory, valid during the call: copy what you keep. */
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
const WHOLE = FLAG_FIRST | FLAG_FIN;
// Session.bits: one field, not six, on every idle connection.
const MODE_TEXT_BYTES = 1;
const MODE_STREAM = 2;
const MODE_BORROW = 4;
const MODE_CLIENT = 8;
// The message being sent continues with the next send().
const SENDING_FRAGMENTED = 16;
// Registered to give its slot back when collected (autoFree).
const AUTO_FREE = 32;
// The core's state (abi.ts STATE_*, 0-6) as last read, in the bits above the flags.
const STATE_SHIFT = 6;
// A frame's announced length sizes the message buffer, up to this much ahead of the data.
const PREALLOCATE_MAX = 16 * 1024 * 1024;
// An event record as u32 words.
const EVENT_WORDS = EVENT_SIZE / 4;
const W_PTR = EV_PTR / 4;
const W_LEN = EV_LEN / 4;
const W_AUX = EV_AUX / 4;
// Byte fields of an event's first word.
const FLAGS_SHIFT = EV_FLAGS * 8;
const CODE_SHIFT = EV_CODE * 8;
// Room for a close payload in the send region.
const SEND_ROOM = SEND_CAP - SEND_PAYLOAD;
// JavaScriptCore makes a small array and copies a message into it faster than it makes a view of
// one (32 B messages through Session on Bun: 43-48 -> 31-35 ns each); V8 the other way round
// (39 -> 74-107 ns on Node). So on Bun a whole message of up to COPY_SMALL_MAX bytes gets an array
// of its own, which also pins no chunk when a handler keeps it.
const COPY_SMALL = typeof (globalThis as { Bun?: unknown }).Bun !== "undefined";
const COPY_SMALL_MAX = 64;
// How many frame headers of a read larger than the input region are read to decide whether its
// messages are viewed: reads that large (Bun's, under load) hold a few dozen large messages.
const VIEW_SCAN_FRAMES = 64;

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
 * The connection's state is the core's (`state`, one of abi.ts STATE_*). The core decodes a whole
 * chunk before its events are dispatched, so this object reads the state at the event that changed
 * it (a close, an error) and after each frame it sends: handlers of the messages before a close
 * still see the connection open.
 */
export class Session {
  readonly core: Core;
  private ptr: number;
  private bits: number;
  // Made with the first frame queued: an idle connection has none.
  private out: Output | undefined;
  private message: Uint8Array = empty;
  private messageLength = 0;
  private deflate: Negotiated | undefined;
  // The shared compressor, or this connection's own once it sent a compressed message.
  private deflater: Deflater | undefined;

  constructor(options: SessionOptions) {
    this.core = options.core ?? getCore();
    this.bits =
      (options.role === "client" ? MODE_CLIENT : 0) |
      (options.textAs === "bytes" ? MODE_TEXT_BYTES : 0) |
      (options.stream ? MODE_STREAM : 0) |
      (options.borrow ? MODE_BORROW : 0);
    const e = this.core.exports;
    this.ptr = e.sessionOpen(this.isClient ? SESSION_CLIENT : 0) >>> 0;
    this.stateValue = e.sessionState(this.ptr);
    this.core.refresh();
    e.sessionLimits(
      this.ptr,
      options.maxFrameSize ?? options.maxMessageSize ?? DEFAULT_MAX_MESSAGE,
      options.maxMessageSize ?? DEFAULT_MAX_MESSAGE,
    );
    if (options.autoFree ?? true) {
      slots.register(this, { core: this.core, ptr: this.ptr }, this);
      this.bits |= AUTO_FREE;
    }
    if (options.deflate) this.setDeflate(options.deflate);
  }

  /** RFC 7692 from now on: compressed messages are accepted, and sent per the agreement. */
  setDeflate(agreed: Negotiated): void {
    this.deflate = agreed;
    this.core.exports.sessionInflate(this.ptr, agreed.peerWindowBits, agreed.peerContext ? 1 : 0);
    if (!agreed.ownContext) this.deflater = Deflater.shared(this.core, agreed.ownWindowBits, agreed.level);
  }

  private get stateValue(): number {
    return this.bits >>> STATE_SHIFT;
  }
  private set stateValue(state: number) {
    this.bits = (this.bits & ((1 << STATE_SHIFT) - 1)) | (state << STATE_SHIFT);
  }

  get isClient(): boolean {
    return (this.bits & MODE_CLIENT) !== 0;
  }

  /** The Sec-WebSocket-Extensions value agreed, or "". */
  get extensions(): string {
    return this.deflate?.header ?? "";
  }

  /** The core's handle for this session (for the handshake helpers). */
  get handle(): number {
    return this.ptr;
  }
  /** One of abi.ts STATE_*: CONNECTING, OPEN, CLOSE_SENT, CLOSE_RECEIVED, CLOSE_ACKNOWLEDGED, FAILED, CLOSED. */
  get state(): number {
    return this.stateValue;
  }
  /** Our close frame is queued (or the session is freed): nothing more can be sent. */
  get closeSent(): boolean {
    const s = this.stateValue;
    return (
      s === STATE_CLOSE_SENT || s === STATE_CLOSE_ACKNOWLEDGED || s === STATE_FAILED || s === STATE_CLOSED
    );
  }
  get closeReceived(): boolean {
    return this.stateValue === STATE_CLOSE_RECEIVED || this.stateValue === STATE_CLOSE_ACKNOWLEDGED;
  }
  /** The peer broke the protocol; a close frame with the reason is queued. */
  get failed(): boolean {
    return this.stateValue === STATE_FAILED;
  }
  /** Bytes queued by send() and not yet taken by takeOutput(). */
  get pendingBytes(): number {
    return this.out?.pending ?? 0;
  }

  private get output(): Output {
    this.out ??= new Output();
    return this.out;
  }

  /** Re-reads the state after a core call that may change it (a handshake helper's, for one). */
  sync(): void {
    if (this.ptr !== 0) this.stateValue = this.core.exports.sessionState(this.ptr);
  }

  /**
   * Decodes received bytes, reporting to handler synchronously. Automatic replies are queued. With
   * `given`, the bytes are the session's to keep and change (a Transport's `givesChunks`): whole
   * messages are unmasked back into them and handed out as views of them, not in a copy.
   */
  receive(bytes: Uint8Array, handler: SessionHandler, given = false): void {
    const core = this.core;
    const n = bytes.length;
    // A whole chunk is not viewed: on JavaScriptCore that would give it an ArrayBuffer of its own.
    if (n <= INPUT_CAP) {
      if (!this.reading()) return;
      core.u8.set(bytes, core.inputPtr);
      this.decodeInput(n, handler, given ? bytes : undefined, false, false);
      return;
    }
    // A larger read goes in pieces, each ending before a frame that would run past it (receivePart),
    // so messages that fit a piece stay whole and, when given, are viewed where they came from.
    const viewAll = given && 2 * this.viewableIn(bytes) >= bytes.buffer.byteLength;
    for (let off = 0; off < n && this.reading(); ) {
      const piece = bytes.subarray(off, off + INPUT_CAP);
      core.u8.set(piece, core.inputPtr);
      off += this.decodeInput(piece.length, handler, given ? piece : undefined, n - off > INPUT_CAP, viewAll);
    }
  }

  /** Decodes len bytes the host already placed at the core's input region (core.inputPtr). */
  receiveInput(len: number, handler: SessionHandler): void {
    if (this.reading()) this.decodeInput(len, handler, undefined, false, false);
  }

  /**
   * `given`: where the input came from, the session's to write into and view; `viewAll`: view its
   * whole messages whatever part of its buffer they fill. With `more`, the input is a piece that
   * more follows. Returns how much of the input was decoded; the rest starts the next piece.
   */
  private decodeInput(
    len: number,
    handler: SessionHandler,
    given: Uint8Array | undefined,
    more: boolean,
    viewAll: boolean,
  ): number {
    const core = this.core;
    const exports = core.exports;
    let count = more
      ? exports.receivePart(this.ptr, core.inputPtr, len)
      : exports.receive(this.ptr, core.inputPtr, len);
    // Read before any handler runs: a handler may make calls of its own into the core. Without
    // `more` the core takes in all of the input.
    let used = more ? exports.stoppedAt() - core.inputPtr : len;
    // The core may grow its memory in the call: inflaters are allocated as compressed messages
    // arrive, control blocks as a control frame is split across chunks.
    core.refresh();
    if (this.isClient) core.keysDrawn();
    // A suspended call continues once its events (views of the inflater's ring) are handled.
    while (this.dispatch(count, len, handler, given, viewAll) && this.ptr !== 0) {
      count = exports.resume(this.ptr);
      if (more) used = exports.stoppedAt() - core.inputPtr;
      core.refresh();
      if (this.isClient) core.keysDrawn();
    }
    return used;
  }

  /**
   * How many bytes of a read larger than the input region would be views of it: the payloads of its
   * whole, uncompressed messages that fit a piece and are handed out as bytes, read from the frame
   * headers up to half its buffer or VIEW_SCAN_FRAMES frames.
   */
  private viewableIn(bytes: Uint8Array): number {
    const mode = this.bits;
    if (mode & (MODE_BORROW | MODE_STREAM)) return 0;
    let at = this.core.exports.frameLeft(this.ptr);
    if (at < 0) return 0;
    const n = bytes.length;
    const half = bytes.buffer.byteLength / 2;
    let sum = 0;
    for (let frames = 0; frames < VIEW_SCAN_FRAMES && sum < half && at + 2 <= n; frames++) {
      const b0 = bytes[at];
      const b1 = bytes[at + 1];
      const len7 = b1 & 0x7f;
      const head = (len7 < 126 ? 2 : len7 === 126 ? 4 : 10) + (b1 & 0x80 ? 4 : 0);
      if (at + head > n) break;
      // A 64-bit length is at least 64 KiB: such a frame is never one piece, and ends the count.
      if (len7 === 127) break;
      const len = len7 < 126 ? len7 : (bytes[at + 2] << 8) | bytes[at + 3];
      at += head + len;
      if (at > n) break;
      const op = b0 & 0x0f;
      // FIN and no RSV bit: a message of one frame, not compressed.
      if (
        (b0 & 0xf0) === B0_FIN &&
        (op === OP_BINARY || (op === OP_TEXT && mode & MODE_TEXT_BYTES)) &&
        head + len <= INPUT_CAP &&
        !(COPY_SMALL && len <= COPY_SMALL_MAX)
      )
        sum += len;
    }
    return sum;
  }

  /** The same as receive(), collecting what happened as event objects. */
  events(bytes: Uint8Array): SessionEvent[] {
    const out: SessionEvent[] = [];
    this.receive(bytes, {
      message: (data, isBinary) =>
        // Kept past the handler, so a lent message's buffer is not reused.
        out.push({ type: "message", data: typeof data === "string" ? data : keep(data), isBinary }),
      fragment:
        this.bits & MODE_STREAM
          ? (data, isBinary, first, fin) => out.push({ type: "fragment", data, isBinary, first, fin })
          : undefined,
      ping: (data) => out.push({ type: "ping", data: data.slice() }),
      pong: (data) => out.push({ type: "pong", data: data.slice() }),
      close: (code, reason) => out.push({ type: "close", code, reason }),
      error: (error) => out.push({ type: "error", error }),
    });
    return out;
  }

  private reading(): boolean {
    return this.ptr !== 0 && !this.failed && !this.closeReceived;
  }

  /** True when the call's last event was KIND_SUSPEND. */
  private dispatch(
    count: number,
    inputLen: number,
    h: SessionHandler,
    given: Uint8Array | undefined,
    viewAll: boolean,
  ): boolean {
    const core = this.core;
    const inputPtr = core.inputPtr;
    const mode = this.bits;
    // Whole messages handed out as bytes are views of one copy of the chunk, made on first need.
    let chunk: Uint8Array | null = null;
    // Its buffer, read once: in V8 the constructor on a known buffer makes a view in half the time
    // subarray() takes (15-33 against 27-65 ns, Node 20 and Deno 2.9).
    let chunkBuffer: ArrayBufferLike = empty.buffer;
    let chunkStart = 0;
    // Borrow mode lends small messages in the shelf's reused views (lend.ts).
    const shelf = mode & MODE_BORROW ? takeShelf() : undefined;
    let suspended = false;
    for (let i = 0, e = core.eventPtr >>> 2; i < count; i++, e += EVENT_WORDS) {
      // Read per event: a handler that opens a session or compresses may grow the memory.
      const { u32, u8 } = core;
      const head = u32[e];
      const kind = head & 0xff;
      const ptr = u32[e + W_PTR];
      const len = u32[e + W_LEN];
      if (kind === KIND_TEXT || kind === KIND_BINARY) {
        const isBinary = kind === KIND_BINARY;
        const flags = (head >>> FLAGS_SHIFT) & 0xff;
        if ((flags & WHOLE) === WHOLE && !(mode & MODE_STREAM)) {
          if (!isBinary && !(mode & MODE_TEXT_BYTES))
            h.message?.(
              flags & FLAG_ASCII && Latin1.fast
                ? core.latin1(ptr, len)
                : textDecoder.decode(u8.subarray(ptr, ptr + len)),
              false,
            );
          else if (shelf !== undefined && !shelf.kept && len <= SHELF_MAX)
            h.message?.(shelf.put(core.data, ptr, len), isBinary);
          else if (COPY_SMALL && len <= COPY_SMALL_MAX) h.message?.(ownCopy(u8, ptr, len), isBinary);
          else if (ptr < inputPtr || ptr >= inputPtr + inputLen) {
            // Inflated: in the inflater's ring, which the next message overwrites.
            if (mode & MODE_BORROW) this.lendInflated(u8, ptr, len, isBinary, h);
            else h.message?.(u8.slice(ptr, ptr + len), isBinary);
          } else {
            // A plain Uint8Array: its views cost 20-40% less to make than a Buffer's (Node, Bun).
            if (chunk === null) {
              // From this message to the end of the chunk's last whole one: the pieces of a message
              // split across chunks are copied where it is assembled.
              const end = lastWholeEnd(u32, e, (count - 1 - i) * EVENT_WORDS, inputPtr + inputLen);
              // Only where the messages fill at least half of its buffer, all of which a kept view pins.
              if (
                given !== undefined &&
                !(mode & MODE_BORROW) &&
                (viewAll || 2 * (end - ptr) >= given.buffer.byteLength)
              ) {
                // Back where they came from, which is still in cache, rather than to new memory. A
                // client's are unchanged: servers do not mask (5.1).
                if (!(mode & MODE_CLIENT)) given.set(u8.subarray(ptr, end), ptr - inputPtr);
                chunk = given;
                chunkStart = given.byteOffset - inputPtr;
              } else {
                chunk = mode & MODE_BORROW ? lentCopy(u8, ptr, end - ptr) : u8.slice(ptr, end);
                chunkStart = chunk.byteOffset - ptr;
              }
              chunkBuffer = chunk.buffer;
            }
            h.message?.(new Uint8Array(chunkBuffer, chunkStart + ptr, len), isBinary);
          }
        } else this.onPiece(u8, isBinary, flags, ptr, len, u32[e + W_AUX], h);
      } else if (kind === KIND_REPLY) {
        this.output.copy(u8, ptr, len);
      } else if (kind === KIND_PING) {
        // A view, not a copy: a ping flood must not allocate a buffer per ping.
        h.ping?.(u8.subarray(ptr, ptr + len));
      } else if (kind === KIND_PONG) {
        h.pong?.(u8.subarray(ptr, ptr + len));
      } else if (kind === KIND_CLOSE) {
        this.sync();
        h.close?.(head >>> CODE_SHIFT, len === 0 ? "" : textDecoder.decode(u8.subarray(ptr, ptr + len)));
        // Handlers of the messages before this close (and its own) may have closed already.
        this.queueOwedClose();
      } else if (kind === KIND_ERROR) {
        this.sync();
        this.message = empty;
        this.messageLength = 0;
        this.queueOwedClose();
        h.error?.(WebSocketError.fromCore(u32[e + W_AUX], head >>> CODE_SHIFT));
      } else if (kind === KIND_SUSPEND) {
        suspended = true;
        break;
      }
    }
    // Only a lent chunk or shelf is reused; a handler that threw leaves them to the collector.
    if (chunk && mode & MODE_BORROW) give(chunk);
    if (shelf) giveShelf(shelf);
    return suspended;
  }

  /** Borrow mode: a message outside the input region, lent in a reused buffer. */
  private lendInflated(u8: Uint8Array, ptr: number, len: number, isBinary: boolean, h: SessionHandler): void {
    const bytes = lentCopy(u8, ptr, len);
    h.message?.(len === bytes.length ? bytes : bytes.subarray(0, len), isBinary);
    give(bytes);
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
    const mode = this.bits;
    if (mode & MODE_STREAM) {
      h.fragment?.(u8.slice(ptr, ptr + len), isBinary, (flags & FLAG_FIRST) !== 0, fin);
      return;
    }
    // Text decoded to a string leaves its bytes unseen, and borrow mode takes them back: either way
    // the buffer is reused once the handler returns.
    const asString = !isBinary && !(mode & MODE_TEXT_BYTES);
    const reuse = asString || (mode & MODE_BORROW) !== 0;
    const need = this.messageLength + len;
    if (need > this.message.length) this.growMessage(need + Math.min(left, PREALLOCATE_MAX), reuse);
    const buffer = this.message;
    buffer.set(u8.subarray(ptr, ptr + len), this.messageLength);
    this.messageLength = need;
    if (!fin) return;
    const whole = need === buffer.length ? buffer : buffer.subarray(0, need);
    this.message = empty;
    this.messageLength = 0;
    if (!reuse) {
      h.message?.(whole, isBinary);
      return;
    }
    if (asString) h.message?.(textDecoder.decode(whole), false);
    else {
      lend(buffer);
      h.message?.(whole, isBinary);
    }
    give(buffer);
  }

  private growMessage(size: number, reuse: boolean): void {
    const old = this.message;
    const want = Math.max(size, old.length * 2);
    const next = reuse ? take(size, want) : allocatePlain(want);
    next.set(old.subarray(0, this.messageLength));
    this.message = next;
    // Never handed out yet, so nothing else reads it.
    if (reuse && old.length > 0) give(old);
  }

  /** The close the core says we owe (the echo of the peer's, or a failure's), if any. */
  private queueOwedClose(): void {
    const core = this.core;
    const n = core.exports.closeOwed(this.ptr);
    if (n === 0) return;
    this.sync();
    if (this.isClient) core.keysDrawn();
    this.output.copyLast(core.u8, core.sendPtr, n);
  }

  /**
   * Queues a data frame. `binary` defaults to true for bytes and false for strings (text given as
   * bytes must be UTF-8). With fin false the message continues with the next send().
   */
  send(data: string | Uint8Array, binary = typeof data !== "string", fin = true): void {
    const payload = typeof data === "string" ? textEncoder.encode(data) : data;
    const op = this.bits & SENDING_FRAGMENTED ? OP_CONT : binary ? OP_BINARY : OP_TEXT;
    // RFC 7692 6: a whole message past the threshold goes compressed (RSV1); fragments do not.
    const agreed = this.deflate;
    if (agreed && fin && op !== OP_CONT && payload.length >= agreed.threshold) {
      this.guard();
      // A connection keeping context gets its compressor with its first compressed message.
      this.deflater ??= Deflater.own(this.core, agreed.ownWindowBits, agreed.level);
      this.queueData(B0_FIN | B0_RSV1 | op, this.deflater.compress(data, payload));
      return;
    }
    this.bits = fin ? this.bits & ~SENDING_FRAGMENTED : this.bits | SENDING_FRAGMENTED;
    this.queueData((fin ? B0_FIN : 0) | op, payload);
  }

  ping(data: string | Uint8Array = empty): void {
    this.queueControl(OP_PING, typeof data === "string" ? textEncoder.encode(data) : data);
  }

  pong(data: string | Uint8Array = empty): void {
    this.queueControl(OP_PONG, typeof data === "string" ? textEncoder.encode(data) : data);
  }

  /**
   * Queues a close frame; the core checks it (7.4: a code valid on the wire, a reason of at most
   * 123 bytes). Without a code the frame is empty. Does nothing once our close went out.
   */
  close(code?: number, reason = ""): void {
    if (this.closeSent) return;
    const core = this.core;
    const at = core.sendPtr + SEND_PAYLOAD;
    let len = 0;
    if (code !== undefined) {
      core.u8[at] = code >> 8;
      core.u8[at + 1] = code & 0xff;
      const { read, written } = textEncoder.encodeInto(reason, core.u8.subarray(at + 2, at + SEND_ROOM));
      // A reason that did not fit is far over the limit: report it as such.
      len = read < reason.length ? SEND_ROOM : 2 + written;
    }
    this.queueFramed(B0_FIN | OP_CLOSE, len);
  }

  /**
   * Queues a data frame built elsewhere (a published message, framed once for many server
   * sessions): its frame and a large payload after it, both by reference.
   */
  queueFrame(m: Framed): void {
    this.guard();
    this.output.share(m.arena, m.at, m.frame.length);
    if (m.payload) this.output.ref(m.payload);
  }

  /**
   * Queues a published message (framed once). A session that compresses it without context
   * takeover uses the frame compressed once for every session sharing its compressor; with context
   * takeover the message is compressed for this session alone.
   */
  queueMessage(m: Framed): void {
    const agreed = this.deflate;
    if (!agreed || m.data.length < agreed.threshold) {
      this.queueFrame(m);
      return;
    }
    const deflater = this.deflater;
    if (deflater?.keepsContext !== false) {
      this.send(m.data, m.binary);
      return;
    }
    m.compressed ??= new Map();
    let z = m.compressed.get(deflater);
    if (!z) {
      z = frameOnce(m.data, m.binary, deflater.compress(undefined, m.data));
      m.compressed.set(deflater, z);
    }
    this.queueFrame(z);
  }

  /** Everything queued since the last call, in order, ready for one vectored write. */
  takeOutput(): Uint8Array[] {
    return this.out ? this.out.take() : [];
  }

  /**
   * As takeOutput(), in an array shared by every session, for a writer that keeps no reference to
   * the array and hands it to unlend() (wasmsock/internal) once written.
   */
  lendOutput(): Uint8Array[] {
    return this.out ? this.out.lend() : [];
  }

  /** Releases the core's slot. The session cannot be used afterwards. */
  free(): void {
    if (this.ptr === 0) return;
    // Unregistering costs even when nothing was registered: 0.9% of a handshake on Bun.
    if (this.bits & AUTO_FREE) slots.unregister(this);
    this.deflater?.release();
    this.deflater = undefined;
    this.core.exports.sessionFree(this.ptr);
    this.ptr = 0;
    this.stateValue = STATE_CLOSED;
  }

  private queueControl(op: number, payload: Uint8Array): void {
    if (payload.length > 125) throw WebSocketError.fromCore(ERR_SEND_CONTROL_TOO_LONG);
    this.guard();
    this.core.u8.set(payload, this.core.sendPtr + SEND_PAYLOAD);
    this.queueFramed(B0_FIN | op, payload.length);
  }

  private guard(): void {
    // An open session has its slot and no close of ours queued: one comparison for the usual case.
    if (this.stateValue !== STATE_OPEN && (this.ptr === 0 || this.closeSent))
      throw WebSocketError.fromCore(ERR_SEND_AFTER_CLOSE);
  }

  /** A whole frame around the len payload bytes already at the send region's payload; callers guard. */
  private queueFramed(first: number, len: number): void {
    const core = this.core;
    const h = check(core.exports.frame(this.ptr, first, len));
    if (this.isClient) core.keysDrawn();
    const at = core.sendPtr + SEND_PAYLOAD - h;
    if ((first & 0x0f) !== OP_CLOSE) this.output.copy(core.u8, at, h + len);
    else {
      this.sync();
      this.output.copyLast(core.u8, at, h + len);
    }
  }

  private queueData(first: number, payload: Uint8Array): void {
    this.guard();
    const len = payload.length;
    // A server's header is written here, not by the core: it is not masked (5.1), so the core's
    // key and state are not needed, and a call into the core per send cost more than the bytes.
    if (!this.isClient) {
      this.output.header(first, len);
      if (len < COPY_LIMIT) this.output.copy(payload, 0, len);
      else this.output.ref(keep(payload));
      return;
    }
    const core = this.core;
    if (len <= SEND_ROOM) {
      core.u8.set(payload, core.sendPtr + SEND_PAYLOAD);
      this.queueFramed(first, len);
      return;
    }
    const h = check(core.exports.header(this.ptr, first, len));
    this.output.copy(core.u8, core.sendPtr, h);
    core.keysDrawn();
    this.queueMasked(payload, h);
  }

  /** A client's large payload, masked piecewise through the send region with the header's key. */
  private queueMasked(payload: Uint8Array, headerLength: number): void {
    const core = this.core;
    const u8 = core.u8;
    const k = core.sendPtr + headerLength - 4;
    const key = (u8[k] | (u8[k + 1] << 8) | (u8[k + 2] << 16) | (u8[k + 3] << 24)) >>> 0;
    const out = allocate(payload.length);
    const at = core.sendPtr + SEND_PAYLOAD;
    for (let off = 0; off < payload.length; off += SEND_ROOM) {
      const piece = payload.subarray(off, off + SEND_ROOM);
      u8.set(piece, at);
      core.exports.mask(at, piece.length, key, off & 3);
      out.set(u8.subarray(at, at + piece.length), off);
    }
    this.output.ref(out);
  }
}

/**
 * The end of the last whole data message among the events from word `at` to `at + span` (the
 * first of them one) that lies in the input region ending at inputEnd.
 */
function lastWholeEnd(u32: Uint32Array, at: number, span: number, inputEnd: number): number {
  for (let e = at + span; e > at; e -= EVENT_WORDS) {
    const head = u32[e];
    const kind = head & 0xff;
    const ptr = u32[e + W_PTR];
    if (
      (kind === KIND_TEXT || kind === KIND_BINARY) &&
      ((head >>> FLAGS_SHIFT) & WHOLE) === WHOLE &&
      ptr < inputEnd &&
      ptr >= u32[at + W_PTR]
    )
      return ptr + u32[e + W_LEN];
  }
  return u32[at + W_PTR] + u32[at + W_LEN];
}

/** [ptr, ptr + len) of u8 in a new array, copied byte by byte (COPY_SMALL). */
function ownCopy(u8: Uint8Array, ptr: number, len: number): Uint8Array {
  const bytes = new Uint8Array(len);
  for (let i = 0; i < len; i++) bytes[i] = u8[ptr + i];
  return bytes;
}

/** [ptr, ptr + len) of u8 in a reused buffer lent to handlers. */
function lentCopy(u8: Uint8Array, ptr: number, len: number): Uint8Array {
  const bytes = take(len, INPUT_CAP);
  bytes.set(u8.subarray(ptr, ptr + len));
  lend(bytes);
  return bytes;
}

function check(result: number): number {
  if (result < 0) throw WebSocketError.fromCore(-result);
  return result;
}
