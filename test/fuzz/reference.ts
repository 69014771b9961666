// A reference RFC 6455 decoder for the differential fuzzer: written from the RFC (5.1-5.7, 7.1.7, 7.4,
// 8.1), one byte at a time, with no buffering cleverness, so that it is easy to check by reading. It
// says what a session must report for a byte stream and at which byte each thing happens.

export type Role = "server" | "client";

/**
 * When a header rule is decided. "byte": on the byte that breaks it (fail fast: opcode, RSV and FIN
 * on byte 0, the mask bit and a control length over 125 on byte 1, a 64-bit length's top bit on
 * byte 2). "header": once the whole header is in, as the core decides them before its fail-fast change.
 */
export type Timing = "byte" | "header";

export interface ReferenceOptions {
  role: Role;
  /** 0 = unlimited. */
  maxFrameSize: number;
  /** 0 = unlimited. */
  maxMessageSize: number;
  timing: Timing;
}

export type Expected =
  | { type: "message"; isBinary: boolean; data: Uint8Array; text: string }
  | { type: "ping" | "pong"; data: Uint8Array }
  | { type: "close"; code: number; reason: string }
  | { type: "error"; code: string; closeCode: number };

/** An event and the index of the byte that completed it. */
export interface Timed {
  at: number;
  event: Expected;
}

/** A frame the session must queue in answer: a pong, or the close it owes (with an empty reason). */
export type Reply = { type: "pong"; data: Uint8Array } | { type: "close"; code: number; reason: string };

const PROTOCOL = 1002;
const INVALID_DATA = 1007;
const TOO_BIG = 1009;
const NO_STATUS = 1005;

type Failure = [code: string, closeCode: number];

const isControl = (op: number): boolean => op >= 8;

/** The frame header as far as it has arrived; `length` is set once it is known. */
interface Header {
  bytes: number[];
  fin: boolean;
  rsv: number;
  op: number;
  masked: boolean;
  len7: number;
  length: number | undefined;
}

interface Rule {
  /** The header byte that decides the rule under "byte" timing; "end" once the header is complete. */
  byte: number | "end";
  check(h: Header, d: Decoder): Failure | undefined;
}

// In the order the whole-header core applied them; under "byte" timing the byte decides first and
// this order only breaks ties within a byte. The RFC does not rank simultaneous violations.
const rules: Rule[] = [
  // 5.2: RSV1-3 must be 0 unless an extension defines them; none is negotiated here.
  { byte: 0, check: (h) => (h.rsv !== 0 ? ["WS_ERR_UNEXPECTED_RSV", PROTOCOL] : undefined) },
  // 5.2: opcodes 3-7 and B-F are reserved.
  {
    byte: 0,
    check: (h) => ((h.op > 2 && h.op < 8) || h.op > 10 ? ["WS_ERR_RESERVED_OPCODE", PROTOCOL] : undefined),
  },
  // 5.1: a client masks every frame it sends, a server none.
  {
    byte: 1,
    check: (h, d) => {
      if (h.masked === d.expectsMask) return undefined;
      return [d.expectsMask ? "WS_ERR_EXPECTED_MASK" : "WS_ERR_UNEXPECTED_MASK", PROTOCOL];
    },
  },
  // 5.2: the most significant bit of a 64-bit length must be 0.
  {
    byte: 2,
    check: (h) => (h.len7 === 127 && h.bytes[2] >= 0x80 ? ["WS_ERR_LENGTH_TOP_BIT", PROTOCOL] : undefined),
  },
  // 10.4: our frame limit.
  {
    byte: "end",
    check: (h, d) =>
      d.maxFrameSize !== 0 && h.length! > d.maxFrameSize ? ["WS_ERR_FRAME_TOO_LARGE", TOO_BIG] : undefined,
  },
  // 5.5: control frames are never fragmented.
  {
    byte: 0,
    check: (h) => (isControl(h.op) && !h.fin ? ["WS_ERR_FRAGMENTED_CONTROL", PROTOCOL] : undefined),
  },
  // 5.5: control payloads are at most 125 bytes. On byte 1 the length is unknown only for the 16- and
  // 64-bit forms, which 5.2 allows only for lengths over 125.
  {
    byte: 1,
    check: (h) =>
      isControl(h.op) && (h.length === undefined || h.length > 125)
        ? ["WS_ERR_CONTROL_TOO_LONG", PROTOCOL]
        : undefined,
  },
  // 5.4: a continuation continues a message.
  {
    byte: 0,
    check: (h, d) =>
      h.op === 0 && d.messageOp === 0 ? ["WS_ERR_UNEXPECTED_CONTINUATION", PROTOCOL] : undefined,
  },
  // 5.4: a fragmented message is not interleaved with another one.
  {
    byte: 0,
    check: (h, d) =>
      (h.op === 1 || h.op === 2) && d.messageOp !== 0
        ? ["WS_ERR_EXPECTED_CONTINUATION", PROTOCOL]
        : undefined,
  },
  // 10.4: our message limit, decided by the frame that crosses it.
  {
    byte: "end",
    check: (h, d) =>
      !isControl(h.op) && d.maxMessageSize !== 0 && d.messageLength + h.length! > d.maxMessageSize
        ? ["WS_ERR_MESSAGE_TOO_LARGE", TOO_BIG]
        : undefined,
  },
];

