// RFC 1951 DEFLATE for RFC 7692: LZ77 over hash chains, then per block the cheapest of stored,
// fixed and dynamic Huffman codes. A message is compressed in one synchronous sequence of calls
// (pieces, then a flush), so everything that lives only within a message (the block's symbols,
// the bit writer) is one scratch area per instance; a state keeps only what a later message may
// use: the window, the hash chains, the position.
import { DEFLATE_PIECE } from "./abi";
import { huffmanLengths, reversedCodes } from "./huffman";
import { CLEN_ORDER, DIST_BASE, DIST_EXTRA, LEN_BASE, LEN_EXTRA } from "./rfc1951";

// Positions are absolute (monotonic across messages); the window holds [base, end).
const S_WBITS: u32 = 0;
const S_LEVEL: u32 = 4;
const S_HASH_BITS: u32 = 8;
const S_POS: u32 = 12; // next position to code
const S_END: u32 = 16; // end of the data in the window
const S_BASE: u32 = 20; // absolute position of win[0]
const S_LIMIT: u32 = 24; // no match may start before it (a message without context takeover)
const S_SLIDE: u32 = 28; // how far the window moves when full
const S_HEAD: u32 = 32; // then u32 heads, u32 chain links (one per window position), the window

const MIN_MATCH: u32 = 3;
const MAX_MATCH: u32 = 258;
// Bytes kept ahead of the coding position between pieces, so a match is never cut by a boundary.
const LOOKAHEAD: u32 = MAX_MATCH + MIN_MATCH + 1;
// Positions wrap past this: the state starts over (its window is then empty).
const POS_LIMIT: u32 = 0x70000000;

function windowSpan(wbits: u32): u32 {
  const w: u32 = 1 << wbits;
  return 2 * (w > 4096 ? w : 4096);
}

function headOf(st: usize): usize {
  return st + S_HEAD;
}
function prevOf(st: usize): usize {
  return headOf(st) + (((<usize>1) << load<u32>(st + S_HASH_BITS)) << 2);
}
function winOf(st: usize): usize {
  return prevOf(st) + (((<usize>1) << load<u32>(st + S_WBITS)) << 2);
}

function hashBitsFor(wbits: u32): u32 {
  return wbits < 9 ? 9 : wbits;
}

export function deflateStateSize(wbits: u32): u32 {
  return S_HEAD + (4 << hashBitsFor(wbits)) + (4 << wbits) + windowSpan(wbits) + 8;
}

/** A fresh stream: window bits 8..15 (distances never exceed 1 << wbits), level 1..9. */
export function deflateInit(st: usize, wbits: u32, level: u32): void {
  store<u32>(st + S_WBITS, wbits);
  store<u32>(st + S_LEVEL, level);
  store<u32>(st + S_HASH_BITS, hashBitsFor(wbits));
  store<u32>(st + S_SLIDE, windowSpan(wbits) / 2);
  memory.fill(headOf(st), 0, ((<usize>1) << hashBitsFor(wbits)) << 2);
  // Position 0 is never a match candidate: heads of 0 mean none.
  store<u32>(st + S_POS, 1);
  store<u32>(st + S_END, 1);
  store<u32>(st + S_BASE, 1);
  store<u32>(st + S_LIMIT, 1);
}

/** The next message may not refer to earlier ones (no context takeover); no table is cleared. */
export function deflateForget(st: usize): void {
  store<u32>(st + S_LIMIT, load<u32>(st + S_POS));
}

// ---- The scratch area: one message's block symbols and the bit writer ----

