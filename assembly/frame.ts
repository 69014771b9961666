import {
  CLOSE_INVALID_DATA,
  CLOSE_NO_STATUS,
  CLOSE_PROTOCOL,
  CLOSE_TOO_BIG,
  ERR_CONTROL_TOO_LONG,
  ERR_EXPECTED_CONTINUATION,
  ERR_EXPECTED_MASK,
  ERR_FRAGMENTED_CONTROL,
  ERR_FRAME_TOO_LARGE,
  ERR_INVALID_UTF8,
  ERR_LENGTH_TOP_BIT,
  ERR_MESSAGE_TOO_LARGE,
  ERR_RESERVED_OPCODE,
  ERR_UNEXPECTED_CONTINUATION,
  ERR_UNEXPECTED_MASK,
  ERR_UNEXPECTED_RSV,
  FLAG_ASCII,
  FLAG_FIN,
  FLAG_FIRST,
  FLAG_RSV1,
  INPUT_CAP,
  KIND_BINARY,
  KIND_CLOSE,
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
} from "./abi";
import { closePayloadError } from "./close";
import {
  callEnded,
  callStarted,
  inflatePiece,
  isSuspended,
  resumeInflating,
  startCompressed,
} from "./decompress";
import { eventsProduced, pushEvent, reserveOutput, resetEvents } from "./events";
import { fail, failed } from "./fail";
import { nextKey } from "./keys";
import { mask } from "./mask";
import {
  ctrlPtr,
  F_CLIENT,
  F_CLOSE_RECEIVED,
  F_CLOSE_SENT,
  F_FAILED,
  F_RSV1,
  hasFlag,
  releaseCtrl,
  S_CLOSE_CODE,
  S_CTRL_LEN,
  S_FLAGS,
  S_FRAME_BITS,
  S_FRAME_OP,
  S_HDR,
  S_HDR_LEN,
  S_HDR_NEED,
  S_MASK,
  S_MASK_POS,
  S_MAX_FRAME,
  S_MAX_MESSAGE,
  S_MSG_FLAGS,
  S_MSG_LEN,
  S_MSG_OP,
  S_REMAINING,
  S_STATE,
  S_UTF8,
  setFlag,
} from "./session";
import { asciiOnly, shortValid, UTF8_ACCEPT, UTF8_REJECT, unmaskAscii, utf8Unmask } from "./utf8";

// RFC 6455 5.2 base framing, decoded incrementally over chunks of any size.
const ST_HEADER: u8 = 0;
const ST_DATA: u8 = 1;
const ST_CONTROL: u8 = 2;

// Decodes one received chunk at [ptr, ptr+len) for session s, unmasking payloads in place.
// Returns the number of events written to the event table.
export function receive(s: usize, ptr: usize, len: u32): u32 {
  holdSplit = false;
  resetEvents();
  callStarted();
  return decode(s, ptr, ptr + len);
}

// As receive(), for a chunk that more input follows at once (a read larger than the input region,
// fed in pieces): it stops before a frame that runs past the chunk but would fit the region whole,
// and stoppedAt() says where. The host starts the next piece there, so such a frame arrives whole
// instead of in two pieces that are then copied together.
export function receivePart(s: usize, ptr: usize, len: u32): u32 {
  holdSplit = true;
  resetEvents();
  callStarted();
  return decode(s, ptr, ptr + len);
}

/** Where the last receive(), receivePart() or resume() stopped in the input region. */
export function stoppedAt(): usize {
  return resumeAt;
}

/**
 * How many bytes of the frame in progress come before the next frame's header: 0 at a header, -1
 * (as i32) when that is not known here (a header in part gathered, or 4 GiB or more to go).
 */
export function frameLeft(s: usize): u32 {
  if (load<u8>(s + S_STATE) == ST_HEADER) return load<u8>(s + S_HDR_LEN) == 0 ? 0 : 0xffffffff;
  const left = load<u64>(s + S_REMAINING);
  return left < 0xffffffff ? <u32>left : 0xffffffff;
}

// Where a suspended call (KIND_SUSPEND) stopped in the input region.
let resumeAt: usize = 0;
let resumeEnd: usize = 0;
// Set by receivePart() for its call and the resume() calls that continue it.
let holdSplit = false;

// Continues the call that ended with KIND_SUSPEND, once the host consumed its events.
export function resume(s: usize): u32 {
  resetEvents();
  callStarted();
  resumeInflating(s);
  return decode(s, resumeAt, resumeEnd);
}

