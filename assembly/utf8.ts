// RFC 6455 8.1: a text message must be valid UTF-8 (RFC 3629), and an endpoint fails the connection
// as soon as a byte makes that impossible (5.6, 8.1). So validation runs incrementally, chunk by
// chunk, and reports REJECT at the first byte no valid stream could contain.
//
// A DFA over the well-formed byte sequences of Unicode Table 3-7. Each byte maps to one of 12 classes
// (CLASSES); each class has a 64-bit row (ROWS). A state is a bit offset into a row, and
// `(row >> state) & 63` is the next state, so one step costs two table loads that do not depend on
// the state and a shift that does.
//
// The SIMD build checks whole 16-byte blocks with vectors (blocksValid, below) and leaves the DFA the
// bytes before and after them, so both builds return the same state for every input.

import { mask } from "./mask";

/** At a character boundary: the bytes so far are valid UTF-8. */
export const UTF8_ACCEPT: u32 = 0;
/** No continuation can make the bytes valid; the state stays here. */
export const UTF8_REJECT: u32 = 6;

const ACCEPT: u64 = UTF8_ACCEPT;
const REJECT: u64 = UTF8_REJECT;
const TAIL1: u64 = 12; // one more continuation byte 80..BF
const TAIL2: u64 = 18; // two more
const TAIL3: u64 = 24; // three more
const AFTER_E0: u64 = 30; // then A0..BF: E0 80..9F would be an overlong 3-byte form
const AFTER_ED: u64 = 36; // then 80..9F: ED A0..BF would encode a surrogate U+D800..DFFF
const AFTER_F0: u64 = 42; // then 90..BF: F0 80..8F would be an overlong 4-byte form
const AFTER_F4: u64 = 48; // then 80..8F: F4 90..BF would be above U+10FFFF

// Every row starts with each state going to REJECT; a term `(next ^ REJECT) << state` replaces the
// transition out of one state.
const ALL_REJECT: u64 =
  (REJECT << ACCEPT) |
  (REJECT << REJECT) |
  (REJECT << TAIL1) |
  (REJECT << TAIL2) |
  (REJECT << TAIL3) |
  (REJECT << AFTER_E0) |
  (REJECT << AFTER_ED) |
  (REJECT << AFTER_F0) |
  (REJECT << AFTER_F4);
// Any continuation byte moves a plain tail along.
const TAILS: u64 =
  ALL_REJECT ^ ((ACCEPT ^ REJECT) << TAIL1) ^ ((TAIL1 ^ REJECT) << TAIL2) ^ ((TAIL2 ^ REJECT) << TAIL3);

const ROWS = memory.data<u64>([
  // 0: 00..7F
  ALL_REJECT ^ ((ACCEPT ^ REJECT) << ACCEPT),
  // 1: 80..8F
  TAILS ^ ((TAIL1 ^ REJECT) << AFTER_ED) ^ ((TAIL2 ^ REJECT) << AFTER_F4),
  // 2: 90..9F
  TAILS ^ ((TAIL1 ^ REJECT) << AFTER_ED) ^ ((TAIL2 ^ REJECT) << AFTER_F0),
  // 3: A0..BF
  TAILS ^ ((TAIL1 ^ REJECT) << AFTER_E0) ^ ((TAIL2 ^ REJECT) << AFTER_F0),
  // 4: C0, C1 (only overlong 2-byte forms), F5..FF (above U+10FFFF or not in UTF-8 at all)
  ALL_REJECT,
  // 5: C2..DF
  ALL_REJECT ^ ((TAIL1 ^ REJECT) << ACCEPT),
  // 6: E0
  ALL_REJECT ^ ((AFTER_E0 ^ REJECT) << ACCEPT),
  // 7: E1..EC, EE, EF
  ALL_REJECT ^ ((TAIL2 ^ REJECT) << ACCEPT),
  // 8: ED
  ALL_REJECT ^ ((AFTER_ED ^ REJECT) << ACCEPT),
  // 9: F0
  ALL_REJECT ^ ((AFTER_F0 ^ REJECT) << ACCEPT),
  // 10: F1..F3
  ALL_REJECT ^ ((TAIL3 ^ REJECT) << ACCEPT),
  // 11: F4
  ALL_REJECT ^ ((AFTER_F4 ^ REJECT) << ACCEPT),
]);

// The class of each byte value, one line per high nibble.
// biome-ignore format: a 16 x 16 grid
const CLASSES = memory.data<u8>([
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, // 00
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, // 10
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, // 20
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, // 30
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, // 40
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, // 50
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, // 60
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, // 70
  1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, // 80
  2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, // 90
  3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, // A0
  3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, // B0
  4, 4, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, // C0
  5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, // D0
  6, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 8, 7, 7, // E0
  9, 10, 10, 10, 11, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, // F0
]);