const BLOCK_SYMS: u32 = 16384;
// Room for the block's symbols and a lazy match coded after the check.
const syms: usize = heap.alloc((BLOCK_SYMS + 2) * 4);
const litFreq: usize = heap.alloc(288 * 4);
const distFreq: usize = heap.alloc(32 * 4);
const litLens: usize = heap.alloc(288);
const distLens: usize = heap.alloc(32);
const litCodes: usize = heap.alloc(288 * 2);
const distCodes: usize = heap.alloc(32 * 2);
const clFreq: usize = heap.alloc(19 * 4);
const clLens: usize = heap.alloc(19);
const clCodes: usize = heap.alloc(19 * 2);
// The run-length coded code lengths (3.2.7): u8 symbol, u8 extra value.
const clSeq: usize = heap.alloc(320 * 2);
const fixedLitLens: usize = heap.alloc(288);
const fixedDistLens: usize = heap.alloc(32);
const fixedLitCodes: usize = heap.alloc(288 * 2);
const fixedDistCodes: usize = heap.alloc(32 * 2);
// 3.2.5: length code (0..28) of length - 3, and distance code of distance - 1 (two ranges).
const lengthCode: usize = heap.alloc(256);
const distCodeLow: usize = heap.alloc(512);

let symCount: u32 = 0;
let blockStart: u32 = 0; // absolute position of the block's first byte
let bitBuf: u64 = 0;
let bitCount: u32 = 0;
let outAt: usize = 0;
// The state whose message is being compressed (between its pieces), or 0.
let current: usize = 0;

buildStatic();

function buildStatic(): void {
  for (let c: u32 = 0; c < 29; c++) {
    const base = <u32>load<u16>(LEN_BASE + c * 2) - 3;
    const n: u32 = 1 << load<u8>(LEN_EXTRA + c);
    for (let i: u32 = 0; i < n && base + i < 256; i++) store<u8>(lengthCode + base + i, <u8>c);
  }
  // 258 has a code of its own.
  store<u8>(lengthCode + 255, 28);
  for (let c: u32 = 0; c < 30; c++) {
    const base = <u32>load<u16>(DIST_BASE + c * 2) - 1;
    const n: u32 = 1 << load<u8>(DIST_EXTRA + c);
    for (let i: u32 = 0; i < n; i++) {
      const d = base + i;
      if (d < 256) store<u8>(distCodeLow + d, <u8>c);
      else store<u8>(distCodeLow + 256 + (d >> 7), <u8>c);
    }
  }
  // 3.2.6
  for (let i: u32 = 0; i < 288; i++) store<u8>(fixedLitLens + i, i < 144 ? 8 : i < 256 ? 9 : i < 280 ? 7 : 8);
  memory.fill(fixedDistLens, 5, 32);
  reversedCodes(fixedLitLens, 288, fixedLitCodes);
  reversedCodes(fixedDistLens, 32, fixedDistCodes);
}

function distCode(d: u32): u32 {
  return d < 256 ? load<u8>(distCodeLow + d) : load<u8>(distCodeLow + 256 + (d >> 7));
}

function putBits(value: u32, n: u32): void {
  bitBuf |= (<u64>value) << bitCount;
  bitCount += n;
  if (bitCount >= 32) {
    store<u32>(outAt, <u32>bitBuf);
    outAt += 4;
    bitBuf >>= 32;
    bitCount -= 32;
  }
}

// Whole bytes out; up to 7 bits stay for the next block.
function flushBytes(): void {
  while (bitCount >= 8) {
    store<u8>(outAt, <u8>bitBuf);
    outAt++;
    bitBuf >>= 8;
    bitCount -= 8;
  }
}

function alignToByte(): void {
  flushBytes();
  if (bitCount > 0) {
    store<u8>(outAt, <u8>bitBuf);
    outAt++;
    bitBuf = 0;
    bitCount = 0;
  }
}

// ---- LZ77 ----

function hashAt(p: usize, bits: u32): u32 {
  return ((load<u32>(p) & 0xffffff) * 0x9e3779b1) >> (32 - bits);
}

function matchLength(a: usize, b: usize, max: u32): u32 {
  let n: u32 = 0;
  while (n + 8 <= max) {
    const x = load<u64>(a + n) ^ load<u64>(b + n);
    if (x != 0) return n + <u32>(ctz(x) >> 3);
    n += 8;
  }
  while (n < max && load<u8>(a + n) == load<u8>(b + n)) n++;
  return n;
}

