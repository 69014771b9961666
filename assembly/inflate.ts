// RFC 1951 DEFLATE decoding (raw: no zlib or gzip wrapper) for permessage-deflate (RFC 7692).
//
// Resumable: everything a stream needs between calls lives in its state block, so input may arrive
// in pieces of any size and streams may interleave. Output goes to a ring inside the state that is
// also the LZ77 window; each run hands back one contiguous segment of it. The caller sets input with
// inflateInput, calls inflateRun until it returns INFLATE_NEED_INPUT (then the input region is free
// again), and reads each run's segment at inflateOutPtr/inflateOutLen.

/** All input is consumed (whole bytes in the bit buffer count as consumed); give more. */
export const INFLATE_NEED_INPUT: i32 = 0;
/** Stopped at outLimit or at the ring's end with input left: call inflateRun again. */
export const INFLATE_OUTPUT: i32 = 1;
/** A block with BFINAL set ended; unused whole input bytes are left (inflateInputLeft). */
export const INFLATE_END: i32 = 2;
/** Malformed stream; the state stays so until inflateInit. */
export const INFLATE_ERROR: i32 = -1;
// Internal: a step finished, go on with the next.
const CONTINUE: i32 = 100;

// Decoder modes, one per place a stream can stop.
const M_HEADER: u32 = 0; // 3.2.3: before BFINAL/BTYPE
const M_STORED_LEN: u32 = 1; // 3.2.4: before LEN/NLEN
const M_STORED: u32 = 2; // 3.2.4: copying LEN bytes
const M_COUNTS: u32 = 3; // 3.2.7: before HLIT/HDIST/HCLEN
const M_CL_LENS: u32 = 4; // 3.2.7: reading the code length code's lengths
const M_LENS: u32 = 5; // 3.2.7: reading literal/length and distance code lengths
const M_CODES: u32 = 6; // 3.2.5: decoding symbols
const M_COPY: u32 = 7; // 3.2.5: a match is partly copied
const M_END: u32 = 8;
const M_ERROR: u32 = 9;

// Lookup tables: a root table indexed by the next ROOT bits of input, and sub-tables for longer codes.
const LIT_ROOT: u32 = 10;
const DIST_ROOT: u32 = 8;
const CL_ROOT: u32 = 7;
// The most entries a complete code can need (zlib's `enough` program: "enough 288 10 15", "32 8 15").
const LIT_ENOUGH: u32 = 1334;
const DIST_ENOUGH: u32 = 402;

// A table entry (u32): bits 0-7 the code's length at this level, 8-11 the kind, 12-15 the extra bits
// of a length/distance base or a sub-table's index bits, 16-31 a literal byte, a base or a sub-table
// offset. A literal has kind 0.
const E_BITS: u32 = 0xff;
const E_BASE: u32 = 0x100;
const E_EOB: u32 = 0x200;
const E_LINK: u32 = 0x400;
const E_INVALID: u32 = 0x800;
const E_KIND: u32 = 0xf00;

// Which alphabet a table decodes.
const T_CL: u32 = 0;
const T_LIT: u32 = 1;
const T_DIST: u32 = 2;

// The state block.
const MODE: usize = 0; // u32 M_*
const FINAL: usize = 4; // u32 BFINAL of the current block
const BITS: usize = 8; // u64 bit buffer, next bit at bit 0; bits above COUNT are zero
const COUNT: usize = 16; // u32 bits in BITS; they always end on an input byte boundary
const IN: usize = 20; // u32 next input byte
const IN_END: usize = 24; // u32
const RING_BITS: usize = 28; // u32
const WPOS: usize = 32; // u32 ring offset of the next output byte, up to the ring size
const HAVE: usize = 36; // u32 window bytes before the current run (up to the ring size)
const SEG_START: usize = 40; // u32 ring offset of the last run's segment
const SEG_LEN: usize = 44; // u32
const LEFT: usize = 48; // u32 bytes left of a stored block or of a match
const DIST: usize = 52; // u32 distance of the match in progress
const LIT_TABLE: usize = 56; // u32 pointer: fixed tables or this state's
const DIST_TABLE: usize = 60; // u32 pointer
const HLIT: usize = 64; // u32
const HDIST: usize = 68; // u32
const HCLEN: usize = 72; // u32
const INDEX: usize = 76; // u32 code lengths read so far
const CL_LENS: usize = 80; // u8[19] code length code lengths
const LENS: usize = 100; // u8[320] literal/length then distance code lengths
const LIT_T: usize = 420; // u32[LIT_ENOUGH]
const DIST_T: usize = LIT_T + LIT_ENOUGH * 4; // u32[DIST_ENOUGH]; the code length table while reading lengths
const RING: usize = DIST_T + DIST_ENOUGH * 4;