/**
 * Continues validation from `state` over [ptr, ptr + len) and returns the new state: UTF8_ACCEPT at a
 * character boundary, UTF8_REJECT from the first impossible byte on, anything else mid-character.
 */
export function utf8Step(state: u32, ptr: usize, len: usize): u32 {
  return utf8Unmask(state, ptr, len, 0, 0);
}

/**
 * Unmasks [ptr, ptr + len) in place (mask.ts: `key`, `pos`; 0 leaves it as it is), then continues
 * validation as utf8Step does. The SIMD build unmasks 128 bytes at a time as it tests them for ASCII,
 * so ASCII text costs one pass instead of two.
 */
export function utf8Unmask(state: u32, ptr: usize, len: usize, key: u32, pos: u32): u32 {
  if (ASC_FEATURE_SIMD) {
    const end = ptr + len;
    // Rotated so that its low byte is the key byte for the byte at ptr.
    let k = rotr<u32>(key, (pos & 3) << 3);
    // The vectors start at a character boundary: at most 3 bytes finish the character in progress.
    let s = <u64>state;
    while (s != ACCEPT && s != REJECT && ptr < end) {
      store<u8>(ptr, load<u8>(ptr) ^ <u8>k);
      k = rotr<u32>(k, 8);
      s = step(s, ptr++) & 63;
    }
    if (s != ACCEPT || end - ptr < 16) {
      if (k != 0) mask(ptr, end - ptr, k, 0);
      return dfaStep(<u32>s, ptr, end - ptr);
    }
    // Whole blocks keep k in line with the bytes after them.
    const blocksEnd = ptr + ((end - ptr) & ~15);
    const valid = blocksValid(ptr, blocksEnd, k);
    if (k != 0) mask(blocksEnd, end - blocksEnd, k, 0);
    if (!valid) return UTF8_REJECT;
    // The vectors cannot judge a character that runs past them; the DFA takes it from its lead.
    const lead = lastLead(blocksEnd);
    return dfaStep(UTF8_ACCEPT, lead, end - lead);
  }
  if (key != 0) mask(ptr, len, key, pos);
  return dfaStep(state, ptr, len);
}

/** Whether [ptr, ptr + len) is one complete, valid UTF-8 text. */
export function utf8Valid(ptr: usize, len: usize): bool {
  return utf8Step(UTF8_ACCEPT, ptr, len) == UTF8_ACCEPT;
}

/** Whether every byte of [ptr, ptr + len) is below 0x80, so its text reads as ISO-8859-1 too. */
export function asciiOnly(ptr: usize, len: usize): bool {
  const end = ptr + len;
  if (ASC_FEATURE_SIMD) {
    let high = i8x16.splat(0);
    for (; end - ptr >= 16; ptr += 16) high = v128.or(high, v128.load(ptr));
    if (i8x16.bitmask(high)) return false;
  }
  let high: u64 = 0;
  for (; end - ptr >= 8; ptr += 8) high |= load<u64>(ptr);
  for (; ptr < end; ptr++) high |= load<u8>(ptr);
  return (high & HIGH_BITS) == 0;
}

/**
 * Masks [ptr, ptr + len) in place as mask() does, and tells whether every byte is then below 0x80:
 * one pass over a short text message, which is then valid UTF-8 without a validator.
 */
export function unmaskAscii(ptr: usize, len: usize, key: u32, pos: u32): bool {
  let k = rotr<u32>(key, (pos & 3) << 3);
  let high: u64 = 0;
  if (ASC_FEATURE_SIMD) {
    const kv = i32x4.splat(k);
    let highs = i8x16.splat(0);
    while (len >= 16) {
      const v = v128.xor(v128.load(ptr), kv);
      v128.store(ptr, v);
      highs = v128.or(highs, v);
      ptr += 16;
      len -= 16;
    }
    high = <u64>i8x16.bitmask(highs);
  }
  const k64 = ((<u64>k) << 32) | k;
  while (len >= 8) {
    const v = load<u64>(ptr) ^ k64;
    store<u64>(ptr, v);
    high |= v & HIGH_BITS;
    ptr += 8;
    len -= 8;
  }
  while (len > 0) {
    const b = load<u8>(ptr) ^ <u8>k;
    store<u8>(ptr, b);
    high |= b & 0x80;
    k = rotr<u32>(k, 8);
    ptr++;
    len--;
  }
  return high == 0;
}