// Level parameters: chain length, nice length, lazy evaluation, longest match whose positions
// are all inserted into the chains.
function chainFor(level: u32): u32 {
  return level <= 1 ? 4 : level <= 3 ? 16 : level <= 5 ? 32 : level <= 7 ? 128 : 1024;
}
function niceFor(level: u32): u32 {
  return level <= 1 ? 16 : level <= 3 ? 32 : level <= 5 ? 64 : level <= 7 ? 128 : 258;
}

// Codes positions [pos, stop) into symbols; matches may extend up to end.
function lz77(st: usize, stop: u32): void {
  const wbits = load<u32>(st + S_WBITS);
  const wmask: u32 = (1 << wbits) - 1;
  const maxDist: u32 = wmask + 1;
  const hbits = load<u32>(st + S_HASH_BITS);
  const level = load<u32>(st + S_LEVEL);
  const chainMax = chainFor(level);
  const nice = niceFor(level);
  const lazy = level >= 4;
  const insertMax: u32 = level <= 1 ? 4 : 258;
  const head = headOf(st);
  const prev = prevOf(st);
  const base = load<u32>(st + S_BASE);
  const win = winOf(st) - base;
  const end = load<u32>(st + S_END);
  const limit = load<u32>(st + S_LIMIT);
  let pos = load<u32>(st + S_POS);
  let pendingLen: u32 = 0;
  let pendingDist: u32 = 0;
  while (pos < stop) {
    // A block full: it ends before the byte a pending lazy match starts at.
    if (symCount >= BLOCK_SYMS) emitBlock(st, pendingLen != 0 ? pos - 1 : pos);
    let len: u32 = 0;
    let dist: u32 = 0;
    const avail = end - pos;
    if (avail >= MIN_MATCH) {
      const h = hashAt(win + pos, hbits);
      let cand = load<u32>(head + ((<usize>h) << 2));
      store<u32>(head + ((<usize>h) << 2), pos);
      store<u32>(prev + ((<usize>(pos & wmask)) << 2), cand);
      let minPos = pos > maxDist ? pos - maxDist : 0;
      if (minPos < limit) minPos = limit;
      if (minPos < base) minPos = base;
      const max = avail < MAX_MATCH ? avail : MAX_MATCH;
      let chain = chainMax;
      while (cand >= minPos && cand < pos && chain-- > 0) {
        // Cheap reject: the byte that would make it longer must match.
        if (load<u8>(win + cand + len) == load<u8>(win + pos + len)) {
          const n = matchLength(win + cand, win + pos, max);
          if (n > len) {
            len = n;
            dist = pos - cand;
            if (n >= nice) break;
          }
        }
        const next = load<u32>(prev + ((<usize>(cand & wmask)) << 2));
        if (next >= cand) break;
        cand = next;
      }
      if (len < MIN_MATCH) len = 0;
    }
    if (pendingLen != 0) {
      // Lazy: the match one byte later is longer, so the earlier byte goes as a literal.
      if (len > pendingLen) {
        literal(load<u8>(win + pos - 1));
        pendingLen = len;
        pendingDist = dist;
        pos++;
        continue;
      }
      emitMatch(pendingLen, pendingDist);
      // The match started at pos - 1; insert the positions it covers after pos.
      const matchEnd = pos - 1 + pendingLen;
      insertRange(win, pos + 1, matchEnd < end - 2 ? matchEnd : end - 2, hbits, wmask, head, prev);
      pos = matchEnd;
      pendingLen = 0;
      continue;
    }
    if (len == 0) {
      literal(load<u8>(win + pos));
      pos++;
      continue;
    }
    if (lazy && len < nice && pos + 1 < stop) {
      pendingLen = len;
      pendingDist = dist;
      pos++;
      continue;
    }
    emitMatch(len, dist);
    if (len <= insertMax) {
      const matchEnd = pos + len;
      insertRange(win, pos + 1, matchEnd < end - 2 ? matchEnd : end - 2, hbits, wmask, head, prev);
    }
    pos += len;
  }
  if (pendingLen != 0) {
    emitMatch(pendingLen, pendingDist);
    const matchEnd = pos - 1 + pendingLen;
    insertRange(win, pos, matchEnd < end - 2 ? matchEnd : end - 2, hbits, wmask, head, prev);
    pos = matchEnd;
  }
  store<u32>(st + S_POS, pos);
}