/** 8.1 / RFC 3629: UTF-8 checked byte by byte against Unicode's table of well-formed sequences. */
export class Utf8 {
  private need = 0;
  private low = 0x80;
  private high = 0xbf;
  private codePoint = 0;
  private readonly codePoints: number[] = [];

  /** False from the first byte that no valid text could contain. */
  push(b: number): boolean {
    if (this.need === 0) {
      if (b <= 0x7f) this.codePoints.push(b);
      else if (b >= 0xc2 && b <= 0xdf) this.start(1, b & 0x1f);
      else if (b >= 0xe0 && b <= 0xef) {
        this.start(2, b & 0x0f);
        if (b === 0xe0) this.low = 0xa0; // no overlong 3-byte forms
        if (b === 0xed) this.high = 0x9f; // no surrogates
      } else if (b >= 0xf0 && b <= 0xf4) {
        this.start(3, b & 0x07);
        if (b === 0xf0) this.low = 0x90; // no overlong 4-byte forms
        if (b === 0xf4) this.high = 0x8f; // nothing above U+10FFFF
      } else return false;
      return true;
    }
    if (b < this.low || b > this.high) return false;
    this.low = 0x80;
    this.high = 0xbf;
    this.codePoint = (this.codePoint << 6) | (b & 0x3f);
    if (--this.need === 0) this.codePoints.push(this.codePoint);
    return true;
  }

  /** At a character boundary. */
  get complete(): boolean {
    return this.need === 0;
  }

  /** The characters so far. */
  text(): string {
    let s = "";
    for (let i = 0; i < this.codePoints.length; i += 4096)
      s += String.fromCodePoint(...this.codePoints.slice(i, i + 4096));
    return s;
  }

  private start(need: number, bits: number): void {
    this.need = need;
    this.codePoint = bits;
  }
}

// 7.4.1, 7.4.2 and IANA's registry (1012-1014): the codes a close frame may carry. 1004 is reserved,
// 1005, 1006 and 1015 are never sent, 1016-2999 are unassigned and nothing above 4999 is defined.
export function closeCodeAllowed(code: number): boolean {
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999);
}

/** A growing byte buffer. */
class Bytes {
  private buf = new Uint8Array(64);
  length = 0;

  push(b: number): void {
    if (this.length === this.buf.length) {
      const next = new Uint8Array(this.buf.length * 2);
      next.set(this.buf);
      this.buf = next;
    }
    this.buf[this.length++] = b;
  }

