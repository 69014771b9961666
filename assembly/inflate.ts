// RFC 1951 INFLATE over a state block in linear memory, resumable at any input boundary: input is
// given per call and never referenced after it (leftover bits stay in the state), and output goes
// to a ring inside the state that is also the LZ77 window. A run writes one contiguous segment of
// the ring, stopping at the ring's end or at the caller's limit; a match cut short resumes next run.

import { CLEN_ORDER, DIST_BASE, DIST_EXTRA, LEN_BASE, LEN_EXTRA } from "./rfc1951";

export const INFLATE_NEED_INPUT: i32 = 0;
export const INFLATE_OUTPUT: i32 = 1;
export const INFLATE_END: i32 = 2;
export const INFLATE_ERROR: i32 = -1;

// Modes: where the decoder stands between calls.
const M_HEADER: u32 = 0; // 3.2.3: BFINAL and BTYPE
const M_STORED: u32 = 1; // 3.2.4: LEN and NLEN
const M_COPY: u32 = 2; // 3.2.4: stored bytes
const M_TABLE: u32 = 3; // 3.2.7: HLIT, HDIST, HCLEN
const M_LENLENS: u32 = 4; // 3.2.7: code length code lengths
const M_CODELENS: u32 = 5; // 3.2.7: literal/length and distance code lengths
const M_CODES: u32 = 6; // 3.2.5: compressed data
const M_MATCH: u32 = 7; // a match cut short by the output limit
const M_END: u32 = 8;
const M_ERROR: u32 = 9;

// A decoding table: a ROOT-bit lookup of (symbol << 4 | length), 0 for longer codes, which are
// decoded canonically from the counts and the sorted symbols.
const ROOT: u32 = 10;
const T_LOOKUP: u32 = 0; // u16[1 << ROOT]
const T_COUNTS: u32 = 2048; // u16[16] codes per length
const T_SYMS: u32 = 2080; // u16[320] symbols sorted by code
const TABLE_SIZE: u32 = 2720;

// State fields.
const S_MODE: u32 = 0;
const S_LAST: u32 = 4; // BFINAL of the current block
const S_BITS: u32 = 8; // u64 bit buffer, LSB first (3.1.1)
const S_NBITS: u32 = 16;
const S_IN: u32 = 20;
const S_IN_END: u32 = 24;
const S_WPOS: u32 = 28; // next write offset in the ring
const S_HAVE: u32 = 32; // window bytes a distance may reach (capped at the ring size)
const S_RING_BITS: u32 = 36;
const S_OUT_START: u32 = 40;
const S_OUT_LEN: u32 = 44;
const S_LEN: u32 = 48; // stored bytes left, or the cut match's length
const S_DIST: u32 = 52;
const S_HLIT: u32 = 56;
const S_HDIST: u32 = 60;
const S_HCLEN: u32 = 64;
const S_INDEX: u32 = 68; // code lengths read so far
const S_LTAB: u32 = 72; // the block's literal/length table (fixed or the state's own)
const S_DTAB: u32 = 76;
const S_CLENS: u32 = 80; // u8[19]
const S_LENS: u32 = 100; // u8[320]
const S_TABLES: u32 = 424; // the literal/length table, then the distance (or code length) table
const S_RING: u32 = S_TABLES + 2 * TABLE_SIZE;

// 3.2.6: the fixed codes, built once.
const fixedLit: usize = heap.alloc(TABLE_SIZE);
const fixedDist: usize = heap.alloc(TABLE_SIZE);
const fixedLens: usize = heap.alloc(320);
buildFixed();

function buildFixed(): void {
  for (let i: u32 = 0; i < 288; i++) store<u8>(fixedLens + i, i < 144 ? 8 : i < 256 ? 9 : i < 280 ? 7 : 8);
  buildTable(fixedLens, 288, fixedLit);
  memory.fill(fixedLens, 5, 32);
  buildTable(fixedLens, 32, fixedDist);
}

export function inflateStateSize(ringBits: u32): u32 {
  return S_RING + (1 << ringBits);
}