function insertRange(win: usize, from: u32, to: u32, hbits: u32, wmask: u32, head: usize, prev: usize): void {
  for (let p = from; p < to; p++) {
    const h = hashAt(win + p, hbits);
    store<u32>(prev + ((<usize>(p & wmask)) << 2), load<u32>(head + ((<usize>h) << 2)));
    store<u32>(head + ((<usize>h) << 2), p);
  }
}

function literal(b: u32): void {
  store<u32>(syms + symCount * 4, b);
  symCount++;
  const f = litFreq + b * 4;
  store<u32>(f, load<u32>(f) + 1);
}

function emitMatch(len: u32, dist: u32): void {
  store<u32>(syms + symCount * 4, 0x80000000 | ((len - MIN_MATCH) << 16) | (dist - 1));
  symCount++;
  const lf = litFreq + (257 + <u32>load<u8>(lengthCode + len - MIN_MATCH)) * 4;
  store<u32>(lf, load<u32>(lf) + 1);
  const df = distFreq + distCode(dist - 1) * 4;
  store<u32>(df, load<u32>(df) + 1);
}

// ---- Blocks ----

function startBlock(at: u32): void {
  symCount = 0;
  blockStart = at;
  memory.fill(litFreq, 0, 288 * 4);
  memory.fill(distFreq, 0, 32 * 4);
}

// Bits the block's symbols take with the given code lengths, extra bits included.
function dataBits(lLens: usize, dLens: usize): u64 {
  let bits: u64 = 0;
  for (let i: u32 = 0; i < 286; i++) {
    const f = <u64>load<u32>(litFreq + i * 4);
    if (f == 0) continue;
    bits += f * (<u64>load<u8>(lLens + i) + (i > 256 ? <u64>load<u8>(LEN_EXTRA + i - 257) : 0));
  }
  for (let i: u32 = 0; i < 30; i++) {
    const f = <u64>load<u32>(distFreq + i * 4);
    if (f != 0) bits += f * (<u64>load<u8>(dLens + i) + <u64>load<u8>(DIST_EXTRA + i));
  }
  return bits;
}

// 3.2.7: the code lengths, run-length coded; returns the sequence's length, counts clFreq.
function runLengths(hlit: u32, hdist: u32): u32 {
  memory.fill(clFreq, 0, 19 * 4);
  const total = hlit + hdist;
  let n: u32 = 0;
  let i: u32 = 0;
  while (i < total) {
    const len = i < hlit ? load<u8>(litLens + i) : load<u8>(distLens + i - hlit);
    let run: u32 = 1;
    while (
      i + run < total &&
      (i + run < hlit ? load<u8>(litLens + i + run) : load<u8>(distLens + i + run - hlit)) == len
    )
      run++;
    i += run;
    if (len == 0) {
      while (run >= 11) {
        const r = run < 138 ? run : 138;
        n = clPush(n, 18, r - 11);
        run -= r;
      }
      if (run >= 3) {
        n = clPush(n, 17, run - 3);
        run = 0;
      }
    } else {
      n = clPush(n, len, 0);
      run--;
      while (run >= 3) {
        const r = run < 6 ? run : 6;
        n = clPush(n, 16, r - 3);
        run -= r;
      }
    }
    while (run > 0) {
      n = clPush(n, len, 0);
      run--;
    }
  }
  return n;
}

function clPush(n: u32, sym: u32, extra: u32): u32 {
  store<u8>(clSeq + n * 2, <u8>sym);
  store<u8>(clSeq + n * 2 + 1, <u8>extra);
  const f = clFreq + sym * 4;
  store<u32>(f, load<u32>(f) + 1);
  return n + 1;
}