function decode(s: usize, p: usize, end: usize): u32 {
  while (p < end && !isSuspended() && (load<u8>(s + S_FLAGS) & (F_FAILED | F_CLOSE_RECEIVED)) == 0) {
    const state = load<u8>(s + S_STATE);
    if (state == ST_HEADER) {
      if (holdSplit && runsPast(s, p, end)) break;
      const q = smallMessages(s, p, end);
      p = q > p ? q : readHeader(s, p, end);
    } else if (state == ST_DATA) p = readData(s, p, end);
    else p = readControl(s, p, end);
  }
  resumeAt = p;
  resumeEnd = end;
  callEnded(s);
  return eventsProduced();
}

// The common small message: one text or binary frame with FIN, no RSV bit and under 126 bytes,
// masked at a server and not at a client (5.1), whole in this chunk, outside any fragmented message,
// within the limits. It passes every check the frame state machine makes, so it is decoded without
// it (on 32-byte frames the machine cost more than the work). Decodes a run of them and returns where
// it ended: at p when the frame there is not one, or after a text that failed the connection.
function smallMessages(s: usize, p: usize, end: usize): usize {
  if (load<u8>(s + S_HDR_LEN) != 0 || load<u8>(s + S_MSG_OP) != 0) return p;
  // The wrong masking for the role fails in the long way, with its own error.
  const masked = !hasFlag(s, F_CLIENT);
  const head: usize = masked ? 6 : 2;
  const b1Mask: u32 = masked ? 0x80 : 0;
  // The largest length taken here: 125, or less under a lower limit. Read once per run, not per frame.
  let most: u64 = 125;
  const maxFrame = load<u64>(s + S_MAX_FRAME);
  const maxMessage = load<u64>(s + S_MAX_MESSAGE);
  if (maxFrame != 0 && maxFrame < most) most = maxFrame;
  if (maxMessage != 0 && maxMessage < most) most = maxMessage;
  while (end - p >= head) {
    const b0 = <u32>load<u8>(p);
    const b1 = <u32>load<u8>(p + 1);
    const n = b1 & 0x7f;
    if ((b0 != (0x80 | OP_TEXT) && b0 != (0x80 | OP_BINARY)) || (b1 & 0x80) != b1Mask || <u64>n > most) break;
    if (head + n > end - p) break;
    const at = p + head;
    p = at + n;
    if (b0 == (0x80 | OP_BINARY)) {
      if (masked) mask(at, n, load<u32>(at - 4), 0);
      pushEvent(KIND_BINARY, FLAG_FIRST | FLAG_FIN, 0, at, n, 0);
    } else if (masked ? unmaskAscii(at, n, load<u32>(at - 4), 0) : asciiOnly(at, n)) {
      pushEvent(KIND_TEXT, FLAG_FIRST | FLAG_FIN | FLAG_ASCII, 0, at, n, 0);
    } else if (shortValid(at, n)) {
      pushEvent(KIND_TEXT, FLAG_FIRST | FLAG_FIN, 0, at, n, 0);
    } else {
      fail(s, ERR_INVALID_UTF8, CLOSE_INVALID_DATA);
      break;
    }
  }
  return p;
}

// Whether the frame whose header starts at p ends after `end` though it would fit the input region.
// A header is at most 14 bytes, so one cut short always fits.
function runsPast(s: usize, p: usize, end: usize): bool {
  if (load<u8>(s + S_HDR_LEN) != 0) return false;
  const avail = <u64>(end - p);
  if (avail < 2) return true;
  const b1 = <u32>load<u8>(p + 1);
  const head = headerSize(b1);
  if (avail < head) return true;
  const len7 = b1 & 0x7f;
  // A 64-bit length with its top bit set (which startFrame fails) may wrap the sum: then no stop.
  const plen: u64 =
    len7 < 126 ? len7 : len7 == 126 ? bswap<u16>(load<u16>(p + 2)) : bswap<u64>(load<u64>(p + 2));
  const size = <u64>head + plen;
  return size > avail && size <= INPUT_CAP;
}

function headerSize(b1: u32): u32 {
  const len7 = b1 & 0x7f;
  return 2 + (len7 == 126 ? 2 : len7 == 127 ? 8 : 0) + (b1 >> 7) * 4;
}