/**
 * Whether [ptr, ptr + len) is one complete, valid UTF-8 text, for a short message (len < 128). The
 * SIMD build checks it in blocks, the last one padded with zeros (ASCII), which also fails a
 * character cut at the end; on 32-byte messages the general validator's entry and exit cost more
 * than its blocks.
 */
export function shortValid(ptr: usize, len: usize): bool {
  if (ASC_FEATURE_SIMD) {
    // The padded block reads up to 15 bytes past the text: only where memory has them.
    if (ptr + len + 16 <= (<usize>memory.size()) << 16) {
      const whole = len & ~15;
      let err = Vectors.run(ptr, whole >> 4, i8x16.splat(0), len & 15);
      // A padded block tests a character cut at the end with its zeros; without one, cutShort does.
      if (whole == len && len != 0) err = v128.or(err, cutShort(v128.load(ptr + len - 16)));
      return !v128.any_true(err);
    }
  }
  return dfaStep(UTF8_ACCEPT, ptr, len) == UTF8_ACCEPT;
}

function dfaStep(state: u32, ptr: usize, len: usize): u32 {
  let s = <u64>state;
  const end = ptr + len;
  while (end - ptr >= 8) {
    if (s == ACCEPT) {
      ptr = skipAscii(ptr, end);
      if (end - ptr < 8) break;
    }
    // Eight steps, one check: REJECT is absorbing, so a bad byte among the eight still ends in REJECT.
    // On multi-byte text this ran about twice as fast as a check per byte.
    s = step(step(step(step(s, ptr), ptr + 1), ptr + 2), ptr + 3);
    s = step(step(step(step(s, ptr + 4), ptr + 5), ptr + 6), ptr + 7) & 63;
    ptr += 8;
    if (s == REJECT) return UTF8_REJECT;
  }
  while (ptr < end) s = step(s, ptr++) & 63;
  return <u32>s;
}

// The top bit of each of 8 bytes.
const HIGH_BITS: u64 = ((<u64>0x80808080) << 32) | 0x80808080;

// Returns the first byte at or after ptr with the high bit set, looking at whole blocks only; it may
// stop on an ASCII byte in the last few, which the DFA then steps over.
function skipAscii(ptr: usize, end: usize): usize {
  while (end - ptr >= 8) {
    const high = load<u64>(ptr) & HIGH_BITS;
    if (high) return ptr + <usize>(ctz(high) >> 3);
    ptr += 8;
  }
  return ptr;
}

// The state after byte ptr, in the low 6 bits. Wasm takes shift amounts mod 64, so bits above those
// 6 in `s` do not matter.
function step(s: u64, ptr: usize): u64 {
  return load<u64>(ROWS + ((<usize>load<u8>(CLASSES + <usize>load<u8>(ptr))) << 3)) >> s;
}

// The SIMD build's validator: Keiser and Lemire, "Validating UTF-8 in less than one instruction per
// byte" (2021). Each byte and the one before it (prev1) are classified by three 16-entry tables, on
// prev1's high nibble, prev1's low nibble and the byte's high nibble; each bit below is one kind of
// error, and a pair has it when all three lookups do.
const TOO_SHORT: i8 = 1 << 0; // a lead, then no continuation
const TOO_LONG: i8 = 1 << 1; // ASCII, then a continuation
const OVERLONG_3: i8 = 1 << 2; // e0 80..9f
const TOO_LARGE: i8 = 1 << 3; // f4 90..bf, f5..ff 90..bf
const SURROGATE: i8 = 1 << 4; // ed a0..bf
const OVERLONG_2: i8 = 1 << 5; // c0 or c1, then a continuation
const OVERLONG_4_OR_LARGE: i8 = 1 << 6; // f0 80..8f, f5..ff 80..8f
// Two continuations in a row: an error unless the second is a 3- or 4-byte character's third or
// fourth byte, which the prev2/prev3 check flips back.
const TWO_CONTS: i8 = <i8>(1 << 7);
const CARRY: i8 = TOO_SHORT | TOO_LONG | TWO_CONTS; // the kinds that do not depend on the low nibble

