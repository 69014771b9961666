// RFC 7692 6.2: receiving compressed messages. Payload pieces go through the session's inflater as
// they arrive; inflated bytes are validated (8.1) and counted against the message limit as they
// come out, and handed to the host as data events pointing into the inflater's ring.
import {
  CLOSE_INVALID_DATA,
  CLOSE_TOO_BIG,
  ERR_INFLATE,
  ERR_INVALID_UTF8,
  ERR_MESSAGE_TOO_LARGE,
  EV_FLAGS,
  EV_LEN,
  EV_PTR,
  EVENT_SIZE,
  FLAG_ASCII,
  FLAG_FIN,
  FLAG_FIRST,
  FLAG_RSV1,
  KIND_BINARY,
  KIND_SUSPEND,
  KIND_TEXT,
  OP_TEXT,
} from "./abi";
import { eventsProduced, pushEvent } from "./events";
import { failed } from "./fail";
import {
  INFLATE_END,
  INFLATE_ERROR,
  INFLATE_OUTPUT,
  inflateAtBoundary,
  inflateContinue,
  inflateInit,
  inflateInput,
  inflateOutLen,
  inflateOutPtr,
  inflateReset,
  inflateRun,
  inflateStateSize,
} from "./inflate";
import { eventBase } from "./regions";
import {
  F_PEER_CONTEXT,
  hasFlag,
  S_INFLATE_BITS,
  S_INFLATED,
  S_INFLATER,
  S_MAX_MESSAGE,
  S_MSG_FLAGS,
  S_MSG_OP,
  S_UTF8,
} from "./session";
import { asciiOnly, UTF8_ACCEPT, UTF8_REJECT, utf8Step } from "./utf8";

// Without context takeover an inflater is needed only while a message arrives: sessions borrow
// one from this pool (32 KiB rings, enough for any window) and give it back when idle.
const POOL_BITS: u32 = 15;
// Free inflaters by ring bits, linked through their first word; index POOL_BITS is the pool.
const freeHeads: usize = heap.alloc(16 * 4);
memory.fill(freeHeads, 0, 16 * 4);
// 7.2.2: the receiver appends 00 00 ff ff to a message's payload before inflating it.
const tail: usize = heap.alloc(4);
store<u32>(tail, 0xffff0000);

// One call's progress: ring bytes handed out (views the host holds until the next call), and where
// a suspended call resumes.
let ringUsed: u32 = 0;
let suspended = false;
let pieceFin = false;
let feedingTail = false;
let finEvent: i32 = -1;

export function callStarted(): void {
  ringUsed = 0;
  suspended = false;
  finEvent = -1;
}

export function isSuspended(): bool {
  return suspended;
}

/** A message with RSV1 starts: it gets an inflater, fresh unless the peer keeps its window. */
export function startCompressed(s: usize): void {
  store<u64>(s + S_INFLATED, 0);
  const st = <usize>load<u32>(s + S_INFLATER);
  if (hasFlag(s, F_PEER_CONTEXT)) {
    if (st == 0) {
      const bits = <u32>load<u8>(s + S_INFLATE_BITS);
      const fresh = take(bits < 9 ? 9 : bits);
      inflateInit(fresh, bits < 9 ? 9 : bits);
      store<u32>(s + S_INFLATER, <u32>fresh);
    }
    return;
  }
  // 7.2.1 without context takeover: nothing before this message may be referenced.
  if (st != 0) inflateReset(st);
  else {
    const fresh = take(POOL_BITS);
    inflateInit(fresh, POOL_BITS);
    store<u32>(s + S_INFLATER, <u32>fresh);
  }
}

/** A payload piece [p, p+n) of the compressed message; fin: it is the message's last. */
export function inflatePiece(s: usize, p: usize, n: u32, fin: bool): void {
  const st = <usize>load<u32>(s + S_INFLATER);
  inflateInput(st, p, n);
  pieceFin = fin;
  feedingTail = false;
  drain(s, st);
}

/** Continues a suspended call's inflating; the caller then goes on with the rest of the input. */
export function resumeInflating(s: usize): void {
  drain(s, <usize>load<u32>(s + S_INFLATER));
}

/** At the end of a call: a borrowed inflater goes back to the pool once no message is arriving. */
export function callEnded(s: usize): void {
  if (suspended) {
    pushEvent(KIND_SUSPEND, 0, 0, 0, 0, 0);
    return;
  }
  if (!hasFlag(s, F_PEER_CONTEXT) && load<u8>(s + S_MSG_OP) == 0) releaseInflater(s);
}

export function releaseInflater(s: usize): void {
  const st = <usize>load<u32>(s + S_INFLATER);
  if (st == 0) return;
  const bits = hasFlag(s, F_PEER_CONTEXT) ? <u32>load<u8>(s + S_INFLATE_BITS) : POOL_BITS;
  const head = freeHeads + (bits < 9 ? 9 : bits) * 4;
  store<u32>(st, load<u32>(head));
  store<u32>(head, <u32>st);
  store<u32>(s + S_INFLATER, 0);
}

