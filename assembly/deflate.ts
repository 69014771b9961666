// Raw DEFLATE compression (RFC 1951) for permessage-deflate (RFC 7692): LZ77 match finding over a
// sliding window here, block coding in deflate-block.ts.
//
// A state holds only what outlives a message: the last 1 << windowBits input bytes and the hash
// chains into them (for context takeover). Everything a message needs while it is compressed (the
// input buffer, the block's symbols, the bit writer) is one scratch area per instance: a message is
// compressed in one synchronous sequence of calls, never interleaved with another.
import { DEFLATE_IN_CAP } from "./abi";
import {
  BLOCK_SPAN,
  blockReset,
  outputEnd,
  setOutput,
  tallyLiteral,
  tallyMatch,
  writeBlock,
  writeSyncMarker,
} from "./deflate-block";

const MIN_MATCH: u32 = 4; // matches are found through a hash of 4 bytes
const MAX_MATCH: u32 = 258; // 3.2.5
const HASH_MUL: u32 = 0x9e3779b1;
const LEVEL1_HASH_BITS: u32 = 14;

// State layout.
const ST_WBITS: usize = 0; // u32 windowBits, 8..15
const ST_LEVEL: usize = 4; // u32 1..9
const ST_HASH_BITS: usize = 8; // u32 bits of the hash this stream uses
const ST_HIST: usize = 12; // u32 bytes of the window that hold history
const ST_POS: usize = 16; // u32 stream position after the window's last byte (mod 2^32)
const ST_IN_MESSAGE: usize = 20; // u32 1 while a message is under way
const ST_WINDOW: usize = 24; // u8[1 << windowBits], then u16 head[1 << hashBits], u16 prev[1 << windowBits]

// Hash chains hold stream positions mod 2^16. A candidate is only a hint: its distance is checked
// against the window and the bytes are compared, so a stale or aliased entry costs a probe, never a
// wrong match, and the tables never need rebasing when the buffer slides.

function hashBitsFor(windowBits: u32): u32 {
  return min(windowBits + 1, 15);
}

function headOf(st: usize): usize {
  return st + ST_WINDOW + ((<usize>1) << load<u32>(st + ST_WBITS));
}

function prevOf(st: usize): usize {
  return headOf(st) + ((<usize>2) << hashBitsFor(load<u32>(st + ST_WBITS)));
}

// Bytes of a state for windowBits 8..15.
export function deflateStateSize(windowBits: u32): u32 {
  windowBits = clampBits(windowBits);
  return <u32>ST_WINDOW + (1 << windowBits) * 3 + (2 << hashBitsFor(windowBits));
}

function clampBits(windowBits: u32): u32 {
  return min(max(windowBits, 8), 15);
}

// A fresh stream on st: empty window, distances at most 1 << windowBits, level 1 (fast) to 9.
export function deflateInit(st: usize, windowBits: u32, level: u32): void {
  windowBits = clampBits(windowBits);
  store<u32>(st + ST_WBITS, windowBits);
  store<u32>(st + ST_LEVEL, min(max(level, 1), 9));
  // Level 1 uses half the heads at most: clearing them is a good part of a short message's cost.
  const hashBits = level <= 1 ? min(hashBitsFor(windowBits), LEVEL1_HASH_BITS) : hashBitsFor(windowBits);
  store<u32>(st + ST_HASH_BITS, hashBits);
  store<u32>(st + ST_HIST, 0);
  store<u32>(st + ST_POS, 0);
  store<u32>(st + ST_IN_MESSAGE, 0);
  // Only the heads: every chain link reached from them is written before it is followed.
  memory.fill(headOf(st), 0, (<usize>2) << hashBits);
}

// Input not yet written out: at most the block being gathered (which a match may take past
// BLOCK_SPAN) and a lookahead.
const HELD: u32 = BLOCK_SPAN + 2 * MAX_MATCH + 4;
// What a slide keeps (the held input, or the largest window and a lookahead), one input piece, and
// slack for 8-byte loads.
const BUF_CAP: u32 = max(HELD, (1 << 15) + MAX_MATCH + 1) + DEFLATE_IN_CAP + 8;