// 3.2.5: base and extra bits of length symbols 257..285 and distance symbols 0..29, as entries.
const LEN_ENTRY = memory.data(29 * 4);
const DIST_ENTRY = memory.data(30 * 4);
// 3.2.7: the order in which code length code lengths arrive.
const CL_ORDER = memory.data<u8>([16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15]);
// Scratch of one table build: codes per length, then the next code per length (3.2.2).
const COUNTS = memory.data(16 * 4);
const NEXT = memory.data(16 * 4);
// 3.2.6: the fixed codes, built once at start.
const FIXED_LIT: usize = heap.alloc(1 << (LIT_ROOT + 2));
const FIXED_DIST: usize = heap.alloc(1 << (DIST_ROOT + 2));
const FIXED_LENS = memory.data(288);
buildConstants();

/** Bytes to allocate for a state whose ring (and window) is 1 << ringBits bytes, ringBits 9..15. */
export function inflateStateSize(ringBits: u32): u32 {
  return <u32>RING + (1 << ringBits);
}

/** For hosts and tests: a new state from the heap (never freed; keep a free list to reuse them). */
export function inflateAlloc(ringBits: u32): usize {
  const st = heap.alloc(inflateStateSize(ringBits));
  inflateInit(st, ringBits);
  return st;
}

/** Starts a fresh stream with an empty window at st. */
export function inflateInit(st: usize, ringBits: u32): void {
  memory.fill(st, 0, CL_LENS);
  store<u32>(st + RING_BITS, ringBits);
}

/** Gives the next runs input [ptr, ptr + len); only after NEED_INPUT, END or init. */
export function inflateInput(st: usize, ptr: usize, len: u32): void {
  store<u32>(st + IN, <u32>ptr);
  store<u32>(st + IN_END, <u32>(ptr + len));
}

/** Input bytes not consumed yet: after END, what follows the stream. */
export function inflateInputLeft(st: usize): u32 {
  return load<u32>(st + IN_END) - load<u32>(st + IN);
}

/** Address of the segment the last run produced. */
export function inflateOutPtr(st: usize): usize {
  return st + RING + load<u32>(st + SEG_START);
}

/** Length of the segment the last run produced (may be 0). */
export function inflateOutLen(st: usize): u32 {
  return load<u32>(st + SEG_LEN);
}

/** Whether the stream is between blocks or ended: a message ended cleanly after its tail. */
export function inflateAtBoundary(st: usize): bool {
  const mode = load<u32>(st + MODE);
  return mode == M_HEADER || mode == M_END;
}

/**
 * A fresh stream that may not refer to anything before this point; the ring position is kept, so
 * segments already handed out stay intact (RFC 7692 without context takeover).
 */
export function inflateReset(st: usize): void {
  store<u32>(st + MODE, M_HEADER);
  store<u64>(st + BITS, 0);
  store<u32>(st + COUNT, 0);
  store<u32>(st + HAVE, 0);
  store<u32>(st + SEG_LEN, 0);
}

/** After END, the next stream keeps the window (RFC 7692 context takeover). */
export function inflateContinue(st: usize): void {
  if (load<u32>(st + MODE) == M_END) store<u32>(st + MODE, M_HEADER);
}