// Whether [ptr, end) (whole 16-byte blocks, starting at a character boundary), unmasked in place
// with k, has no error that its own bytes show. A character cut at `end` is not one: the caller
// finishes it with the DFA.
function blocksValid(ptr: usize, end: usize, k: u32): bool {
  const kv = i32x4.splat(k);
  let prev = i8x16.splat(0); // as if ASCII came before: the state at ptr is ACCEPT
  let err = i8x16.splat(0);
  // REJECT is absorbing and only the final state is returned, so errors are gathered and tested once.
  // The ASCII test covers 128 bytes: on text with a multi-byte character every ~64 bytes, a test per
  // 32 bytes went either way at random and the mispredictions halved the speed (6 against 11 GB/s).
  while (end - ptr >= 128) {
    if (k != 0 ? unmask128(ptr, kv) : highBits128(ptr)) err = v128.or(err, Vectors.run(ptr, 8, prev, 0));
    else err = v128.or(err, cutShort(prev));
    prev = v128.load(ptr, 112);
    ptr += 128;
  }
  if (k != 0) mask(ptr, end - ptr, k, 0);
  if (ptr < end) err = v128.or(err, Vectors.run(ptr, (end - ptr) >> 4, prev, 0));
  return !v128.any_true(err);
}

// Non-zero when some byte of [ptr, ptr + 128) is not ASCII.
function highBits128(ptr: usize): i32 {
  const lo = v128.or(
    v128.or(v128.load(ptr), v128.load(ptr, 16)),
    v128.or(v128.load(ptr, 32), v128.load(ptr, 48)),
  );
  const hi = v128.or(
    v128.or(v128.load(ptr, 64), v128.load(ptr, 80)),
    v128.or(v128.load(ptr, 96), v128.load(ptr, 112)),
  );
  return i8x16.bitmask(v128.or(lo, hi));
}

// Unmasks [ptr, ptr + 128) in place with kv; non-zero when some byte of it is then not ASCII.
function unmask128(ptr: usize, kv: v128): i32 {
  const lo = v128.or(
    v128.or(unmask16(ptr, kv), unmask16(ptr + 16, kv)),
    v128.or(unmask16(ptr + 32, kv), unmask16(ptr + 48, kv)),
  );
  const hi = v128.or(
    v128.or(unmask16(ptr + 64, kv), unmask16(ptr + 80, kv)),
    v128.or(unmask16(ptr + 96, kv), unmask16(ptr + 112, kv)),
  );
  return i8x16.bitmask(v128.or(lo, hi));
}

function unmask16(ptr: usize, kv: v128): v128 {
  const v = v128.xor(v128.load(ptr), kv);
  v128.store(ptr, v);
  return v;
}

// The vectors errors() takes, read from memory once per call rather than written as constants: V8 13
// and later (Deno 2.9, Node 26) rebuilt every vector constant inside the loop at each use, in 3 or 4
// instructions, and validated multi-byte text at 3.2 GB/s where V8 11 and 12 (Node 20, 22) ran 8.6.
const LARGE = CARRY | TOO_LARGE | OVERLONG_4_OR_LARGE; // f5..ff
// biome-ignore format: one entry per nibble
const VECTORS = memory.data<i8>([
  // prev1High
  TOO_LONG, TOO_LONG, TOO_LONG, TOO_LONG, TOO_LONG, TOO_LONG, TOO_LONG, TOO_LONG, // 0..7: ASCII
  TWO_CONTS, TWO_CONTS, TWO_CONTS, TWO_CONTS, // 8..b: continuations
  TOO_SHORT | OVERLONG_2, // c
  TOO_SHORT, // d
  TOO_SHORT | OVERLONG_3 | SURROGATE, // e
  TOO_SHORT | TOO_LARGE | OVERLONG_4_OR_LARGE, // f
  // prev1Low
  CARRY | OVERLONG_2 | OVERLONG_3 | OVERLONG_4_OR_LARGE, // c0, e0, f0
  CARRY | OVERLONG_2, // c1
  CARRY, CARRY, // 2, 3
  CARRY | TOO_LARGE, // f4
  LARGE, LARGE, LARGE, LARGE, LARGE, LARGE, LARGE, LARGE, // 5..c
  LARGE | SURROGATE, // ed (and fd)
  LARGE, LARGE, // e, f
  // byteHigh
  TOO_SHORT, TOO_SHORT, TOO_SHORT, TOO_SHORT, TOO_SHORT, TOO_SHORT, TOO_SHORT, TOO_SHORT, // 0..7
  TOO_LONG | TWO_CONTS | OVERLONG_2 | OVERLONG_3 | OVERLONG_4_OR_LARGE, // 80..8f
  TOO_LONG | TWO_CONTS | OVERLONG_2 | OVERLONG_3 | TOO_LARGE, // 90..9f
  TOO_LONG | TWO_CONTS | OVERLONG_2 | SURROGATE | TOO_LARGE, // a0..af
  TOO_LONG | TWO_CONTS | OVERLONG_2 | SURROGATE | TOO_LARGE, // b0..bf
  TOO_SHORT, TOO_SHORT, TOO_SHORT, TOO_SHORT, // c..f
  // lowNibble
  0x0f, 0x0f, 0x0f, 0x0f, 0x0f, 0x0f, 0x0f, 0x0f, 0x0f, 0x0f, 0x0f, 0x0f, 0x0f, 0x0f, 0x0f, 0x0f,
  // belowE0: 0xe0 - 0x80
  0x60, 0x60, 0x60, 0x60, 0x60, 0x60, 0x60, 0x60, 0x60, 0x60, 0x60, 0x60, 0x60, 0x60, 0x60, 0x60,
  // belowF0: 0xf0 - 0x80
  0x70, 0x70, 0x70, 0x70, 0x70, 0x70, 0x70, 0x70, 0x70, 0x70, 0x70, 0x70, 0x70, 0x70, 0x70, 0x70,
  // topBit
  -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128,
]);