// Codes the pending symbols as one block (not final) covering [blockStart, to).
function emitBlock(st: usize, to: u32): void {
  const rawLen = to - blockStart;
  if (symCount == 0 && rawLen == 0) return;
  store<u32>(litFreq + 256 * 4, 1);
  huffmanLengths(litFreq, 286, 15, litLens);
  huffmanLengths(distFreq, 30, 15, distLens);
  let hlit: u32 = 286;
  while (hlit > 257 && load<u8>(litLens + hlit - 1) == 0) hlit--;
  let hdist: u32 = 30;
  while (hdist > 1 && load<u8>(distLens + hdist - 1) == 0) hdist--;
  const seq = runLengths(hlit, hdist);
  huffmanLengths(clFreq, 19, 7, clLens);
  let hclen: u32 = 19;
  while (hclen > 4 && load<u8>(clLens + load<u8>(CLEN_ORDER + hclen - 1)) == 0) hclen--;
  let headerBits: u64 = 14 + 3 * <u64>hclen;
  for (let i: u32 = 0; i < 19; i++) {
    const f = <u64>load<u32>(clFreq + i * 4);
    headerBits += f * (<u64>load<u8>(clLens + i) + (i == 16 ? 2 : i == 17 ? 3 : i == 18 ? 7 : 0));
  }
  const dynamicBits = headerBits + dataBits(litLens, distLens);
  const fixedBits = dataBits(fixedLitLens, fixedDistLens);
  // 3.2.4: stored blocks of up to 65535 bytes, each 3 header bits, alignment and LEN/NLEN.
  const storedBits: u64 = <u64>rawLen * 8 + <u64>((rawLen + 65534) / 65535 + (rawLen == 0 ? 1 : 0)) * 40;
  if (storedBits <= dynamicBits && storedBits <= fixedBits) {
    writeStored(st, rawLen);
  } else if (fixedBits <= dynamicBits) {
    putBits(2, 3);
    writeSymbols(fixedLitLens, fixedLitCodes, fixedDistLens, fixedDistCodes);
  } else {
    putBits(4, 3);
    putBits(hlit - 257, 5);
    putBits(hdist - 1, 5);
    putBits(hclen - 4, 4);
    reversedCodes(clLens, 19, clCodes);
    for (let i: u32 = 0; i < hclen; i++) putBits(load<u8>(clLens + load<u8>(CLEN_ORDER + i)), 3);
    for (let i: u32 = 0; i < seq; i++) {
      const sym = <u32>load<u8>(clSeq + i * 2);
      putBits(load<u16>(clCodes + sym * 2), load<u8>(clLens + sym));
      if (sym >= 16) putBits(load<u8>(clSeq + i * 2 + 1), sym == 16 ? 2 : sym == 17 ? 3 : 7);
    }
    reversedCodes(litLens, 286, litCodes);
    reversedCodes(distLens, 30, distCodes);
    writeSymbols(litLens, litCodes, distLens, distCodes);
  }
  startBlock(to);
}

function writeSymbols(lLens: usize, lCodes: usize, dLens: usize, dCodes: usize): void {
  for (let i: u32 = 0; i < symCount; i++) {
    const s = load<u32>(syms + i * 4);
    if ((s & 0x80000000) == 0) {
      putBits(load<u16>(lCodes + s * 2), load<u8>(lLens + s));
      continue;
    }
    const lenIdx = (s >> 16) & 0xff;
    const lc = <u32>load<u8>(lengthCode + lenIdx);
    putBits(load<u16>(lCodes + (257 + lc) * 2), load<u8>(lLens + 257 + lc));
    const le = <u32>load<u8>(LEN_EXTRA + lc);
    if (le != 0) putBits(lenIdx + 3 - load<u16>(LEN_BASE + lc * 2), le);
    const d = s & 0xffff;
    const dc = distCode(d);
    putBits(load<u16>(dCodes + dc * 2), load<u8>(dLens + dc));
    const de = <u32>load<u8>(DIST_EXTRA + dc);
    if (de != 0) putBits(d + 1 - load<u16>(DIST_BASE + dc * 2), de);
  }
  putBits(load<u16>(lCodes + 256 * 2), load<u8>(lLens + 256));
}