// Scratch of the message under way.
let buf: usize = 0; // input: history, then the bytes not yet coded
let avail: u32 = 0; // bytes in buf
let pos: u32 = 0; // next byte to code
let blockStart: u32 = 0; // first byte of the block being gathered
let base: u32 = 0; // stream position of buf[0]
// Lazy matching: a match found at pos - 1 waits to see whether pos has a longer one.
let pending: bool = false;
let pendingLen: u32 = 0;
let pendingDist: u32 = 0;

function beginMessage(st: usize): void {
  if (buf == 0) buf = heap.alloc(BUF_CAP);
  blockReset();
  const hist = load<u32>(st + ST_HIST);
  memory.copy(buf, st + ST_WINDOW, hist);
  avail = hist;
  pos = hist;
  blockStart = hist;
  base = load<u32>(st + ST_POS) - hist;
  pending = false;
  pendingLen = 0;
  store<u32>(st + ST_IN_MESSAGE, 1);
}

// Keeps the window for the next message (context takeover).
function endMessage(st: usize): void {
  const n = min((<u32>1) << load<u32>(st + ST_WBITS), avail);
  memory.copy(st + ST_WINDOW, buf + avail - n, n);
  store<u32>(st + ST_HIST, n);
  store<u32>(st + ST_POS, base + avail);
  store<u32>(st + ST_IN_MESSAGE, 0);
}

// Appends n <= DEFLATE_IN_CAP bytes, first dropping what neither the block nor the window needs.
function append(st: usize, src: usize, n: u32): void {
  if (avail + n > BUF_CAP) {
    const wsize = (<u32>1) << load<u32>(st + ST_WBITS);
    const keep = min(blockStart, pos > wsize ? pos - wsize : 0);
    memory.copy(buf, buf + keep, avail - keep);
    base += keep;
    avail -= keep;
    pos -= keep;
    blockStart -= keep;
  }
  memory.copy(buf + avail, src, n);
  avail += n;
}

function endBlock(end: u32): void {
  writeBlock(buf + blockStart, end - blockStart);
  blockStart = end;
}

// Compresses one piece of a message at inPtr, writing at outPtr; returns the bytes written. With
// flush (the message's end) all is written, ending in a sync flush whose 00 00 ff ff is removed
// (RFC 7692 7.2.1); else up to a block and a lookahead are held back for the next piece.
export function deflateChunk(st: usize, inPtr: usize, inLen: u32, outPtr: usize, flush: bool): u32 {
  if (load<u32>(st + ST_IN_MESSAGE) == 0) beginMessage(st);
  setOutput(outPtr);
  let off: u32 = 0;
  do {
    const n = min(inLen - off, DEFLATE_IN_CAP);
    append(st, inPtr + off, n);
    off += n;
    const last = flush && off == inLen;
    const limit = last ? avail : avail > MAX_MATCH ? avail - MAX_MATCH : 0;
    if (load<u32>(st + ST_LEVEL) == 1) matchFast(st, limit);
    else matchChains(st, limit);
  } while (off < inLen);
  if (flush) {
    // Only the last byte can still wait: a match found before it would have been coded.
    if (pending) tallyLiteral(load<u8>(buf + pos - 1));
    pending = false;
    if (pos > blockStart) endBlock(pos);
    writeSyncMarker();
    endMessage(st);
  }
  return <u32>(outputEnd() - outPtr);
}

// The largest output of deflateChunk for a piece of inLen bytes, counting what earlier pieces left
// held back: every block costs at most its stored form (5 bytes over its input), plus the sync
// marker and a byte of bits left over.
export function deflateBound(inLen: u32): u32 {
  const t = inLen + HELD;
  return t + 5 * (t / BLOCK_SPAN + 1) + 2;
}

// Length of the common prefix of a and b, at most max bytes.
function matchLength(a: usize, b: usize, max: u32): u32 {
  let n: u32 = 0;
  while (n + 8 <= max) {
    const x = load<u64>(a + n) ^ load<u64>(b + n);
    if (x != 0) return n + (<u32>ctz(x) >> 3);
    n += 8;
  }
  while (n < max && load<u8>(a + n) == load<u8>(b + n)) n++;
  return n;
}