// Parses straight from the input when the whole header is there, else gathers it in the session,
// checking each byte as it arrives: a frame fails on the byte that makes it invalid.
function readHeader(s: usize, p: usize, end: usize): usize {
  let have = <u32>load<u8>(s + S_HDR_LEN);
  const avail = <u32>(end - p);
  if (have == 0 && avail >= 2) {
    const need = headerSize(load<u8>(p + 1));
    if (avail >= need) {
      startFrame(s, p, p + need);
      return p + need;
    }
  }
  const hdr = s + S_HDR;
  let need: u32 = have < 2 ? 2 : load<u8>(s + S_HDR_NEED);
  while (p < end && have < need) {
    store<u8>(hdr + have, load<u8>(p));
    have++;
    p++;
    if (!checkGathered(s, hdr, have)) return p;
    if (have == 2) need = headerSize(load<u8>(hdr + 1));
  }
  if (have < need) {
    store<u8>(s + S_HDR_LEN, <u8>have);
    store<u8>(s + S_HDR_NEED, <u8>need);
    return p;
  }
  store<u8>(s + S_HDR_LEN, 0);
  startFrame(s, hdr, p);
  return p;
}

// The checks a header's first `have` bytes allow, run as the byte that completes them arrives.
function checkGathered(s: usize, hdr: usize, have: u32): bool {
  const b0 = <u32>load<u8>(hdr);
  if (have == 1) return checkFirstByte(s, b0);
  const b1 = <u32>load<u8>(hdr + 1);
  if (have == 2) return checkSecondByte(s, b0, b1);
  return have != 3 || (b1 & 0x7f) != 127 || checkLengthTop(s, load<u8>(hdr + 2));
}

// What the first byte alone decides (5.2, 5.4, 5.5). False once the connection failed.
function checkFirstByte(s: usize, b0: u32): bool {
  const op = b0 & 0x0f;
  const rsv1 = (b0 & 0x40) != 0;
  // 5.2: RSV bits must be 0 unless an extension defines them; only permessage-deflate's RSV1 is known.
  if ((b0 & 0x30) != 0 || (rsv1 && !hasFlag(s, F_RSV1))) return failed(s, ERR_UNEXPECTED_RSV, CLOSE_PROTOCOL);
  if ((op > OP_BINARY && op < OP_CLOSE) || op > OP_PONG)
    return failed(s, ERR_RESERVED_OPCODE, CLOSE_PROTOCOL);
  if (op >= OP_CLOSE) {
    // 5.5: control frames are never fragmented and not compressed.
    if ((b0 & 0x80) == 0) return failed(s, ERR_FRAGMENTED_CONTROL, CLOSE_PROTOCOL);
    if (rsv1) return failed(s, ERR_UNEXPECTED_RSV, CLOSE_PROTOCOL);
    return true;
  }
  // 5.4: a message is one text/binary frame followed by continuations until FIN.
  const msgOp = load<u8>(s + S_MSG_OP);
  if (op == OP_CONT) {
    if (msgOp == 0) return failed(s, ERR_UNEXPECTED_CONTINUATION, CLOSE_PROTOCOL);
    // RFC 7692 6.1: RSV1 marks the first frame of a compressed message only.
    if (rsv1) return failed(s, ERR_UNEXPECTED_RSV, CLOSE_PROTOCOL);
  } else if (msgOp != 0) return failed(s, ERR_EXPECTED_CONTINUATION, CLOSE_PROTOCOL);
  return true;
}

// The second byte adds the mask bit (5.1: clients mask every frame, servers none) and a control
// frame's length (5.5: at most 125, so 126 and 127 are already too long).
function checkSecondByte(s: usize, b0: u32, b1: u32): bool {
  const masked = (b1 & 0x80) != 0;
  if (hasFlag(s, F_CLIENT)) {
    if (masked) return failed(s, ERR_UNEXPECTED_MASK, CLOSE_PROTOCOL);
  } else if (!masked) return failed(s, ERR_EXPECTED_MASK, CLOSE_PROTOCOL);
  if ((b0 & 0x0f) >= OP_CLOSE && (b1 & 0x7f) > 125) return failed(s, ERR_CONTROL_TOO_LONG, CLOSE_PROTOCOL);
  return true;
}

// 5.2: the most significant bit of a 64-bit length (the third header byte's top bit) must be 0.
function checkLengthTop(s: usize, b2: u32): bool {
  return (b2 & 0x80) == 0 || failed(s, ERR_LENGTH_TOP_BIT, CLOSE_PROTOCOL);
}

