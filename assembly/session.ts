import {
  SESSION_CLIENT,
  STATE_CLOSE_ACKNOWLEDGED,
  STATE_CLOSE_RECEIVED,
  STATE_CLOSE_SENT,
  STATE_CONNECTING,
  STATE_FAILED,
  STATE_OPEN,
} from "./abi";
import { releaseInflater } from "./decompress";

// Per-connection state: one fixed-size slot in linear memory, reused through a free list.
export const S_STATE: u32 = 0; // u8 decoder state
export const S_FLAGS: u32 = 1; // u8 F_* bits
export const S_HDR_LEN: u32 = 2; // u8 header bytes gathered
export const S_HDR_NEED: u32 = 3; // u8 header bytes needed
export const S_HDR: u32 = 4; // u8[14] frame header
export const S_FRAME_OP: u32 = 18; // u8 opcode of the current frame
export const S_FRAME_BITS: u32 = 19; // u8 first header byte of the current frame
export const S_MSG_OP: u32 = 20; // u8 opcode of the message in progress, 0 if none
export const S_MSG_FLAGS: u32 = 21; // u8 FLAG_RSV1 of the message, FLAG_FIRST until its first piece is out
export const S_CTRL_LEN: u32 = 22; // u8 control payload bytes gathered
export const S_MASK: u32 = 24; // u32 masking key of the current frame
export const S_MASK_POS: u32 = 28; // u32 bytes of the current frame unmasked so far, mod 4
export const S_REMAINING: u32 = 32; // u64 payload bytes left in the current frame
export const S_MSG_LEN: u32 = 40; // u64 bytes of the current message so far
export const S_MAX_FRAME: u32 = 48; // u64, 0 = unlimited
export const S_MAX_MESSAGE: u32 = 56; // u64, 0 = unlimited
export const S_UTF8: u32 = 64; // u32 validator state of the text message in progress
export const S_NEXT_FREE: u32 = 68; // u32 free-list link
// u32 block (0 = none) holding a control frame's payload split across chunks (5.5: at most 125
// bytes) or, until a client's handshake completes, its 24-byte Sec-WebSocket-Key. Borrowed only
// for that long, so an idle session holds none.
export const S_CTRL_BLOCK: u32 = 72;
// u16: the peer's close code (1005 for none) or the close code of a failure: what closeOwed() sends.
export const S_CLOSE_CODE: u32 = 76;
// RFC 7692: u32 inflater state (0 = none), u8 its ring bits, u64 inflated bytes of the message.
export const S_INFLATER: u32 = 80;
export const S_INFLATE_BITS: u32 = 84;
export const S_INFLATED: u32 = 88;
export const SESSION_SIZE: u32 = 96;

const CTRL_BLOCK: usize = 128;
// Control blocks returned by sessions, linked through their first word.
let ctrlFree: usize = 0;

export const F_CLIENT: u8 = 1;
export const F_RSV1: u8 = 2;
export const F_CLOSE_RECEIVED: u8 = 4;
export const F_CLOSE_SENT: u8 = 8;
export const F_FAILED: u8 = 16;
// A client's request is out and the server's 101 not yet validated.
export const F_CONNECTING: u8 = 32;
// RFC 7692 7.1.1.2: the peer keeps its window across messages, so this session keeps its inflater.
export const F_PEER_CONTEXT: u8 = 64;

let freeList: usize = 0;
let liveCount: u32 = 0;
// New slots are carved from blocks of SLAB_SLOTS: the allocator's header and alignment (16 bytes a
// slot, 112 for 96) are paid once per block, not by every connection.
const SLAB_SLOTS: usize = 64;
let slabNext: usize = 0;
let slabEnd: usize = 0;

export function sessionOpen(flags: u32): usize {
  let s = freeList;
  if (s != 0) freeList = <usize>load<u32>(s + S_NEXT_FREE);
  else {
    if (slabNext == slabEnd) {
      slabNext = heap.alloc(SLAB_SLOTS * SESSION_SIZE);
      slabEnd = slabNext + SLAB_SLOTS * SESSION_SIZE;
    }
    s = slabNext;
    slabNext += SESSION_SIZE;
  }
  memory.fill(s, 0, SESSION_SIZE);
  let f: u8 = 0;
  if (flags & SESSION_CLIENT) f |= F_CLIENT;
  store<u8>(s + S_FLAGS, f);
  liveCount++;
  return s;
}

export function sessionFree(s: usize): void {
  releaseInflater(s);
  releaseCtrl(s);
  store<u32>(s + S_NEXT_FREE, <u32>freeList);
  freeList = s;
  liveCount--;
}

export function sessionCount(): u32 {
  return liveCount;
}

// RFC 7692 after the handshake: compressed messages are accepted; the peer compresses with a
// window of 2^windowBits and keeps it across messages when peerContext is set.
export function sessionInflate(s: usize, windowBits: u32, peerContext: bool): void {
  setFlag(s, F_RSV1);
  if (peerContext) setFlag(s, F_PEER_CONTEXT);
  store<u8>(s + S_INFLATE_BITS, <u8>windowBits);
}

// Limits arrive as f64 so hosts can pass sizes above 4 GiB without BigInt; 0 means unlimited.
export function sessionLimits(s: usize, maxFrame: f64, maxMessage: f64): void {
  store<u64>(s + S_MAX_FRAME, <u64>maxFrame);
  store<u64>(s + S_MAX_MESSAGE, <u64>maxMessage);
}

export function hasFlag(s: usize, f: u8): bool {
  return (load<u8>(s + S_FLAGS) & f) != 0;
}

export function setFlag(s: usize, f: u8): void {
  store<u8>(s + S_FLAGS, load<u8>(s + S_FLAGS) | f);
}

export function clearFlag(s: usize, f: u8): void {
  store<u8>(s + S_FLAGS, load<u8>(s + S_FLAGS) & ~f);
}

// The connection's one state (abi.ts STATE_*), derived from what the session has seen and sent.
export function sessionState(s: usize): u32 {
  const f = load<u8>(s + S_FLAGS);
  if (f & F_CONNECTING) return STATE_CONNECTING;
  if (f & F_FAILED) return STATE_FAILED;
  const sent = (f & F_CLOSE_SENT) != 0;
  if (f & F_CLOSE_RECEIVED) return sent ? STATE_CLOSE_ACKNOWLEDGED : STATE_CLOSE_RECEIVED;
  return sent ? STATE_CLOSE_SENT : STATE_OPEN;
}

/** The session's control block, borrowed on first use. */
export function ctrlPtr(s: usize): usize {
  let b = <usize>load<u32>(s + S_CTRL_BLOCK);
  if (b != 0) return b;
  b = ctrlFree;
  if (b != 0) ctrlFree = <usize>load<u32>(b);
  else b = heap.alloc(CTRL_BLOCK);
  store<u32>(s + S_CTRL_BLOCK, <u32>b);
  return b;
}

/** Gives the control block back, if the session holds one. */
export function releaseCtrl(s: usize): void {
  const b = <usize>load<u32>(s + S_CTRL_BLOCK);
  if (b == 0) return;
  store<u32>(b, <u32>ctrlFree);
  ctrlFree = b;
  store<u32>(s + S_CTRL_BLOCK, 0);
}