/** Decodes into one ring segment of at most outLimit bytes; returns an INFLATE_* code. */
export function inflateRun(st: usize, outLimit: u32): i32 {
  store<u32>(st + SEG_LEN, 0);
  const size: u32 = 1 << load<u32>(st + RING_BITS);
  let start = load<u32>(st + WPOS);
  if (start == size) {
    start = 0;
    store<u32>(st + WPOS, 0);
  }
  store<u32>(st + SEG_START, start);
  // A distance may reach the window before this run and what the run has written since start.
  reachBase = <i32>load<u32>(st + HAVE) - <i32>start;
  const room = size - start;
  const outEnd = start + (outLimit < room ? outLimit : room);
  let r = CONTINUE;
  while (r == CONTINUE) {
    const mode = load<u32>(st + MODE);
    if (mode == M_CODES) r = codes(st, outEnd);
    else if (mode == M_COPY) r = copy(st, outEnd);
    else if (mode == M_STORED) r = stored(st, outEnd);
    else if (mode == M_HEADER) r = header(st);
    else if (mode == M_STORED_LEN) r = storedLen(st);
    else if (mode == M_COUNTS) r = counts(st);
    else if (mode == M_CL_LENS) r = codeLengthLengths(st);
    else if (mode == M_LENS) r = codeLengths(st);
    else r = mode == M_END ? INFLATE_END : INFLATE_ERROR;
  }
  const produced = load<u32>(st + WPOS) - start;
  store<u32>(st + SEG_LEN, produced);
  const have = load<u32>(st + HAVE) + produced;
  store<u32>(st + HAVE, have < size ? have : size);
  return r;
}

// This run's reach: a distance is valid up to wpos + reachBase bytes, and never past the ring.
let reachBase: i32 = 0;

// ---- bits -------------------------------------------------------------------------------------

// Moves one input byte into the bit buffer; false when the input is used up.
function pull(st: usize): bool {
  const p = load<u32>(st + IN);
  if (p == load<u32>(st + IN_END)) return false;
  const cnt = load<u32>(st + COUNT);
  store<u64>(st + BITS, load<u64>(st + BITS) | ((<u64>load<u8>(p)) << cnt));
  store<u32>(st + COUNT, cnt + 8);
  store<u32>(st + IN, p + 1);
  return true;
}

// Pulls bytes until n bits are buffered; false when the input runs out first. Pulling no more than
// needed keeps every buffered whole byte from the current input, so END can hand them back.
function need(st: usize, n: u32): bool {
  while (load<u32>(st + COUNT) < n) if (!pull(st)) return false;
  return true;
}

function drop(st: usize, n: u32): void {
  store<u64>(st + BITS, load<u64>(st + BITS) >> n);
  store<u32>(st + COUNT, load<u32>(st + COUNT) - n);
}

function bits(st: usize): u32 {
  return <u32>load<u64>(st + BITS);
}

function mask(n: u32): u32 {
  return (1 << n) - 1;
}

function fail(st: usize): i32 {
  store<u32>(st + MODE, M_ERROR);
  return INFLATE_ERROR;
}

// A block's last symbol is done: the next block, or the end with unused whole bytes handed back.
function endBlock(st: usize): i32 {
  if (load<u32>(st + FINAL) == 0) {
    store<u32>(st + MODE, M_HEADER);
    return CONTINUE;
  }
  store<u32>(st + IN, load<u32>(st + IN) - (load<u32>(st + COUNT) >> 3));
  store<u64>(st + BITS, 0);
  store<u32>(st + COUNT, 0);
  store<u32>(st + MODE, M_END);
  return INFLATE_END;
}

// ---- block headers ----------------------------------------------------------------------------

// 3.2.3: BFINAL, then BTYPE 00 stored, 01 fixed codes, 10 dynamic codes, 11 reserved.
function header(st: usize): i32 {
  if (!need(st, 3)) return INFLATE_NEED_INPUT;
  const h = bits(st);
  drop(st, 3);
  store<u32>(st + FINAL, h & 1);
  const type = (h >> 1) & 3;
  if (type == 0) store<u32>(st + MODE, M_STORED_LEN);
  else if (type == 1) {
    store<u32>(st + LIT_TABLE, <u32>FIXED_LIT);
    store<u32>(st + DIST_TABLE, <u32>FIXED_DIST);
    store<u32>(st + MODE, M_CODES);
  } else if (type == 2) store<u32>(st + MODE, M_COUNTS);
  else return fail(st);
  return CONTINUE;
}

// 3.2.4: skip to a byte boundary, then LEN and its one's complement NLEN.
function storedLen(st: usize): i32 {
  drop(st, load<u32>(st + COUNT) & 7);
  if (!need(st, 32)) return INFLATE_NEED_INPUT;
  const w = bits(st);
  drop(st, 32);
  const len = w & 0xffff;
  if (w >>> 16 != (len ^ 0xffff)) return fail(st);
  store<u32>(st + LEFT, len);
  if (len == 0) return endBlock(st);
  store<u32>(st + MODE, M_STORED);
  return CONTINUE;
}