// Starts a frame whose complete header is at h; `next` is where its payload starts in the input.
function startFrame(s: usize, h: usize, next: usize): void {
  const b0 = <u32>load<u8>(h);
  const b1 = <u32>load<u8>(h + 1);
  if (!checkFirstByte(s, b0) || !checkSecondByte(s, b0, b1)) return;
  const op = b0 & 0x0f;
  const len7 = b1 & 0x7f;
  let plen: u64 = len7;
  let off: usize = 2;
  if (len7 == 126) {
    plen = bswap<u16>(load<u16>(h + 2));
    off = 4;
  } else if (len7 == 127) {
    if (!checkLengthTop(s, load<u8>(h + 2))) return;
    plen = bswap<u64>(load<u64>(h + 2));
    off = 10;
  }
  const maxFrame = load<u64>(s + S_MAX_FRAME);
  if (maxFrame != 0 && plen > maxFrame) return fail(s, ERR_FRAME_TOO_LARGE, CLOSE_TOO_BIG);
  if (op < OP_CLOSE && !startData(s, op, (b0 & 0x40) != 0, plen)) return;

  store<u8>(s + S_FRAME_OP, <u8>op);
  store<u8>(s + S_FRAME_BITS, <u8>b0);
  store<u32>(s + S_MASK, (b1 & 0x80) != 0 ? load<u32>(h + off) : 0);
  store<u32>(s + S_MASK_POS, 0);
  store<u64>(s + S_REMAINING, plen);
  if (op >= OP_CLOSE) {
    store<u8>(s + S_CTRL_LEN, 0);
    store<u8>(s + S_STATE, ST_CONTROL);
    if (plen == 0) finishControl(s, next, 0);
  } else {
    store<u8>(s + S_STATE, ST_DATA);
    if (plen == 0) emitData(s, next, 0, 0);
  }
}

// A data frame whose first byte passed checkFirstByte(): starts a message or continues one.
function startData(s: usize, op: u32, rsv1: bool, plen: u64): bool {
  if (op != OP_CONT) {
    store<u8>(s + S_MSG_OP, <u8>op);
    store<u8>(s + S_MSG_FLAGS, FLAG_FIRST | (rsv1 ? FLAG_RSV1 : 0));
    store<u64>(s + S_MSG_LEN, 0);
    store<u32>(s + S_UTF8, UTF8_ACCEPT);
    if (rsv1) startCompressed(s);
  }
  const msgLen = load<u64>(s + S_MSG_LEN) + plen;
  const maxMessage = load<u64>(s + S_MAX_MESSAGE);
  if (maxMessage != 0 && msgLen > maxMessage) return failed(s, ERR_MESSAGE_TOO_LARGE, CLOSE_TOO_BIG);
  store<u64>(s + S_MSG_LEN, msgLen);
  return true;
}

function readData(s: usize, p: usize, end: usize): usize {
  const remaining = load<u64>(s + S_REMAINING);
  const avail: u64 = end - p;
  const n = <u32>(remaining < avail ? remaining : avail);
  // Plain text is unmasked by its validator (utf8Unmask, in emitData).
  if (load<u8>(s + S_MSG_OP) != OP_TEXT || load<u8>(s + S_MSG_FLAGS) & FLAG_RSV1) unmask(s, p, n);
  store<u64>(s + S_REMAINING, remaining - n);
  emitData(s, p, n, remaining - n);
  return p + n;
}

function unmask(s: usize, p: usize, n: u32): void {
  const key = load<u32>(s + S_MASK);
  // A zero key (or an unmasked frame) leaves the bytes as they are.
  if (key == 0) return;
  const pos = load<u32>(s + S_MASK_POS);
  mask(p, n, key, pos);
  store<u32>(s + S_MASK_POS, (pos + n) & 3);
}