  take(): Uint8Array {
    const out = this.buf.slice(0, this.length);
    this.length = 0;
    return out;
  }
}

export class Decoder {
  /** Everything the session must report, in order. */
  readonly events: Timed[] = [];
  /** The frames it must queue in answer, in order. */
  readonly replies: Reply[] = [];
  /** Where each frame began. */
  readonly frameStarts: number[] = [];
  readonly expectsMask: boolean;
  readonly maxFrameSize: number;
  readonly maxMessageSize: number;
  /** The data message in progress: its opcode (0 = none) and the payload it has announced so far. */
  messageOp = 0;
  messageLength = 0;
  /** Bytes consumed; nothing is decoded after a close or an error (7.1.7). */
  consumed = 0;
  ended = false;

  private readonly timing: Timing;
  private header: Header = emptyHeader();
  private headerSize = 2;
  private inPayload = false;
  private key = [0, 0, 0, 0];
  private received = 0;
  private readonly payload = new Bytes();
  private readonly message = new Bytes();
  private utf8 = new Utf8();

  constructor(options: ReferenceOptions) {
    // 5.1: a server receives masked frames, a client unmasked ones.
    this.expectsMask = options.role === "server";
    this.maxFrameSize = options.maxFrameSize;
    this.maxMessageSize = options.maxMessageSize;
    this.timing = options.timing;
  }

  /** Between frames: the stream so far ends where a frame ends. */
  get atFrameBoundary(): boolean {
    return !this.inPayload && this.header.bytes.length === 0;
  }

  pushAll(bytes: Uint8Array): this {
    for (let i = 0; i < bytes.length && !this.ended; i++) this.push(bytes[i]);
    return this;
  }

  push(b: number): void {
    if (this.ended) return;
    const at = this.consumed++;
    if (this.inPayload) this.payloadByte(b, at);
    else this.headerByte(b, at);
  }

  // 5.2: FIN, RSV1-3, opcode; MASK, 7-bit length; the 16- or 64-bit length; the masking key.
  private headerByte(b: number, at: number): void {
    const h = this.header;
    const i = h.bytes.push(b) - 1;
    if (i === 0) {
      this.frameStarts.push(at);
      h.fin = (b & 0x80) !== 0;
      h.rsv = (b >> 4) & 7;
      h.op = b & 0x0f;
    } else if (i === 1) {
      h.masked = (b & 0x80) !== 0;
      h.len7 = b & 0x7f;
      const extended = h.len7 === 126 ? 2 : h.len7 === 127 ? 8 : 0;
      this.headerSize = 2 + extended + (h.masked ? 4 : 0);
      if (extended === 0) h.length = h.len7;
    } else {
      const lengthEnd = h.len7 === 126 ? 4 : h.len7 === 127 ? 10 : 2;
      if (i < lengthEnd) {
        // Past 2^53 this is approximate, but only its comparison with the limits matters there.
        if (i === lengthEnd - 1) h.length = h.bytes.slice(2, lengthEnd).reduce((n, x) => n * 256 + x, 0);
      } else this.key[i - lengthEnd] = b;
    }
    if (this.timing === "byte") {
      if (this.applyRules(i, at)) return;
    }
    if (h.bytes.length < this.headerSize) return;
    if (this.applyRules(this.timing === "byte" ? "end" : undefined, at)) return;
    this.startFrame(at);
  }

  /** Applies the rules decided at `byte` (all of them when undefined); true when one failed. */
  private applyRules(byte: number | "end" | undefined, at: number): boolean {
    for (const rule of rules) {
      if (byte !== undefined && rule.byte !== byte) continue;
      const failure = rule.check(this.header, this);
      if (failure) {
        this.fail(failure, at);
        return true;
      }
    }
    return false;
  }