function hash4(v: u32, shift: u32): usize {
  return (<usize>((v * HASH_MUL) >> shift)) << 1;
}

// Level 1: greedy, one probe per position, positions inside a match not indexed; after long
// literal runs it probes less often, so incompressible data passes quickly (to a stored block).
function matchFast(st: usize, limit: u32): void {
  const head = headOf(st);
  const wsize = (<u32>1) << load<u32>(st + ST_WBITS);
  const shift = 32 - load<u32>(st + ST_HASH_BITS);
  let p = pos;
  let misses: u32 = 0;
  while (p < limit) {
    if (p - blockStart >= BLOCK_SPAN) endBlock(p);
    const room = avail - p;
    if (room < MIN_MATCH) {
      tallyLiteral(load<u8>(buf + p++));
      continue;
    }
    const v = load<u32>(buf + p);
    const h = head + hash4(v, shift);
    const a = (base + p) & 0xffff;
    const d = (a - <u32>load<u16>(h)) & 0xffff;
    store<u16>(h, <u16>a);
    if (d - 1 < wsize && d <= p && load<u32>(buf + p - d) == v) {
      const len =
        MIN_MATCH +
        matchLength(buf + p + MIN_MATCH, buf + p - d + MIN_MATCH, min(room, MAX_MATCH) - MIN_MATCH);
      tallyMatch(len, d);
      // Index positions inside the match, sparser in long ones, and its last two, where later
      // matches often start from.
      const end = p + len;
      if (avail - end >= 3) {
        const step = 1 + (len >> 4);
        for (let q = p + 1; q < end - 2; q += step)
          store<u16>(head + hash4(load<u32>(buf + q), shift), <u16>((base + q) & 0xffff));
        store<u16>(head + hash4(load<u32>(buf + end - 2), shift), <u16>((base + end - 2) & 0xffff));
        store<u16>(head + hash4(load<u32>(buf + end - 1), shift), <u16>((base + end - 1) & 0xffff));
      }
      p = end;
      misses = 0;
    } else {
      // Skip ahead faster the longer nothing matched (1 more byte per probe after each 32 misses,
      // up to 32, which keeps a block within BLOCK_SPAN + MAX_MATCH).
      const step = min<u32>(1 + min<u32>(misses++ >> 5, 31), limit - p);
      for (let i: u32 = 0; i < step; i++) tallyLiteral(load<u8>(buf + p + i));
      p += step;
    }
  }
  pos = p;
}

// Per level 2..9: chain probes, a found length that halves them, a length that ends the search, a
// length above which no lazy look is taken (0: greedy).
const CHAIN = memory.data<u16>([0, 0, 4, 8, 16, 32, 128, 256, 1024, 4096]);
const GOOD = memory.data<u16>([0, 0, 4, 4, 4, 8, 8, 8, 32, 32]);
const NICE = memory.data<u16>([0, 0, 16, 32, 16, 32, 128, 128, 258, 258]);
const LAZY = memory.data<u16>([0, 0, 0, 0, 4, 16, 16, 32, 128, 258]);

// The longest match for p (already indexed, cand its chain's next position) longer than best.
// Returns length | distance << 16, or 0.
function longest(p: u32, cand: u32, prev: usize, wmask: u32, chain: u32, nice: u32, best: u32): u32 {
  const maxLen = min(avail - p, MAX_MATCH);
  if (best >= maxLen) return 0;
  const a = (base + p) & 0xffff;
  const here = buf + p;
  const first = load<u32>(here);
  let found: u32 = 0;
  let lastD: u32 = 0;
  let d = (a - cand) & 0xffff;
  while (chain-- > 0) {
    // Distances only grow along a chain; a link that does not is stale.
    if (d <= lastD || d > wmask + 1 || d > p) break;
    const there = here - d;
    if (load<u16>(there + best - 1) == load<u16>(here + best - 1) && load<u32>(there) == first) {
      const len = MIN_MATCH + matchLength(here + MIN_MATCH, there + MIN_MATCH, maxLen - MIN_MATCH);
      if (len > best) {
        best = len;
        found = len | (d << 16);
        if (len >= nice || len >= maxLen) break;
      }
    }
    lastD = d;
    cand = <u32>load<u16>(prev + ((cand & wmask) << 1));
    d = (a - cand) & 0xffff;
  }
  return found;
}