function writeStored(st: usize, rawLen: u32): void {
  const src = winOf(st) + (blockStart - load<u32>(st + S_BASE));
  let off: u32 = 0;
  do {
    const n = rawLen - off < 65535 ? rawLen - off : 65535;
    putBits(0, 3);
    alignToByte();
    store<u16>(outAt, <u16>n);
    store<u16>(outAt + 2, <u16>~n);
    memory.copy(outAt + 4, src + off, n);
    outAt += 4 + n;
    off += n;
  } while (off < rawLen);
}

// ---- The entry point ----

/**
 * Compresses inLen bytes at inPtr, writing at outPtr; returns the bytes written. With flush (the
 * message's end) all is coded and ends on a sync flush whose 00 00 ff ff is left out (RFC 7692
 * 7.2.1); no block has BFINAL set. Writes at most deflateBound(inLen) bytes.
 */
export function deflateChunk(st: usize, inPtr: usize, inLen: u32, outPtr: usize, flush: bool): u32 {
  outAt = outPtr;
  if (current != st) {
    // A message starts: the scratch is this message's.
    if (load<u32>(st + S_POS) > POS_LIMIT) deflateInit(st, load<u32>(st + S_WBITS), load<u32>(st + S_LEVEL));
    current = st;
    bitBuf = 0;
    bitCount = 0;
    startBlock(load<u32>(st + S_POS));
  }
  const span = windowSpan(load<u32>(st + S_WBITS));
  const slide = load<u32>(st + S_SLIDE);
  const win = winOf(st);
  let copied: u32 = 0;
  while (true) {
    const base = load<u32>(st + S_BASE);
    const end = load<u32>(st + S_END);
    const room = span - (end - base);
    if (room == 0) {
      // The block's raw bytes must survive the slide, in case it is stored.
      emitBlock(st, load<u32>(st + S_POS));
      memory.copy(win, win + slide, span - slide);
      store<u32>(st + S_BASE, base + slide);
      continue;
    }
    const n = inLen - copied < room ? inLen - copied : room;
    memory.copy(win + (end - base), inPtr + copied, n);
    copied += n;
    store<u32>(st + S_END, end + n);
    const last = flush && copied == inLen;
    const stop = last ? end + n : end + n > LOOKAHEAD ? end + n - LOOKAHEAD : 0;
    if (stop > load<u32>(st + S_POS)) lz77(st, stop);
    if (copied == inLen) break;
  }
  if (flush) {
    emitBlock(st, load<u32>(st + S_POS));
    // 3.2.4 sync flush: an empty stored block; its LEN and NLEN (00 00 ff ff) are not sent.
    putBits(0, 3);
    alignToByte();
    current = 0;
  } else flushBytes();
  return <u32>(outAt - outPtr);
}

/** The most deflateChunk writes for a piece of inLen bytes, counting what earlier pieces left. */
export function deflateBound(inLen: u32): u32 {
  return inLen + 2 * 65536 + 64 + ((inLen + 2 * 65536) / 65535 + 3) * 5;
}

// The regions hosts compress through, made on first use: a piece in, its output out. Not the input
// region, which holds the received chunk a handler that sends is called from.
let inRegion: usize = 0;
let outRegion: usize = 0;

export function deflateInPtr(): usize {
  if (inRegion == 0) inRegion = heap.alloc(DEFLATE_PIECE);
  return inRegion;
}

export function deflateOutPtr(): usize {
  if (outRegion == 0) outRegion = heap.alloc(deflateBound(DEFLATE_PIECE));
  return outRegion;
}

/** A state for hosts and tests (the host keeps them in pools). */
export function deflateAlloc(wbits: u32, level: u32): usize {
  const st = heap.alloc(deflateStateSize(wbits));
  deflateInit(st, wbits, level);
  return st;
}