  private startFrame(at: number): void {
    const h = this.header;
    if (!isControl(h.op)) {
      // 5.4: a text or binary frame starts a message, continuations add to it.
      if (h.op !== 0) {
        this.messageOp = h.op;
        this.messageLength = 0;
        this.utf8 = new Utf8();
      }
      this.messageLength += h.length!;
    }
    this.received = 0;
    this.inPayload = true;
    if (h.length === 0) this.endFrame(at);
  }

  private payloadByte(b: number, at: number): void {
    const h = this.header;
    // 5.3: octet i of the payload is XORed with octet i mod 4 of the key.
    const x = h.masked ? b ^ this.key[this.received & 3] : b;
    this.received++;
    if (isControl(h.op)) this.payload.push(x);
    else {
      this.message.push(x);
      // 8.1: fail as soon as a byte makes the text invalid.
      if (this.messageOp === 1 && !this.utf8.push(x)) {
        this.fail(["WS_ERR_INVALID_UTF8", INVALID_DATA], at);
        return;
      }
    }
    if (this.received === h.length) this.endFrame(at);
  }

  private endFrame(at: number): void {
    const h = this.header;
    this.header = emptyHeader();
    this.headerSize = 2;
    this.inPayload = false;
    if (isControl(h.op)) this.endControl(h.op, this.payload.take(), at);
    else if (h.fin) this.endMessage(at);
  }

  private endMessage(at: number): void {
    const text = this.messageOp === 1;
    // 8.1: a text message ends at a character boundary.
    if (text && !this.utf8.complete) {
      this.fail(["WS_ERR_INVALID_UTF8", INVALID_DATA], at);
      return;
    }
    const data = this.message.take();
    this.emit(at, { type: "message", isBinary: !text, data, text: text ? this.utf8.text() : "" });
    this.messageOp = 0;
    this.messageLength = 0;
  }

  private endControl(op: number, data: Uint8Array, at: number): void {
    if (op === 9) {
      this.emit(at, { type: "ping", data });
      // 5.5.2: a ping is answered with a pong carrying its payload.
      this.replies.push({ type: "pong", data });
    } else if (op === 10) {
      this.emit(at, { type: "pong", data });
    } else this.endClose(data, at);
  }

  private endClose(data: Uint8Array, at: number): void {
    const reason = new Utf8();
    const failure = closeFailure(data, reason);
    if (failure) {
      this.fail(failure, at);
      return;
    }
    const code = data.length === 0 ? NO_STATUS : (data[0] << 8) | data[1];
    this.emit(at, { type: "close", code, reason: reason.text() });
    // 5.5.1: the close is echoed with its code (an empty one when there was none).
    this.replies.push({ type: "close", code, reason: "" });
    this.ended = true;
  }

  // 7.1.7: fail the connection with a close carrying the reason's code, then read nothing more.
  private fail([code, closeCode]: Failure, at: number): void {
    this.emit(at, { type: "error", code, closeCode });
    this.replies.push({ type: "close", code: closeCode, reason: "" });
    this.ended = true;
  }

  private emit(at: number, event: Expected): void {
    this.events.push({ at, event });
  }
}

// 5.5.1 and 7.4: empty, or a 2-byte code allowed on the wire and a UTF-8 reason (read into `reason`).
function closeFailure(data: Uint8Array, reason: Utf8): Failure | undefined {
  if (data.length === 0) return undefined;
  if (data.length === 1) return ["WS_ERR_CLOSE_ONE_BYTE", PROTOCOL];
  if (!closeCodeAllowed((data[0] << 8) | data[1])) return ["WS_ERR_INVALID_CLOSE_CODE", PROTOCOL];
  for (let i = 2; i < data.length; i++)
    if (!reason.push(data[i])) return ["WS_ERR_INVALID_UTF8", INVALID_DATA];
  return reason.complete ? undefined : ["WS_ERR_INVALID_UTF8", INVALID_DATA];
}

function emptyHeader(): Header {
  return { bytes: [], fin: false, rsv: 0, op: 0, masked: false, len7: 0, length: undefined };
}