// 3.2.4: LEN bytes as they are; first any whole bytes already in the bit buffer.
function stored(st: usize, outEnd: u32): i32 {
  const ring = st + RING;
  let left = load<u32>(st + LEFT);
  let wpos = load<u32>(st + WPOS);
  let r = CONTINUE;
  while (left > 0) {
    if (wpos == outEnd) {
      r = INFLATE_OUTPUT;
      break;
    }
    if (load<u32>(st + COUNT) >= 8) {
      store<u8>(ring + wpos++, <u8>bits(st));
      drop(st, 8);
      left--;
      continue;
    }
    const p = load<u32>(st + IN);
    let n = load<u32>(st + IN_END) - p;
    if (n == 0) {
      r = INFLATE_NEED_INPUT;
      break;
    }
    if (n > left) n = left;
    if (n > outEnd - wpos) n = outEnd - wpos;
    memory.copy(ring + wpos, p, n);
    store<u32>(st + IN, p + n);
    wpos += n;
    left -= n;
  }
  store<u32>(st + WPOS, wpos);
  store<u32>(st + LEFT, left);
  return left == 0 ? endBlock(st) : r;
}

// 3.2.7: HLIT - 257 (5 bits), HDIST - 1 (5 bits), HCLEN - 4 (4 bits).
function counts(st: usize): i32 {
  if (!need(st, 14)) return INFLATE_NEED_INPUT;
  const w = bits(st);
  drop(st, 14);
  const hlit = (w & 31) + 257;
  // 3.2.7: HLIT is 257..286; HDIST 1..32 is all a 5-bit field holds (30 and 31 never occur).
  if (hlit > 286) return fail(st);
  store<u32>(st + HLIT, hlit);
  store<u32>(st + HDIST, ((w >> 5) & 31) + 1);
  store<u32>(st + HCLEN, ((w >> 10) & 15) + 4);
  store<u32>(st + INDEX, 0);
  memory.fill(st + CL_LENS, 0, 19);
  store<u32>(st + MODE, M_CL_LENS);
  return CONTINUE;
}

// 3.2.7: HCLEN lengths of 3 bits, in CL_ORDER; the code they make must be complete.
function codeLengthLengths(st: usize): i32 {
  const hclen = load<u32>(st + HCLEN);
  let i = load<u32>(st + INDEX);
  while (i < hclen) {
    if (!need(st, 3)) {
      store<u32>(st + INDEX, i);
      return INFLATE_NEED_INPUT;
    }
    store<u8>(st + CL_LENS + <usize>load<u8>(CL_ORDER + i), <u8>(bits(st) & 7));
    drop(st, 3);
    i++;
  }
  if (!buildTable(st + CL_LENS, 19, st + DIST_T, CL_ROOT, T_CL)) return fail(st);
  store<u32>(st + INDEX, 0);
  store<u32>(st + MODE, M_LENS);
  return CONTINUE;
}

// 3.2.7: HLIT + HDIST code lengths in one sequence: 0-15 a length, 16 the previous one 3-6 times,
// 17 zero 3-10 times, 18 zero 11-138 times. Then both tables.
function codeLengths(st: usize): i32 {
  const hlit = load<u32>(st + HLIT);
  const total = hlit + load<u32>(st + HDIST);
  const lens = st + LENS;
  let i = load<u32>(st + INDEX);
  while (i < total) {
    const e = peek(st + DIST_T, CL_ROOT, st);
    if (e == 0) {
      if (pull(st)) continue;
      store<u32>(st + INDEX, i);
      return INFLATE_NEED_INPUT;
    }
    const sym = e >> 16;
    const n = e & E_BITS;
    if (sym < 16) {
      store<u8>(lens + i++, <u8>sym);
      drop(st, n);
      continue;
    }
    const extra: u32 = sym == 16 ? 2 : sym == 17 ? 3 : 7;
    if (n + extra > load<u32>(st + COUNT)) {
      if (pull(st)) continue;
      store<u32>(st + INDEX, i);
      return INFLATE_NEED_INPUT;
    }
    const times = (sym == 18 ? 11 : 3) + ((bits(st) >> n) & mask(extra));
    // A repeat of the previous length needs one; no repeat may run past HLIT + HDIST.
    if ((sym == 16 && i == 0) || i + times > total) return fail(st);
    const value = sym == 16 ? load<u8>(lens + i - 1) : 0;
    memory.fill(lens + i, value, times);
    i += times;
    drop(st, n + extra);
  }
  // 3.2.5: every block ends with symbol 256, so a code without it is unusable.
  if (load<u8>(lens + 256) == 0) return fail(st);
  if (!buildTable(lens, hlit, st + LIT_T, LIT_ROOT, T_LIT)) return fail(st);
  if (!buildTable(lens + hlit, total - hlit, st + DIST_T, DIST_ROOT, T_DIST)) return fail(st);
  store<u32>(st + LIT_TABLE, <u32>(st + LIT_T));
  store<u32>(st + DIST_TABLE, <u32>(st + DIST_T));
  store<u32>(st + MODE, M_CODES);
  return CONTINUE;
}