// The vector check, inlined where it runs (a class only because the linter allows decorators on
// methods, not on functions).
class Vectors {
  // The errors of the n 16-byte blocks from ptr, the first after `prev`, then of the `tail` bytes after
  // them (< 16) padded with zeros. VECTORS are read here, not across the ASCII test's loop, where
  // holding them made JavaScriptCore (Bun) test ASCII at 46 GB/s instead of 78.
  @inline
  static run(ptr: usize, n: usize, prev: v128, tail: usize): v128 {
    const prev1High = v128.load(VECTORS);
    const prev1Low = v128.load(VECTORS, 16);
    const byteHigh = v128.load(VECTORS, 32);
    const lowNibble = v128.load(VECTORS, 48);
    const belowE0 = v128.load(VECTORS, 64);
    const belowF0 = v128.load(VECTORS, 80);
    const topBit = v128.load(VECTORS, 96);
    let err = i8x16.splat(0);
    // One block per step: with two, V8 (x64) spilled vectors and dense text ran about 8% slower.
    for (let i: usize = 0; i < n; i++) {
      const a = v128.load(ptr);
      err = v128.or(
        err,
        Vectors.errors(prev, a, prev1High, prev1Low, byteHigh, lowNibble, belowE0, belowF0, topBit),
      );
      prev = a;
      ptr += 16;
    }
    if (tail != 0) {
      const lanes = i8x16(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
      const a = v128.and(v128.load(ptr), i8x16.gt_u(i8x16.splat(<i8>tail), lanes));
      err = v128.or(
        err,
        Vectors.errors(prev, a, prev1High, prev1Low, byteHigh, lowNibble, belowE0, belowF0, topBit),
      );
    }
    return err;
  }

  // Non-zero lanes where `block`, after `prev`, shows an error; the other arguments are VECTORS' rows.
  @inline
  static errors(
    prev: v128,
    block: v128,
    prev1High: v128,
    prev1Low: v128,
    byteHigh: v128,
    lowNibble: v128,
    belowE0: v128,
    belowF0: v128,
    topBit: v128,
  ): v128 {
    const prev1 = i8x16.shuffle(prev, block, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30);
    // A 16-bit shift, then the mask: i8x16.shr_u would rebuild a 0x0f mask of its own at every use.
    const special = v128.and(
      v128.and(
        i8x16.swizzle(prev1High, v128.and(i16x8.shr_u(prev1, 4), lowNibble)),
        i8x16.swizzle(prev1Low, v128.and(prev1, lowNibble)),
      ),
      i8x16.swizzle(byteHigh, v128.and(i16x8.shr_u(block, 4), lowNibble)),
    );
    // The top bit is set where prev2 is e0..ff or prev3 is f0..ff: the byte must be a continuation.
    const prev2 = i8x16.shuffle(prev, block, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29);
    const prev3 = i8x16.shuffle(prev, block, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28);
    const must23 = v128.or(i8x16.sub_sat_u(prev2, belowE0), i8x16.sub_sat_u(prev3, belowF0));
    return v128.xor(special, v128.and(must23, topBit));
  }
}

// Non-zero when `block` ends inside a character, i.e. when ASCII may not follow it.
function cutShort(block: v128): v128 {
  // biome-ignore format: one lane per byte
  return i8x16.sub_sat_u(block, i8x16(-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, <i8>0xef, <i8>0xdf, <i8>0xbf));
}

// Where the last character before `end` starts if it may continue past `end`, else `end`.
function lastLead(end: usize): usize {
  for (let back: usize = 1; back <= 3; back++) {
    const b = load<u8>(end - back);
    if (b >= 0xc0) return end - back;
    if (b < 0x80) break;
  }
  return end;
}