function take(bits: u32): usize {
  const head = freeHeads + bits * 4;
  const st = <usize>load<u32>(head);
  if (st == 0) return heap.alloc(inflateStateSize(bits));
  store<u32>(head, load<u32>(st));
  return st;
}

function drain(s: usize, st: usize): void {
  const ringSize: u32 = 1 << (hasFlag(s, F_PEER_CONTEXT) ? ringBitsOf(s) : POOL_BITS);
  while (true) {
    const room = ringSize - ringUsed;
    if (room == 0) {
      suspended = true;
      return;
    }
    const status = inflateRun(st, outLimit(s, room));
    const len = inflateOutLen(st);
    if (len > 0 && !emit(s, inflateOutPtr(st), len)) return;
    if (status == INFLATE_ERROR) return failInflate(s);
    if (status == INFLATE_OUTPUT) continue;
    if (!pieceFin) return;
    if (status != INFLATE_END && !feedingTail) {
      feedingTail = true;
      inflateInput(st, tail, 4);
      continue;
    }
    // 7.2.2: a message ends on a flushed block (the tail's empty stored block) or a final block.
    if (status != INFLATE_END && !inflateAtBoundary(st)) return failInflate(s);
    if (status == INFLATE_END) inflateContinue(st);
    finish(s);
    return;
  }
}

function ringBitsOf(s: usize): u32 {
  const bits = <u32>load<u8>(s + S_INFLATE_BITS);
  return bits < 9 ? 9 : bits;
}

// At most one byte past the message limit, so crossing it is seen as soon as it happens.
function outLimit(s: usize, room: u32): u32 {
  const max = load<u64>(s + S_MAX_MESSAGE);
  if (max == 0) return room;
  const left = max - load<u64>(s + S_INFLATED) + 1;
  return left < <u64>room ? <u32>left : room;
}

function emit(s: usize, ptr: usize, len: u32): bool {
  ringUsed += len;
  const total = load<u64>(s + S_INFLATED) + len;
  store<u64>(s + S_INFLATED, total);
  const max = load<u64>(s + S_MAX_MESSAGE);
  if (max != 0 && total > max) return failWith(s, ERR_MESSAGE_TOO_LARGE, CLOSE_TOO_BIG);
  const op = load<u8>(s + S_MSG_OP);
  if (op == OP_TEXT) {
    const state = utf8Step(load<u32>(s + S_UTF8), ptr, len);
    if (state == UTF8_REJECT) return failWith(s, ERR_INVALID_UTF8, CLOSE_INVALID_DATA);
    store<u32>(s + S_UTF8, state);
  }
  const flags = load<u8>(s + S_MSG_FLAGS);
  pushEvent(op == OP_TEXT ? KIND_TEXT : KIND_BINARY, flags & FLAG_FIRST, 0, ptr, len, 0);
  store<u8>(s + S_MSG_FLAGS, flags & ~FLAG_FIRST);
  finEvent = eventsProduced() - 1;
  return true;
}

// The message is complete: its last data event of this call carries FIN, or an empty one does.
function finish(s: usize): void {
  const op = load<u8>(s + S_MSG_OP);
  if (op == OP_TEXT && load<u32>(s + S_UTF8) != UTF8_ACCEPT) {
    failWith(s, ERR_INVALID_UTF8, CLOSE_INVALID_DATA);
    return;
  }
  const flags = load<u8>(s + S_MSG_FLAGS);
  if (finEvent >= 0 && finEvent == eventsProduced() - 1 && (flags & FLAG_FIRST) == 0) {
    const e = eventBase + <usize>finEvent * EVENT_SIZE;
    let done = load<u8>(e + EV_FLAGS) | FLAG_FIN;
    // A whole text message in one event: ASCII reads faster as ISO-8859-1 (frame.ts does the same).
    if (op == OP_TEXT && done & FLAG_FIRST && asciiOnly(load<u32>(e + EV_PTR), load<u32>(e + EV_LEN)))
      done |= FLAG_ASCII;
    store<u8>(e + EV_FLAGS, done);
  } else pushEvent(op == OP_TEXT ? KIND_TEXT : KIND_BINARY, (flags & FLAG_FIRST) | FLAG_FIN, 0, 0, 0, 0);
  finEvent = -1;
  store<u8>(s + S_MSG_FLAGS, flags & ~(FLAG_FIRST | FLAG_RSV1));
  store<u8>(s + S_MSG_OP, 0);
}

function failInflate(s: usize): void {
  failWith(s, ERR_INFLATE, CLOSE_INVALID_DATA);
}

function failWith(s: usize, err: u32, code: u32): bool {
  finEvent = -1;
  return failed(s, err, code);
}