// `left` is what remains of the frame's payload, so the host can size a message buffer once.
function emitData(s: usize, p: usize, n: u32, left: u64): void {
  const frameDone = left == 0;
  const msgOp = load<u8>(s + S_MSG_OP);
  const msgFlags = load<u8>(s + S_MSG_FLAGS);
  const fin = frameDone && (load<u8>(s + S_FRAME_BITS) & 0x80) != 0;
  if (msgFlags & FLAG_RSV1) {
    if (frameDone) store<u8>(s + S_STATE, ST_HEADER);
    if (n > 0 || fin) inflatePiece(s, p, n, fin);
    return;
  }
  // 8.1: text is validated as it arrives so invalid UTF-8 fails at once (decompress.ts does the
  // same for inflated text).
  if (msgOp == OP_TEXT) {
    const pos = load<u32>(s + S_MASK_POS);
    const state = utf8Unmask(load<u32>(s + S_UTF8), p, n, load<u32>(s + S_MASK), pos);
    store<u32>(s + S_MASK_POS, (pos + n) & 3);
    if (state == UTF8_REJECT || (fin && state != UTF8_ACCEPT))
      return fail(s, ERR_INVALID_UTF8, CLOSE_INVALID_DATA);
    store<u32>(s + S_UTF8, state);
  }
  if (frameDone) store<u8>(s + S_STATE, ST_HEADER);
  if (n == 0 && !fin) return;
  const kind = msgOp == OP_TEXT ? KIND_TEXT : KIND_BINARY;
  const hint = left < 0xffffffff ? <u32>left : 0xffffffff;
  let flags = (msgFlags & (FLAG_FIRST | FLAG_RSV1)) | (fin ? FLAG_FIN : 0);
  // The host decodes ASCII text as ISO-8859-1, faster than as UTF-8.
  if (kind == KIND_TEXT && fin && msgFlags & FLAG_FIRST && asciiOnly(p, n)) flags |= FLAG_ASCII;
  pushEvent(kind, flags, 0, p, n, hint);
  store<u8>(s + S_MSG_FLAGS, msgFlags & ~FLAG_FIRST);
  if (fin) store<u8>(s + S_MSG_OP, 0);
}

// A control payload wholly in this chunk is unmasked where it is; one split over chunks is
// gathered in the session's control block, so a ping split over chunks still arrives whole.
function readControl(s: usize, p: usize, end: usize): usize {
  const remaining = <u32>load<u64>(s + S_REMAINING);
  const avail = <u32>(end - p);
  const n = remaining < avail ? remaining : avail;
  const have = <u32>load<u8>(s + S_CTRL_LEN);
  store<u64>(s + S_REMAINING, remaining - n);
  if (have == 0 && n == remaining) {
    unmask(s, p, n);
    finishControl(s, p, n);
    return p + n;
  }
  const block = ctrlPtr(s);
  memory.copy(block + have, p, n);
  unmask(s, block + have, n);
  store<u8>(s + S_CTRL_LEN, <u8>(have + n));
  if (n == remaining) {
    finishControl(s, block, have + n);
    releaseCtrl(s);
  }
  return p + n;
}

function finishControl(s: usize, from: usize, len: u32): void {
  store<u8>(s + S_STATE, ST_HEADER);
  const op = <u32>load<u8>(s + S_FRAME_OP);
  // Events must not point into the input (the host may reuse it) or the control block (the next
  // control frame reuses it).
  const payload = reserveOutput(len);
  memory.copy(payload, from, len);
  if (op == OP_PING) {
    pushEvent(KIND_PING, 0, 0, payload, len, 0);
    // 5.5.2: answer a ping with a pong carrying the same payload, unless we are closing.
    if (!hasFlag(s, F_CLOSE_SENT)) writeReply(s, 0x80 | OP_PONG, payload, len);
  } else if (op == OP_PONG) {
    pushEvent(KIND_PONG, 0, 0, payload, len, 0);
  } else {
    receiveClose(s, payload, len);
  }
}

// 5.5.1: the close payload's rules are close.ts's. The echo is not written here: the host first
// dispatches the messages before this close, whose handlers may still send or close, and then asks
// closeOwed() for it.
function receiveClose(s: usize, payload: usize, len: u32): void {
  const err = closePayloadError(payload, len, false);
  if (err != 0) return fail(s, err, err == ERR_INVALID_UTF8 ? CLOSE_INVALID_DATA : CLOSE_PROTOCOL);
  const code: u32 = len >= 2 ? bswap<u16>(load<u16>(payload)) : CLOSE_NO_STATUS;
  setFlag(s, F_CLOSE_RECEIVED);
  store<u16>(s + S_CLOSE_CODE, <u16>code);
  pushEvent(KIND_CLOSE, 0, code, payload + 2, len >= 2 ? len - 2 : 0, 0);
}

// A control frame of the core's own, written to the output region.
function writeReply(s: usize, b0: u32, payload: usize, len: u32): void {
  const client = hasFlag(s, F_CLIENT);
  const head: u32 = client ? 6 : 2;
  const at = reserveOutput(head + len);
  store<u8>(at, <u8>b0);
  store<u8>(at + 1, <u8>(len | (client ? 0x80 : 0)));
  memory.copy(at + head, payload, len);
  if (client) {
    const key = nextKey();
    store<u32>(at + 2, key);
    mask(at + head, len, key, 0);
  }
  pushEvent(KIND_REPLY, 0, 0, at, head + len, 0);
}