// ---- symbols ----------------------------------------------------------------------------------

// The entry for the code at the bottom of the bit buffer, its bits field the code's whole length,
// or 0 when the buffered bits do not decide it yet.
function peek(table: usize, root: u32, st: usize): u32 {
  const b = bits(st);
  let e = load<u32>(table + ((<usize>(b & mask(root))) << 2));
  if (e & E_LINK) {
    const sub = (e >> 16) + ((b >> root) & mask((e >> 12) & 15));
    e = load<u32>(table + ((<usize>sub) << 2)) + root;
  }
  return (e & E_BITS) <= load<u32>(st + COUNT) ? e : 0;
}

// 3.2.5: literals, matches and the end of the block. The fast loop does the bulk; one symbol (or
// one whole length/distance pair) at a time here near the ends of input and output.
function codes(st: usize, outEnd: u32): i32 {
  let wpos = load<u32>(st + WPOS);
  if (load<u32>(st + IN_END) - load<u32>(st + IN) >= 16 && wpos < outEnd) {
    const r = fast(st, outEnd);
    if (r != CONTINUE) return r;
    if (load<u32>(st + MODE) != M_CODES) return CONTINUE;
    wpos = load<u32>(st + WPOS);
  }
  if (wpos == outEnd) return INFLATE_OUTPUT;
  const e = peek(<usize>load<u32>(st + LIT_TABLE), LIT_ROOT, st);
  if (e == 0) return pull(st) ? CONTINUE : INFLATE_NEED_INPUT;
  const n = e & E_BITS;
  if ((e & E_KIND) == 0) {
    store<u8>(st + RING + wpos, <u8>(e >> 16));
    store<u32>(st + WPOS, wpos + 1);
    drop(st, n);
    return CONTINUE;
  }
  if (e & E_EOB) {
    drop(st, n);
    return endBlock(st);
  }
  // Symbols 286 and 287 (3.2.6) have codes but no meaning.
  if (e & E_INVALID) return fail(st);
  // A length: take it with its distance only once all their bits are here.
  const cnt = load<u32>(st + COUNT);
  const lx = (e >> 12) & 15;
  if (n + lx > cnt) return pull(st) ? CONTINUE : INFLATE_NEED_INPUT;
  const b = load<u64>(st + BITS);
  const len = (e >> 16) + (<u32>(b >> n) & mask(lx));
  const used = n + lx;
  drop(st, used);
  const d = peek(<usize>load<u32>(st + DIST_TABLE), DIST_ROOT, st);
  const dn = d & E_BITS;
  const dx = (d >> 12) & 15;
  if (d == 0 || dn + dx > cnt - used) {
    // Put the length's bits back and wait for more.
    store<u64>(st + BITS, b);
    store<u32>(st + COUNT, cnt);
    return pull(st) ? CONTINUE : INFLATE_NEED_INPUT;
  }
  // Distance symbols 30 and 31, and any symbol of an empty distance code.
  if ((d & E_BASE) == 0) return fail(st);
  const dist = (d >> 16) + ((bits(st) >> dn) & mask(dx));
  drop(st, dn + dx);
  if (tooFar(st, dist, wpos)) return fail(st);
  store<u32>(st + LEFT, len);
  store<u32>(st + DIST, dist);
  store<u32>(st + MODE, M_COPY);
  return CONTINUE;
}