/** A fresh stream with an empty window. */
export function inflateInit(st: usize, ringBits: u32): void {
  store<u32>(st + S_RING_BITS, ringBits);
  store<u32>(st + S_WPOS, 0);
  inflateReset(st);
}

/** A fresh stream that may not reach back before this point; the ring position is kept. */
export function inflateReset(st: usize): void {
  store<u32>(st + S_HAVE, 0);
  inflateContinue(st);
}

/** After a final block: the next block starts a new stream, the window is kept. */
export function inflateContinue(st: usize): void {
  store<u32>(st + S_MODE, M_HEADER);
  store<u64>(st + S_BITS, 0);
  store<u32>(st + S_NBITS, 0);
  store<u32>(st + S_OUT_LEN, 0);
}

export function inflateInput(st: usize, ptr: usize, len: u32): void {
  store<u32>(st + S_IN, <u32>ptr);
  store<u32>(st + S_IN_END, <u32>(ptr + len));
}

export function inflateOutPtr(st: usize): usize {
  return st + S_RING + load<u32>(st + S_OUT_START);
}

export function inflateOutLen(st: usize): u32 {
  return load<u32>(st + S_OUT_LEN);
}

/** Between blocks (after a flush's empty stored block), or ended. */
export function inflateAtBoundary(st: usize): bool {
  const m = load<u32>(st + S_MODE);
  return m == M_HEADER || m == M_END;
}

// Builds a table for n code lengths at lens. 0: complete; 1: over-subscribed; 2: incomplete with
// more than one code (3.2.2 codes must be complete, except a lone code of one bit, or none).
function buildTable(lens: usize, n: u32, tab: usize): u32 {
  const counts = tab + T_COUNTS;
  memory.fill(counts, 0, 32);
  for (let i: u32 = 0; i < n; i++) {
    const l = <usize>load<u8>(lens + i);
    store<u16>(counts + l * 2, load<u16>(counts + l * 2) + 1);
  }
  store<u16>(counts, 0);
  let left: i32 = 1;
  let max: u32 = 0;
  for (let l: u32 = 1; l <= 15; l++) {
    left = (left << 1) - <i32>load<u16>(counts + l * 2);
    if (left < 0) return 1;
    if (load<u16>(counts + l * 2) != 0) max = l;
  }
  if (left > 0 && max > 1) return 2;
  // Offsets of each length's first symbol in the sorted list (kept in the lookup area for now).
  const offs = tab + T_LOOKUP;
  store<u16>(offs + 2, 0);
  for (let l: u32 = 1; l < 15; l++)
    store<u16>(offs + (l + 1) * 2, load<u16>(offs + l * 2) + load<u16>(counts + l * 2));
  const syms = tab + T_SYMS;
  for (let i: u32 = 0; i < n; i++) {
    const l = <usize>load<u8>(lens + i);
    if (l == 0) continue;
    const o = load<u16>(offs + l * 2);
    store<u16>(syms + <usize>o * 2, <u16>i);
    store<u16>(offs + l * 2, o + 1);
  }
  memory.fill(tab + T_LOOKUP, 0, (1 << ROOT) * 2);
  let code: u32 = 0;
  let idx: u32 = 0;
  for (let l: u32 = 1; l <= 15; l++) {
    const count = <u32>load<u16>(counts + l * 2);
    for (let c: u32 = 0; c < count; c++, code++, idx++) {
      if (l > ROOT) continue;
      const entry = <u16>(((<u32>load<u16>(syms + idx * 2)) << 4) | l);
      // Huffman codes are packed most significant bit first (3.1.1): index by the reversed code.
      for (let j = reverse(code, l); j < 1 << ROOT; j += 1 << l) store<u16>(tab + T_LOOKUP + j * 2, entry);
    }
    code <<= 1;
  }
  return 0;
}

function reverse(code: u32, len: u32): u32 {
  let r: u32 = 0;
  for (let i: u32 = 0; i < len; i++) {
    r = (r << 1) | (code & 1);
    code >>= 1;
  }
  return r;
}