// Indexes position p; returns the chain's previous head.
function insert(p: u32, head: usize, prev: usize, wmask: u32, shift: u32): u32 {
  const h = head + hash4(load<u32>(buf + p), shift);
  const a = (base + p) & 0xffff;
  const cand = <u32>load<u16>(h);
  store<u16>(prev + ((a & wmask) << 1), <u16>cand);
  store<u16>(h, <u16>a);
  return cand;
}

// Levels 2..9: hash chains, greedy (2, 3) or lazy (4..9, 3.2.5 leaves the parsing to us).
function matchChains(st: usize, limit: u32): void {
  const level = load<u32>(st + ST_LEVEL);
  const head = headOf(st);
  const prev = prevOf(st);
  const wmask = ((<u32>1) << load<u32>(st + ST_WBITS)) - 1;
  const shift = 32 - load<u32>(st + ST_HASH_BITS);
  const chain = <u32>load<u16>(CHAIN + (level << 1));
  const good = <u32>load<u16>(GOOD + (level << 1));
  const nice = <u32>load<u16>(NICE + (level << 1));
  const lazy = <u32>load<u16>(LAZY + (level << 1));
  let p = pos;
  while (p < limit) {
    const covered = pending ? p - 1 : p;
    if (covered - blockStart >= BLOCK_SPAN) endBlock(covered);
    let len: u32 = 0;
    let dist: u32 = 0;
    if (avail - p >= MIN_MATCH) {
      const cand = insert(p, head, prev, wmask, shift);
      if (lazy == 0 || pendingLen < lazy) {
        const best = max(pending ? pendingLen : 0, MIN_MATCH - 1);
        const m = longest(p, cand, prev, wmask, pendingLen >= good ? chain >> 2 : chain, nice, best);
        len = m & 0xffff;
        dist = m >> 16;
      }
    }
    if (lazy == 0) {
      if (len >= MIN_MATCH) {
        tallyMatch(len, dist);
        // Short matches are indexed inside, long ones skipped (as zlib's fast levels do).
        const end = p + len;
        if (len <= nice)
          for (let q = p + 1; q < end && avail - q >= MIN_MATCH; q++) insert(q, head, prev, wmask, shift);
        p = end;
      } else tallyLiteral(load<u8>(buf + p++));
      continue;
    }
    if (pending && pendingLen >= MIN_MATCH && len <= pendingLen) {
      // The match at p - 1 wins: code it and index the positions it covers.
      tallyMatch(pendingLen, pendingDist);
      const end = p - 1 + pendingLen;
      for (let q = p + 1; q < end && avail - q >= MIN_MATCH; q++) insert(q, head, prev, wmask, shift);
      p = end;
      pending = false;
      pendingLen = 0;
      continue;
    }
    if (pending) tallyLiteral(load<u8>(buf + p - 1));
    pending = true;
    pendingLen = len;
    pendingDist = dist;
    p++;
  }
  pos = p;
}

// Allocates a state for windowBits (call deflateInit before use).
export function deflateAlloc(windowBits: u32): usize {
  return heap.alloc(deflateStateSize(windowBits));
}

let inRegion: usize = 0;
let outRegion: usize = 0;

// The input region hosts fill with a piece of up to DEFLATE_IN_CAP bytes.
export function deflateInPtr(): usize {
  if (inRegion == 0) inRegion = heap.alloc(DEFLATE_IN_CAP);
  return inRegion;
}

// The output region, deflateBound(DEFLATE_IN_CAP) bytes.
export function deflateOutPtr(): usize {
  if (outRegion == 0) outRegion = heap.alloc(deflateBound(DEFLATE_IN_CAP));
  return outRegion;
}