// 3.2.5: a distance may reach back over the bytes produced since the stream began (init or reset),
// and no further than the ring.
function tooFar(st: usize, dist: u32, wpos: u32): bool {
  return <i32>dist > <i32>wpos + reachBase || dist > (<u32>1) << load<u32>(st + RING_BITS);
}

// The rest of a match that did not fit in the last run's output.
function copy(st: usize, outEnd: u32): i32 {
  const wpos = load<u32>(st + WPOS);
  const left = load<u32>(st + LEFT);
  const room = outEnd - wpos;
  const n = left < room ? left : room;
  Copy.match(st + RING, wpos, load<u32>(st + DIST), n, load<u32>(st + RING_BITS));
  store<u32>(st + WPOS, wpos + n);
  store<u32>(st + LEFT, left - n);
  if (n < left) return INFLATE_OUTPUT;
  store<u32>(st + MODE, M_CODES);
  return CONTINUE;
}

// Match copies, inlined into the decoding loops (a class only because the linter allows decorators
// on methods, not on functions).
class Copy {
  // Copies len bytes from dist back to ring offset wpos, in stream order (a match may overlap itself).
  @inline
  static match(ring: usize, wpos: u32, dist: u32, len: u32, ringBits: u32): void {
    const size: u32 = 1 << ringBits;
    const dst = ring + wpos;
    if (dist <= wpos) {
      if (dist >= 8) Copy.far(dst, dst - dist, len);
      else if (dist == 1) memory.fill(dst, load<u8>(dst - 1), len);
      else for (let i: u32 = 0; i < len; i++) store<u8>(dst + i, load<u8>(dst + i - dist));
      return;
    }
    // The source starts before the ring's start, so at its end: one piece when it neither wraps nor
    // reaches the bytes being written.
    const src = dst + size - dist;
    if (src >= dst + len && src + len <= ring + size) Copy.far(dst, src, len);
    else
      for (let i: u32 = 0; i < len; i++)
        store<u8>(dst + i, load<u8>(ring + ((wpos + i - dist) & (size - 1))));
  }

  // A copy of len bytes whose source ends 8 or more bytes before the destination's end,
  // so any 8 source bytes are final once written: whole words, the last one overlapping the one before.
  @inline
  static far(dst: usize, src: usize, len: u32): void {
    if (len >= 8) {
      const end = dst + len - 8;
      const srcEnd = src + len - 8;
      while (dst < end) {
        store<u64>(dst, load<u64>(src));
        dst += 8;
        src += 8;
      }
      store<u64>(end, load<u64>(srcEnd));
    } else if (len >= 4) {
      const w = load<u32>(src + len - 4);
      store<u32>(dst, load<u32>(src));
      store<u32>(dst + len - 4, w);
    } else for (let i: u32 = 0; i < len; i++) store<u8>(dst + i, load<u8>(src + i));
  }
}