const NEED: i32 = -1;
const BAD: i32 = -2;

// The next symbol as (symbol << 4 | code length), NEED when nbits do not hold it, BAD for none.
function decode(tab: usize, bits: u64, nbits: u32): i32 {
  const e = <u32>load<u16>(tab + T_LOOKUP + <usize>(bits & ((1 << ROOT) - 1)) * 2);
  if (e != 0) return (e & 15) <= nbits ? <i32>e : NEED;
  return decodeLong(tab, bits, nbits);
}

// Canonical decoding, bit by bit, for codes longer than the lookup (and codes that do not exist).
function decodeLong(tab: usize, bits: u64, nbits: u32): i32 {
  let code: i32 = 0;
  let first: i32 = 0;
  let index: i32 = 0;
  for (let l: u32 = 1; l <= 15; l++) {
    if (l > nbits) return NEED;
    code |= <i32>((bits >> (l - 1)) & 1);
    const count = <i32>load<u16>(tab + T_COUNTS + l * 2);
    if (code - first < count)
      return ((<i32>load<u16>(tab + T_SYMS + <usize>(index + code - first) * 2)) << 4) | l;
    index += count;
    first = (first + count) << 1;
    code <<= 1;
  }
  return BAD;
}

/** Decodes until the input is used up, outLimit bytes are out, the ring's end, or the stream's end. */
export function inflateRun(st: usize, outLimit: u32): i32 {
  const ring = st + S_RING;
  const ringSize: u32 = 1 << load<u32>(st + S_RING_BITS);
  const mask = ringSize - 1;
  const start = load<u32>(st + S_WPOS);
  let w = start;
  const roomEnd: u32 = ringSize - start < outLimit ? ringSize : start + outLimit;
  let mode = load<u32>(st + S_MODE);
  let bits = load<u64>(st + S_BITS);
  let nbits = load<u32>(st + S_NBITS);
  let inp = <usize>load<u32>(st + S_IN);
  const end = <usize>load<u32>(st + S_IN_END);
  // Window bytes before this run; bytes written since count too (w - start).
  const have = load<u32>(st + S_HAVE);
  let status = INFLATE_NEED_INPUT;
  store<u32>(st + S_OUT_START, start);

  while (true) {
    if (mode == M_END) {
      status = INFLATE_END;
      break;
    }
    if (mode == M_ERROR) {
      status = INFLATE_ERROR;
      break;
    }
    // Slow path refill: whole bytes up to 56 bits (the fast path adds 8 bytes below 64).
    while (nbits <= 48 && inp < end) {
      bits |= (<u64>load<u8>(inp)) << nbits;
      inp++;
      nbits += 8;
    }
    if (mode == M_HEADER) {
      if (nbits < 3) break;
      store<u32>(st + S_LAST, <u32>(bits & 1));
      const type = <u32>(bits >> 1) & 3;
      bits >>= 3;
      nbits -= 3;
      if (type == 0) {
        // 3.2.4: skip to a byte boundary.
        bits >>= nbits & 7;
        nbits &= ~7;
        mode = M_STORED;
      } else if (type == 1) {
        store<u32>(st + S_LTAB, <u32>fixedLit);
        store<u32>(st + S_DTAB, <u32>fixedDist);
        mode = M_CODES;
      } else if (type == 2) mode = M_TABLE;
      else mode = M_ERROR;
    } else if (mode == M_STORED) {
      if (nbits < 32) break;
      const len = <u32>bits & 0xffff;
      const nlen = <u32>(bits >> 16) & 0xffff;
      bits >>= 32;
      nbits -= 32;
      if ((len ^ 0xffff) != nlen) {
        mode = M_ERROR;
        continue;
      }
      store<u32>(st + S_LEN, len);
      mode = len == 0 ? endOfBlock(st) : M_COPY;
    } else if (mode == M_COPY) {
      let left = load<u32>(st + S_LEN);
      // Bytes already in the bit buffer first, then straight from the input.
      while (left > 0 && nbits >= 8 && w < roomEnd) {
        store<u8>(ring + w, <u8>bits);
        bits >>= 8;
        nbits -= 8;
        w++;
        left--;
      }
      if (left > 0 && nbits == 0 && w < roomEnd && inp < end) {
        let n = left;
        if (<u32>(end - inp) < n) n = <u32>(end - inp);
        if (roomEnd - w < n) n = roomEnd - w;
        memory.copy(ring + w, inp, n);
        inp += n;
        w += n;
        left -= n;
      }
      store<u32>(st + S_LEN, left);
      if (left == 0) mode = endOfBlock(st);
      else if (w == roomEnd) {
        status = INFLATE_OUTPUT;
        break;
      } else if (inp == end && nbits < 8) break;
    } else if (mode == M_TABLE) {
      if (nbits < 14) break;
      const hlit = 257 + (<u32>bits & 31);
      const hdist = 1 + (<u32>(bits >> 5) & 31);
      store<u32>(st + S_HCLEN, 4 + (<u32>(bits >> 10) & 15));
      bits >>= 14;
      nbits -= 14;
      // 3.2.7: HLIT and HDIST count codes that exist: at most 286 and 30.
      if (hlit > 286 || hdist > 30) {
        mode = M_ERROR;
        continue;
      }
      store<u32>(st + S_HLIT, hlit);
      store<u32>(st + S_HDIST, hdist);
      store<u32>(st + S_INDEX, 0);
      memory.fill(st + S_CLENS, 0, 19);
      mode = M_LENLENS;
    } else if (mode == M_LENLENS) {
      const hclen = load<u32>(st + S_HCLEN);
      let i = load<u32>(st + S_INDEX);
      while (i < hclen && nbits >= 3) {
        store<u8>(st + S_CLENS + load<u8>(CLEN_ORDER + i), <u8>(bits & 7));
        bits >>= 3;
        nbits -= 3;
        i++;
      }
      store<u32>(st + S_INDEX, i);
      if (i < hclen) {
        if (inp == end) break;
        continue;
      }
      const ctab = st + S_TABLES + TABLE_SIZE;
      if (buildTable(st + S_CLENS, 19, ctab) != 0) {
        mode = M_ERROR;
        continue;
      }
      store<u32>(st + S_INDEX, 0);
      mode = M_CODELENS;
    } else if (mode == M_CODELENS) {
      mode = readCodeLengths(st, bits, nbits);
      bits = load<u64>(st + S_BITS);
      nbits = load<u32>(st + S_NBITS);
      // Out of bits: more input, or wait for it.
      if (mode == M_CODELENS && inp == end) break;
    } else if (mode == M_MATCH) {
      if (w == roomEnd) {
        status = INFLATE_OUTPUT;
        break;
      }
      const dist = load<u32>(st + S_DIST);
      const len = load<u32>(st + S_LEN);
      const n = roomEnd - w < len ? roomEnd - w : len;
      copyMatch(ring, w, dist, n, mask);
      w += n;
      store<u32>(st + S_LEN, len - n);
      if (len == n) mode = M_CODES;
    } else {
      // M_CODES
      const ltab = <usize>load<u32>(st + S_LTAB);
      const dtab = <usize>load<u32>(st + S_DTAB);
      // Fast path: 8 input bytes per refill make at least 56 bits, more than the 48 a length and
      // distance pair can take; 258 bytes of room hold any match.
      while (inp + 8 <= end && roomEnd - w >= 258) {
        bits |= load<u64>(inp) << nbits;
        inp += (63 - nbits) >> 3;
        nbits |= 56;
        const r = decode(ltab, bits, nbits);
        if (r < 0) {
          mode = M_ERROR;
          break;
        }
        const sym = <u32>r >> 4;
        const l = <u32>r & 15;
        if (sym < 256) {
          bits >>= l;
          nbits -= l;
          store<u8>(ring + w, <u8>sym);
          w++;
          // Literals come in runs: a second one needs no refill (at most 15 of the 41+ bits left).
          const r2 = decode(ltab, bits, nbits);
          if (r2 >= 0 && <u32>r2 >> 4 < 256) {
            const l2 = <u32>r2 & 15;
            bits >>= l2;
            nbits -= l2;
            store<u8>(ring + w, <u8>(<u32>r2 >> 4));
            w++;
          }
          continue;
        }
        if (sym == 256) {
          bits >>= l;
          nbits -= l;
          mode = endOfBlock(st);
          break;
        }
        const ls = sym - 257;
        if (ls >= 29) {
          mode = M_ERROR;
          break;
        }
        const le = <u32>load<u8>(LEN_EXTRA + ls);
        const length = <u32>load<u16>(LEN_BASE + ls * 2) + (<u32>(bits >> l) & ((1 << le) - 1));
        bits >>= l + le;
        nbits -= l + le;
        const d = decode(dtab, bits, nbits);
        if (d < 0 || <u32>d >> 4 >= 30) {
          mode = M_ERROR;
          break;
        }
        const ds = <u32>d >> 4;
        const dl = <u32>d & 15;
        const de = <u32>load<u8>(DIST_EXTRA + ds);
        const dist = <u32>load<u16>(DIST_BASE + ds * 2) + (<u32>(bits >> dl) & ((1 << de) - 1));
        bits >>= dl + de;
        nbits -= dl + de;
        if (dist > have + (w - start) || dist > ringSize) {
          mode = M_ERROR;
          break;
        }
        const src = w - dist;
        if (dist >= 8 && dist <= w) {
          // Forward in 8-byte steps (each reads bytes at least 8 behind what it writes), then the
          // tail byte by byte: the bytes past the match are the oldest of the window.
          let i: u32 = 0;
          for (; i + 8 <= length; i += 8) store<u64>(ring + w + i, load<u64>(ring + src + i));
          for (; i < length; i++) store<u8>(ring + w + i, load<u8>(ring + src + i));
        } else copyMatch(ring, w, dist, length, mask);
        w += length;
      }
      // Bits past nbits came from bytes not yet counted as read: clear them.
      bits = nbits == 0 ? 0 : bits & (<u64>-1 >> (64 - nbits));
      if (mode != M_CODES) continue;
      // Slow path: one symbol (or a whole length and distance), only once all its bits are here.
      while (nbits <= 48 && inp < end) {
        bits |= (<u64>load<u8>(inp)) << nbits;
        inp++;
        nbits += 8;
      }
      if (w == roomEnd) {
        status = INFLATE_OUTPUT;
        break;
      }
      const r = decode(ltab, bits, nbits);
      if (r == NEED) break;
      if (r == BAD) {
        mode = M_ERROR;
        continue;
      }
      const sym = <u32>r >> 4;
      const l = <u32>r & 15;
      if (sym < 256) {
        bits >>= l;
        nbits -= l;
        store<u8>(ring + w, <u8>sym);
        w++;
        continue;
      }
      if (sym == 256) {
        bits >>= l;
        nbits -= l;
        mode = endOfBlock(st);
        continue;
      }
      const ls = sym - 257;
      if (ls >= 29) {
        mode = M_ERROR;
        continue;
      }
      const le = <u32>load<u8>(LEN_EXTRA + ls);
      if (nbits < l + le) break;
      const length = <u32>load<u16>(LEN_BASE + ls * 2) + (<u32>(bits >> l) & ((1 << le) - 1));
      const rest = bits >> (l + le);
      const restBits = nbits - l - le;
      const d = decode(dtab, rest, restBits);
      if (d == NEED) break;
      if (d == BAD || <u32>d >> 4 >= 30) {
        mode = M_ERROR;
        continue;
      }
      const ds = <u32>d >> 4;
      const dl = <u32>d & 15;
      const de = <u32>load<u8>(DIST_EXTRA + ds);
      if (restBits < dl + de) break;
      const dist = <u32>load<u16>(DIST_BASE + ds * 2) + (<u32>(rest >> dl) & ((1 << de) - 1));
      bits = rest >> (dl + de);
      nbits = restBits - dl - de;
      if (dist > have + (w - start) || dist > ringSize) {
        mode = M_ERROR;
        continue;
      }
      const n = roomEnd - w < length ? roomEnd - w : length;
      copyMatch(ring, w, dist, n, mask);
      w += n;
      if (n < length) {
        store<u32>(st + S_LEN, length - n);
        store<u32>(st + S_DIST, dist);
        mode = M_MATCH;
      }
    }
  }

  store<u32>(st + S_OUT_LEN, w - start);
  store<u32>(st + S_WPOS, w == ringSize ? 0 : w);
  store<u32>(st + S_MODE, mode);
  store<u64>(st + S_BITS, bits);
  store<u32>(st + S_NBITS, nbits);
  store<u32>(st + S_IN, <u32>inp);
  store<u32>(st + S_HAVE, have + (w - start) < ringSize ? have + (w - start) : ringSize);
  if (status == INFLATE_NEED_INPUT && w == roomEnd && inp < end) status = INFLATE_OUTPUT;
  return status;
}

