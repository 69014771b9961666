// RFC 6455 8.1: a text message must be valid UTF-8 (RFC 3629), and an endpoint fails the connection
// as soon as a byte makes that impossible (5.6, 8.1). So validation runs incrementally, chunk by
// chunk, and reports REJECT at the first byte no valid stream could contain.
//
// A DFA over the well-formed byte sequences of Unicode Table 3-7. Each byte maps to one of 12 classes
// (CLASSES); each class has a 64-bit row (ROWS). A state is a bit offset into a row, and
// `(row >> state) & 63` is the next state, so one step costs two table loads that do not depend on
// the state and a shift that does.

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

/** Whether [ptr, ptr + len) is one complete, valid UTF-8 text. */
export function utf8Valid(ptr: usize, len: usize): bool {
  return utf8Step(UTF8_ACCEPT, ptr, len) == UTF8_ACCEPT;
}

// The top bit of each of 8 bytes.
const HIGH_BITS: u64 = ((<u64>0x80808080) << 32) | 0x80808080;

// Returns the first byte at or after ptr with the high bit set, looking at whole blocks only; it may
// stop on an ASCII byte in the last few, which the DFA then steps over.
function skipAscii(ptr: usize, end: usize): usize {
  if (ASC_FEATURE_SIMD) {
    while (end - ptr >= 16) {
      const high = i8x16.bitmask(v128.load(ptr));
      if (high) return ptr + ctz(high);
      ptr += 16;
    }
  }
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