// The hot loop, like zlib's inflate_fast: while 16 input bytes remain for two 64-bit refills and
// output has room. A refill leaves 56 bits or more: a literal/length code (15) at the top, then
// the length's extra bits (5), a distance code (15) and its extra bits (13) after a second refill.
// Returns CONTINUE with MODE updated, or END/ERROR.
function fast(st: usize, outEnd: u32): i32 {
  let b = load<u64>(st + BITS);
  let cnt = load<u32>(st + COUNT);
  let p = <usize>load<u32>(st + IN);
  const last = <usize>load<u32>(st + IN_END) - 16;
  let wpos = load<u32>(st + WPOS);
  const ring = st + RING;
  const lit = <usize>load<u32>(st + LIT_TABLE);
  const dt = <usize>load<u32>(st + DIST_TABLE);
  const ringBits = load<u32>(st + RING_BITS);
  const ringSize: u32 = 1 << ringBits;
  const reach = reachBase;
  let mode = M_CODES;
  let eob = false;
  while (p <= last && wpos < outEnd) {
    // Bits above cnt are zero or the same input bits again, so OR-ing a whole word in is safe.
    if (cnt < 15) {
      b |= load<u64>(p) << cnt;
      p += (63 - cnt) >> 3;
      cnt |= 56;
    }
    let e = load<u32>(lit + ((<usize>b & mask(LIT_ROOT)) << 2));
    if (e & E_LINK) {
      b >>= LIT_ROOT;
      cnt -= LIT_ROOT;
      e = load<u32>(lit + ((<usize>((e >> 16) + (<u32>b & mask((e >> 12) & 15)))) << 2));
    }
    let n = e & E_BITS;
    b >>= n;
    cnt -= n;
    if ((e & E_KIND) == 0) {
      store<u8>(ring + wpos++, <u8>(e >> 16));
      continue;
    }
    if ((e & E_BASE) == 0) {
      if (e & E_EOB) eob = true;
      else mode = M_ERROR;
      break;
    }
    if (cnt < 33) {
      b |= load<u64>(p) << cnt;
      p += (63 - cnt) >> 3;
      cnt |= 56;
    }
    let x = (e >> 12) & 15;
    const len = (e >> 16) + (<u32>b & mask(x));
    b >>= x;
    cnt -= x;
    e = load<u32>(dt + ((<usize>b & mask(DIST_ROOT)) << 2));
    if (e & E_LINK) {
      b >>= DIST_ROOT;
      cnt -= DIST_ROOT;
      e = load<u32>(dt + ((<usize>((e >> 16) + (<u32>b & mask((e >> 12) & 15)))) << 2));
    }
    n = e & E_BITS;
    b >>= n;
    cnt -= n;
    x = (e >> 12) & 15;
    const dist = (e >> 16) + (<u32>b & mask(x));
    b >>= x;
    cnt -= x;
    if ((e & E_BASE) == 0 || <i32>dist > <i32>wpos + reach || dist > ringSize) {
      mode = M_ERROR;
      break;
    }
    const room = outEnd - wpos;
    if (len > room) {
      Copy.match(ring, wpos, dist, room, ringBits);
      wpos += room;
      store<u32>(st + LEFT, len - room);
      store<u32>(st + DIST, dist);
      mode = M_COPY;
      break;
    }
    Copy.match(ring, wpos, dist, len, ringBits);
    wpos += len;
  }
  store<u64>(st + BITS, b & (((<u64>1) << cnt) - 1));
  store<u32>(st + COUNT, cnt);
  store<u32>(st + IN, <u32>p);
  store<u32>(st + WPOS, wpos);
  if (eob) return endBlock(st);
  store<u32>(st + MODE, mode);
  return mode == M_ERROR ? INFLATE_ERROR : CONTINUE;
}

// ---- tables -----------------------------------------------------------------------------------

// What symbol sym of an alphabet decodes to, without its bits field.
function symbolEntry(sym: u32, kind: u32): u32 {
  if (kind == T_DIST) return sym < 30 ? load<u32>(DIST_ENTRY + (sym << 2)) : E_INVALID;
  if (kind == T_CL || sym < 256) return sym << 16;
  if (sym == 256) return E_EOB;
  return sym < 286 ? load<u32>(LEN_ENTRY + ((sym - 257) << 2)) : E_INVALID;
}

// 3.2.2 bit order: Huffman codes are packed starting with their most significant bit, so a table
// indexed by the next input bits is indexed by the code reversed.
function reverse(code: u32, len: u32): u32 {
  code = ((code & 0x5555) << 1) | ((code >> 1) & 0x5555);
  code = ((code & 0x3333) << 2) | ((code >> 2) & 0x3333);
  code = ((code & 0x0f0f) << 4) | ((code >> 4) & 0x0f0f);
  code = ((code & 0x00ff) << 8) | ((code >> 8) & 0x00ff);
  return code >> (16 - len);
}

// 3.2.2: the first canonical code of each length, into NEXT.
function firstCodes(): void {
  let code: u32 = 0;
  store<u32>(COUNTS, 0);
  for (let len: u32 = 1; len < 16; len++) {
    code = (code + load<u32>(COUNTS + ((len - 1) << 2))) << 1;
    store<u32>(NEXT + (len << 2), code);
  }
}