// The end of a block: the next header, or the end after a final block.
function endOfBlock(st: usize): u32 {
  return load<u32>(st + S_LAST) != 0 ? M_END : M_HEADER;
}

// 3.2.5: copies length bytes from dist back; the source may wrap around the ring and overlap.
function copyMatch(ring: usize, w: u32, dist: u32, length: u32, mask: u32): void {
  const src = (w - dist) & mask;
  if (src < w && dist >= length) {
    memory.copy(ring + w, ring + src, length);
    return;
  }
  let s = src;
  for (let i: u32 = 0; i < length; i++) {
    store<u8>(ring + w + i, load<u8>(ring + s));
    s = (s + 1) & mask;
  }
}

// 3.2.7: the literal/length and distance code lengths, run-length coded with the code length code.
function readCodeLengths(st: usize, bits: u64, nbits: u32): u32 {
  const ctab = st + S_TABLES + TABLE_SIZE;
  const hlit = load<u32>(st + S_HLIT);
  const total = hlit + load<u32>(st + S_HDIST);
  const lens = st + S_LENS;
  let i = load<u32>(st + S_INDEX);
  let mode = M_CODELENS;
  while (i < total) {
    const r = decode(ctab, bits, nbits);
    if (r == NEED) break;
    if (r == BAD) {
      mode = M_ERROR;
      break;
    }
    const sym = <u32>r >> 4;
    const l = <u32>r & 15;
    if (sym < 16) {
      store<u8>(lens + i, <u8>sym);
      i++;
      bits >>= l;
      nbits -= l;
      continue;
    }
    const eb: u32 = sym == 16 ? 2 : sym == 17 ? 3 : 7;
    if (nbits < l + eb) break;
    const count = (sym == 18 ? 11 : 3) + (<u32>(bits >> l) & ((1 << eb) - 1));
    if ((sym == 16 && i == 0) || i + count > total) {
      mode = M_ERROR;
      break;
    }
    const value: u8 = sym == 16 ? load<u8>(lens + i - 1) : 0;
    memory.fill(lens + i, value, count);
    i += count;
    bits >>= l + eb;
    nbits -= l + eb;
  }
  store<u32>(st + S_INDEX, i);
  store<u64>(st + S_BITS, bits);
  store<u32>(st + S_NBITS, nbits);
  if (mode == M_ERROR || i < total) return mode;
  // 3.2.7: a block without an end-of-block code cannot end.
  if (load<u8>(lens + 256) == 0) return M_ERROR;
  const ltab = st + S_TABLES;
  const dtab = st + S_TABLES + TABLE_SIZE;
  if (buildTable(lens, hlit, ltab) != 0 || buildTable(lens + hlit, total - hlit, dtab) != 0) return M_ERROR;
  store<u32>(st + S_LTAB, <u32>ltab);
  store<u32>(st + S_DTAB, <u32>dtab);
  return M_CODES;
}

/** A state for hosts and tests, never freed (the core keeps its own pool). */
export function inflateAlloc(ringBits: u32): usize {
  const st = heap.alloc(inflateStateSize(ringBits));
  inflateInit(st, ringBits);
  return st;
}