// Builds the lookup table of the canonical code with lengths lens[0..n) at `table`: a root table of
// 1 << root entries, then a sub-table for each root slot that longer codes share. False when the
// code is over-subscribed or incomplete; 3.2.7 allows an incomplete distance code of one code of
// one bit, or of none when the block has only literals.
function buildTable(lens: usize, n: u32, table: usize, root: u32, kind: u32): bool {
  memory.fill(COUNTS, 0, 64);
  for (let s: u32 = 0; s < n; s++) {
    const a = COUNTS + ((<usize>load<u8>(lens + s)) << 2);
    store<u32>(a, load<u32>(a) + 1);
  }
  let left: i32 = 1;
  let maxLen: u32 = 0;
  for (let len: u32 = 1; len < 16; len++) {
    const c = load<u32>(COUNTS + (len << 2));
    left = (left << 1) - <i32>c;
    if (left < 0) return false;
    if (c != 0) maxLen = len;
  }
  const used = n - load<u32>(COUNTS);
  if (left > 0 && (kind != T_DIST || used > 1 || (used == 1 && maxLen != 1))) return false;
  const size: u32 = 1 << root;
  // Pass 1: the sub-table size each root slot needs, kept in the slot for now.
  memory.fill(table, 0, size << 2);
  if (maxLen > root) {
    firstCodes();
    for (let s: u32 = 0; s < n; s++) {
      const len = <u32>load<u8>(lens + s);
      if (len == 0) continue;
      const a = NEXT + (len << 2);
      const code = load<u32>(a);
      store<u32>(a, code + 1);
      if (len <= root) continue;
      const slot = table + ((<usize>(reverse(code, len) & (size - 1))) << 2);
      if (len - root > load<u32>(slot)) store<u32>(slot, len - root);
    }
  }
  let next = size;
  for (let i: u32 = 0; i < size; i++) {
    const slot = table + ((<usize>i) << 2);
    const sub = load<u32>(slot);
    if (sub == 0) {
      // Filled by a short code below unless the code is incomplete here.
      store<u32>(slot, E_INVALID | 1);
      continue;
    }
    store<u32>(slot, (next << 16) | (sub << 12) | E_LINK | root);
    next += 1 << sub;
  }
  // Pass 2: every code, repeated over each slot whose low bits it is.
  firstCodes();
  for (let s: u32 = 0; s < n; s++) {
    const len = <u32>load<u8>(lens + s);
    if (len == 0) continue;
    const a = NEXT + (len << 2);
    const code = load<u32>(a);
    store<u32>(a, code + 1);
    const r = reverse(code, len);
    const e = symbolEntry(s, kind);
    if (len <= root) {
      for (let i = r; i < size; i += 1 << len) store<u32>(table + ((<usize>i) << 2), e | len);
      continue;
    }
    const link = load<u32>(table + ((<usize>(r & (size - 1))) << 2));
    const base = table + ((<usize>(link >> 16)) << 2);
    const end: u32 = 1 << ((link >> 12) & 15);
    for (let i = r >> root; i < end; i += 1 << (len - root))
      store<u32>(base + ((<usize>i) << 2), e | (len - root));
  }
  return true;
}

// 3.2.5 base tables and 3.2.6 fixed codes.
function buildConstants(): void {
  let base: u32 = 3;
  for (let i: u32 = 0; i < 28; i++) {
    const extra: u32 = i < 8 ? 0 : (i >> 2) - 1;
    store<u32>(LEN_ENTRY + (i << 2), (base << 16) | (extra << 12) | E_BASE);
    base += 1 << extra;
  }
  // Symbol 285 is length 258 with no extra bits, not 259 + 5 bits.
  store<u32>(LEN_ENTRY + (28 << 2), (258 << 16) | E_BASE);
  base = 1;
  for (let i: u32 = 0; i < 30; i++) {
    const extra: u32 = i < 2 ? 0 : (i >> 1) - 1;
    store<u32>(DIST_ENTRY + (i << 2), (base << 16) | (extra << 12) | E_BASE);
    base += 1 << extra;
  }
  const lens = FIXED_LENS;
  memory.fill(lens, 8, 144);
  memory.fill(lens + 144, 9, 112);
  memory.fill(lens + 256, 7, 24);
  memory.fill(lens + 280, 8, 8);
  buildTable(lens, 288, FIXED_LIT, LIT_ROOT, T_LIT);
  memory.fill(lens, 5, 32);
  buildTable(lens, 32, FIXED_DIST, DIST_ROOT, T_DIST);
}
