import { maskBytewise } from "../../assembly/mask";
import { shortValid, UTF8_ACCEPT, UTF8_REJECT, utf8Step, utf8Unmask, utf8Valid } from "../../assembly/utf8";

// RFC 6455 8.1 needs valid UTF-8 (RFC 3629) in text frames, checked as bytes arrive. The cases are
// those of Markus Kuhn's UTF-8 decoder capability and stress test, sections 1-5, numbered as there.

const BUF = heap.alloc(256);

function put(bytes: u8[]): usize {
  for (let i = 0; i < bytes.length; i++) store<u8>(BUF + i, bytes[i]);
  return BUF;
}

function hex(bytes: u8[]): string {
  let s = "";
  for (let i = 0; i < bytes.length; i++) s += (i > 0 ? " " : "") + bytes[i].toString(16);
  return s;
}

// Valid text: accepted whole, split in two at every point, and one byte per call.
function accepts(bytes: u8[]): void {
  expect<string>(whyNotAccepted(bytes)).toBe("", hex(bytes));
}

// Invalid text: the bytes before `at` could still begin valid text; byte `at` makes that impossible,
// so the state is REJECT from there on (fail fast), whether fed whole, as a prefix or byte by byte.
function rejectsAt(bytes: u8[], at: i32): void {
  expect<string>(whyNotRejectedAt(bytes, at)).toBe("", hex(bytes));
}

// Text that stops inside a character: no byte is impossible, but it is not valid at its end.
function endsMidCharacter(bytes: u8[]): void {
  expect<string>(whyNotMidCharacter(bytes)).toBe("", hex(bytes));
}

// The checks behind the three above: each returns the first one that fails, or "".
function whyNotAccepted(bytes: u8[]): string {
  const n = bytes.length;
  const p = put(bytes);
  if (utf8Step(UTF8_ACCEPT, p, n) != UTF8_ACCEPT) return "not accepted whole";
  if (!utf8Valid(p, n)) return "utf8Valid is false";
  for (let cut = 0; cut <= n; cut++) {
    const mid = utf8Step(UTF8_ACCEPT, p, cut);
    if (mid == UTF8_REJECT) return `first ${cut} bytes rejected`;
    if (utf8Step(mid, p + cut, n - cut) != UTF8_ACCEPT) return `not accepted split at ${cut}`;
  }
  let state = UTF8_ACCEPT;
  for (let i = 0; i < n; i++) state = utf8Step(state, p + i, 1);
  return state == UTF8_ACCEPT ? "" : "not accepted byte by byte";
}

function whyNotRejectedAt(bytes: u8[], at: i32): string {
  const n = bytes.length;
  const p = put(bytes);
  for (let k = 0; k <= at; k++) {
    if (utf8Step(UTF8_ACCEPT, p, k) == UTF8_REJECT) return `first ${k} bytes already rejected`;
  }
  if (utf8Step(UTF8_ACCEPT, p, at + 1) != UTF8_REJECT) return `first ${at + 1} bytes not rejected`;
  if (utf8Step(UTF8_ACCEPT, p, n) != UTF8_REJECT) return "not rejected whole";
  if (utf8Valid(p, n)) return "utf8Valid is true";
  let state = UTF8_ACCEPT;
  for (let i = 0; i < n; i++) {
    state = utf8Step(state, p + i, 1);
    if ((state == UTF8_REJECT) != i >= at) return `byte by byte: wrong state after byte ${i}`;
  }
  return "";
}

function whyNotMidCharacter(bytes: u8[]): string {
  const n = bytes.length;
  const p = put(bytes);
  for (let k = 0; k <= n; k++) {
    if (utf8Step(UTF8_ACCEPT, p, k) == UTF8_REJECT) return `first ${k} bytes rejected`;
  }
  if (utf8Step(UTF8_ACCEPT, p, n) == UTF8_ACCEPT) return "accepted";
  return utf8Valid(p, n) ? "utf8Valid is true" : "";
}

describe("utf8: Kuhn 1, correct text", () => {
  it("1: κόσμε (ce ba e1 bd b9 cf 83 ce bc ce b5) is accepted", () => {
    accepts([0xce, 0xba, 0xe1, 0xbd, 0xb9, 0xcf, 0x83, 0xce, 0xbc, 0xce, 0xb5]);
  });
  it("the empty text is accepted", () => {
    expect<u32>(utf8Step(UTF8_ACCEPT, BUF, 0)).toBe(UTF8_ACCEPT);
    expect<bool>(utf8Valid(BUF, 0)).toBe(true);
  });
});

describe("utf8: Kuhn 2, boundary conditions", () => {
  it("2.1: the first sequence of each length is accepted up to 4 bytes; 5 and 6 are not UTF-8", () => {
    accepts([0x00]);
    accepts([0xc2, 0x80]);
    accepts([0xe0, 0xa0, 0x80]);
    accepts([0xf0, 0x90, 0x80, 0x80]);
    rejectsAt([0xf8, 0x88, 0x80, 0x80, 0x80], 0);
    rejectsAt([0xfc, 0x84, 0x80, 0x80, 0x80, 0x80], 0);
  });
  it("2.2: the last sequence of each length: U+7F, U+7FF, U+FFFF accepted; U+1FFFF.. above U+10FFFF", () => {
    accepts([0x7f]);
    accepts([0xdf, 0xbf]);
    accepts([0xef, 0xbf, 0xbf]);
    rejectsAt([0xf7, 0xbf, 0xbf, 0xbf], 0);
    rejectsAt([0xfb, 0xbf, 0xbf, 0xbf, 0xbf], 0);
    rejectsAt([0xfd, 0xbf, 0xbf, 0xbf, 0xbf, 0xbf], 0);
  });
  it("2.3: U+D7FF, U+E000, U+FFFD, U+10FFFF accepted; U+110000 (f4 90) rejected at 90", () => {
    accepts([0xed, 0x9f, 0xbf]);
    accepts([0xee, 0x80, 0x80]);
    accepts([0xef, 0xbf, 0xbd]);
    accepts([0xf4, 0x8f, 0xbf, 0xbf]);
    rejectsAt([0xf4, 0x90, 0x80, 0x80], 1);
  });
});

describe("utf8: Kuhn 3, malformed sequences", () => {
  it("3.1.1-3.1.8: a continuation byte where a character must start is rejected at once", () => {
    rejectsAt([0x80], 0);
    rejectsAt([0xbf], 0);
    rejectsAt([0x80, 0xbf], 0);
    rejectsAt([0x80, 0xbf, 0x80], 0);
    rejectsAt([0x80, 0xbf, 0x80, 0xbf], 0);
    rejectsAt([0x80, 0xbf, 0x80, 0xbf, 0x80], 0);
    rejectsAt([0x80, 0xbf, 0x80, 0xbf, 0x80, 0xbf], 0);
    rejectsAt([0x80, 0xbf, 0x80, 0xbf, 0x80, 0xbf, 0x80], 0);
  });
  it("3.1.9: each of the 64 continuation bytes 80..bf alone, and all 64 in a row, are rejected", () => {
    const all: u8[] = [];
    for (let b = 0x80; b <= 0xbf; b++) {
      rejectsAt([<u8>b], 0);
      all.push(<u8>b);
    }
    rejectsAt(all, 0);
  });
  it("a continuation byte after a complete character (c2 80 80) is rejected at the third byte", () => {
    rejectsAt([0xc2, 0x80, 0x80], 2);
    rejectsAt([0xe2, 0x82, 0xac, 0xbf], 3);
    rejectsAt([0xf0, 0x9f, 0x98, 0x80, 0x80], 4);
  });
  it("3.2.1: c0, c1 then a space are rejected at the lead; c2..df then a space at the space", () => {
    rejectsAt([0xc0, 0x20], 0);
    rejectsAt([0xc1, 0x20], 0);
    for (let b = 0xc2; b <= 0xdf; b++) rejectsAt([<u8>b, 0x20], 1);
  });
  it("3.2.2: e0..ef then a space are rejected at the space", () => {
    for (let b = 0xe0; b <= 0xef; b++) rejectsAt([<u8>b, 0x20], 1);
  });
  it("3.2.3: f0..f4 then a space are rejected at the space; f5..f7 at the lead", () => {
    for (let b = 0xf0; b <= 0xf4; b++) rejectsAt([<u8>b, 0x20], 1);
    for (let b = 0xf5; b <= 0xf7; b++) rejectsAt([<u8>b, 0x20], 0);
  });
  it("3.2.4-3.2.5: the 5- and 6-byte leads f8..fd then a space are rejected at the lead", () => {
    for (let b = 0xf8; b <= 0xfd; b++) rejectsAt([<u8>b, 0x20], 0);
  });
  it("3.3.1-3.3.5: U+0000 with its last byte missing is overlong or not UTF-8: rejected early", () => {
    rejectsAt([0xc0], 0);
    rejectsAt([0xe0, 0x80], 1);
    rejectsAt([0xf0, 0x80, 0x80], 1);
    rejectsAt([0xf8, 0x80, 0x80, 0x80], 0);
    rejectsAt([0xfc, 0x80, 0x80, 0x80, 0x80], 0);
  });
  it("3.3.6-3.3.7: U+7FF (df) and U+FFFF (ef bf) with the last byte missing end mid-character", () => {
    endsMidCharacter([0xdf]);
    endsMidCharacter([0xef, 0xbf]);
  });
  it("3.3.8-3.3.10: U+1FFFFF, U+3FFFFFF, U+7FFFFFFF with the last byte missing: rejected at the lead", () => {
    rejectsAt([0xf7, 0xbf, 0xbf], 0);
    rejectsAt([0xfb, 0xbf, 0xbf, 0xbf], 0);
    rejectsAt([0xfd, 0xbf, 0xbf, 0xbf, 0xbf], 0);
  });
  it("every proper prefix of a valid 2-, 3- or 4-byte character ends mid-character", () => {
    endsMidCharacter([0xc2]);
    endsMidCharacter([0xe0, 0xa0]);
    endsMidCharacter([0xed, 0x9f]);
    endsMidCharacter([0xe2, 0x82]);
    endsMidCharacter([0xf0, 0x90, 0x80]);
    endsMidCharacter([0xf4, 0x8f, 0xbf]);
    endsMidCharacter([0xf3, 0xbf]);
    endsMidCharacter([0xf1]);
  });
  it("3.4: the ten sequences of 3.3 concatenated are rejected at the first byte (c0)", () => {
    // biome-ignore format: one 3.3 case per group
    rejectsAt([
      0xc0, 0xe0, 0x80, 0xf0, 0x80, 0x80, 0xf8, 0x80, 0x80, 0x80, 0xfc, 0x80, 0x80, 0x80, 0x80,
      0xdf, 0xef, 0xbf, 0xf7, 0xbf, 0xbf, 0xfb, 0xbf, 0xbf, 0xbf, 0xfd, 0xbf, 0xbf, 0xbf, 0xbf,
    ], 0);
  });
  it("3.4: the two valid-prefix cases of 3.3 concatenated (df ef bf) are rejected at ef", () => {
    rejectsAt([0xdf, 0xef, 0xbf], 1);
  });
  it("3.5: the impossible bytes fe and ff are rejected", () => {
    rejectsAt([0xfe], 0);
    rejectsAt([0xff], 0);
    rejectsAt([0xfe, 0xfe, 0xff, 0xff], 0);
  });
});

describe("utf8: Kuhn 4, overlong sequences", () => {
  it("4.1: '/' (U+2F) in 2..6 bytes is rejected at the first byte that makes it overlong", () => {
    rejectsAt([0xc0, 0xaf], 0);
    rejectsAt([0xe0, 0x80, 0xaf], 1);
    rejectsAt([0xf0, 0x80, 0x80, 0xaf], 1);
    rejectsAt([0xf8, 0x80, 0x80, 0x80, 0xaf], 0);
    rejectsAt([0xfc, 0x80, 0x80, 0x80, 0x80, 0xaf], 0);
  });
  it("4.2: the maximum overlong sequences are rejected", () => {
    rejectsAt([0xc1, 0xbf], 0);
    rejectsAt([0xe0, 0x9f, 0xbf], 1);
    rejectsAt([0xf0, 0x8f, 0xbf, 0xbf], 1);
    rejectsAt([0xf8, 0x87, 0xbf, 0xbf, 0xbf], 0);
    rejectsAt([0xfc, 0x83, 0xbf, 0xbf, 0xbf, 0xbf], 0);
  });
  it("4.3: the overlong NUL sequences are rejected", () => {
    rejectsAt([0xc0, 0x80], 0);
    rejectsAt([0xe0, 0x80, 0x80], 1);
    rejectsAt([0xf0, 0x80, 0x80, 0x80], 1);
    rejectsAt([0xf8, 0x80, 0x80, 0x80, 0x80], 0);
    rejectsAt([0xfc, 0x80, 0x80, 0x80, 0x80, 0x80], 0);
  });
});

describe("utf8: Kuhn 5, illegal code positions", () => {
  it("5.1: single UTF-16 surrogates U+D800..U+DFFF are rejected at the second byte (ed a0..bf)", () => {
    rejectsAt([0xed, 0xa0, 0x80], 1);
    rejectsAt([0xed, 0xad, 0xbf], 1);
    rejectsAt([0xed, 0xae, 0x80], 1);
    rejectsAt([0xed, 0xaf, 0xbf], 1);
    rejectsAt([0xed, 0xb0, 0x80], 1);
    rejectsAt([0xed, 0xbe, 0x80], 1);
    rejectsAt([0xed, 0xbf, 0xbf], 1);
  });
  it("5.2: paired UTF-16 surrogates are rejected at the second byte", () => {
    rejectsAt([0xed, 0xa0, 0x80, 0xed, 0xb0, 0x80], 1);
    rejectsAt([0xed, 0xa0, 0x80, 0xed, 0xbf, 0xbf], 1);
    rejectsAt([0xed, 0xad, 0xbf, 0xed, 0xb0, 0x80], 1);
    rejectsAt([0xed, 0xad, 0xbf, 0xed, 0xbf, 0xbf], 1);
    rejectsAt([0xed, 0xae, 0x80, 0xed, 0xb0, 0x80], 1);
    rejectsAt([0xed, 0xae, 0x80, 0xed, 0xbf, 0xbf], 1);
    rejectsAt([0xed, 0xaf, 0xbf, 0xed, 0xb0, 0x80], 1);
    rejectsAt([0xed, 0xaf, 0xbf, 0xed, 0xbf, 0xbf], 1);
  });
  it("5.3: noncharacters are valid UTF-8: U+FFFE, U+FFFF, U+FDD0..U+FDEF", () => {
    accepts([0xef, 0xbf, 0xbe]);
    accepts([0xef, 0xbf, 0xbf]);
    for (let b = 0x90; b <= 0xaf; b++) accepts([0xef, 0xb7, <u8>b]);
  });
  it("5.3: noncharacters U+nFFFE and U+nFFFF of planes 1..16 are valid UTF-8", () => {
    // The first two bytes of U+1FFFE, U+2FFFE, ..., U+10FFFE; both end in bf be / bf bf.
    // biome-ignore format: one plane per pair
    const heads: u8[] = [
      0xf0, 0x9f, 0xf0, 0xaf, 0xf0, 0xbf, 0xf1, 0x8f, 0xf1, 0x9f, 0xf1, 0xaf, 0xf1, 0xbf, 0xf2, 0x8f,
      0xf2, 0x9f, 0xf2, 0xaf, 0xf2, 0xbf, 0xf3, 0x8f, 0xf3, 0x9f, 0xf3, 0xaf, 0xf3, 0xbf, 0xf4, 0x8f,
    ];
    for (let i = 0; i < heads.length; i += 2) {
      accepts([heads[i], heads[i + 1], 0xbf, 0xbe]);
      accepts([heads[i], heads[i + 1], 0xbf, 0xbf]);
    }
  });
});

// Unicode Table 3-7, one row per form: the lowest and highest value of each of its bytes.
const TABLE_3_7: u8[][] = [
  [0x00, 0x7f],
  [0xc2, 0xdf, 0x80, 0xbf],
  [0xe0, 0xe0, 0xa0, 0xbf, 0x80, 0xbf],
  [0xe1, 0xec, 0x80, 0xbf, 0x80, 0xbf],
  [0xed, 0xed, 0x80, 0x9f, 0x80, 0xbf],
  [0xee, 0xef, 0x80, 0xbf, 0x80, 0xbf],
  [0xf0, 0xf0, 0x90, 0xbf, 0x80, 0xbf, 0x80, 0xbf],
  [0xf1, 0xf3, 0x80, 0xbf, 0x80, 0xbf, 0x80, 0xbf],
  [0xf4, 0xf4, 0x80, 0x8f, 0x80, 0xbf, 0x80, 0xbf],
];

// The row of Table 3-7 whose first byte b can be, or null.
function rowStartingWith(b: u8): u8[] | null {
  for (let i = 0; i < TABLE_3_7.length; i++) {
    const row = TABLE_3_7[i];
    if (b >= row[0] && b <= row[1]) return row;
  }
  return null;
}

describe("utf8: Unicode Table 3-7, exhaustively over the first two bytes", () => {
  it("a single byte is accepted if ASCII, pending if it starts a row, else rejected", () => {
    for (let b = 0; b < 256; b++) {
      store<u8>(BUF, <u8>b);
      const row = rowStartingWith(<u8>b);
      const state = utf8Step(UTF8_ACCEPT, BUF, 1);
      if (row == null) expect<u32>(state).toBe(UTF8_REJECT, b.toString(16));
      else if (row.length == 2) expect<u32>(state).toBe(UTF8_ACCEPT, b.toString(16));
      else expect<bool>(state != UTF8_ACCEPT && state != UTF8_REJECT).toBe(true, b.toString(16));
    }
  });
  it("every byte pair is rejected exactly when no row (or ASCII then a row) allows it", () => {
    expect<string>(firstPairDisagreeing()).toBe("");
  });
});

// What Table 3-7 says the state after b0 b1 is.
function expectedAfter(b0: u8, b1: u8): string {
  const row = rowStartingWith(b0);
  if (row == null) return "reject";
  if (row.length == 2) {
    const next = rowStartingWith(b1);
    if (next == null) return "reject";
    return next.length == 2 ? "accept" : "pending";
  }
  if (b1 < row[2] || b1 > row[3]) return "reject";
  return row.length == 4 ? "accept" : "pending";
}

function firstPairDisagreeing(): string {
  for (let b0 = 0; b0 < 256; b0++) {
    for (let b1 = 0; b1 < 256; b1++) {
      store<u8>(BUF, <u8>b0);
      store<u8>(BUF + 1, <u8>b1);
      const state = utf8Step(UTF8_ACCEPT, BUF, 2);
      const got = state == UTF8_ACCEPT ? "accept" : state == UTF8_REJECT ? "reject" : "pending";
      const want = expectedAfter(<u8>b0, <u8>b1);
      if (got != want) return `${b0.toString(16)} ${b1.toString(16)}: ${got}, not ${want}`;
    }
  }
  return "";
}

// 64 ASCII bytes with `ch` written over them from `at` on; the first `len` bytes.
function asciiWith(ch: u8[], at: i32, len: i32): u8[] {
  const bytes: u8[] = [];
  for (let i = 0; i < len; i++) bytes.push(<u8>(0x61 + (i % 26)));
  for (let i = 0; i < ch.length && at + i < len; i++) bytes[at + i] = ch[i];
  return bytes;
}

describe("utf8: the fast paths (SIMD: 16-byte blocks, ASCII tested per 128 bytes; scalar: 8-byte ASCII blocks)", () => {
  it("a 2-, 3- or 4-byte character at every offset 0..160 of ASCII text is accepted", () => {
    const chars: u8[][] = [
      [0xc2, 0xa9],
      [0xe2, 0x82, 0xac],
      [0xf0, 0x9f, 0x98, 0x80],
    ];
    for (let c = 0; c < chars.length; c++) {
      for (let at = 0; at <= 160; at++) accepts(asciiWith(chars[c], at, 200));
    }
  });
  it("ASCII text ending inside a character at every offset 0..160 ends mid-character", () => {
    const ch: u8[] = [0xf0, 0x9f, 0x98, 0x80];
    for (let at = 0; at <= 160; at++) {
      for (let cut = 1; cut < 4; cut++) endsMidCharacter(asciiWith(ch, at, at + cut));
    }
  });
  it("a lone continuation byte or ff at every offset 0..160 of ASCII text is rejected there", () => {
    for (let at = 0; at <= 160; at++) {
      rejectsAt(asciiWith([0x80], at, 200), at);
      rejectsAt(asciiWith([0xff], at, 200), at);
    }
  });
  it("a character cut short by ASCII at every offset 0..160 is rejected at the ASCII byte", () => {
    // At 125 and 126 the ASCII after the character is a whole 128-byte SIMD step.
    for (let at = 0; at <= 160; at++) {
      rejectsAt(asciiWith([0xe2, 0x82], at, 256), at + 2);
      rejectsAt(asciiWith([0xf0, 0x9f, 0x98], at, 256), at + 3);
    }
  });
  it("ASCII after a call that ended mid-character (e2 82 | 32 x 'a') is rejected at its first byte", () => {
    const p = put(asciiWith([0xe2, 0x82], 0, 40));
    const mid = utf8Step(UTF8_ACCEPT, p, 2);
    expect<u32>(mid).not.toBe(UTF8_REJECT);
    expect<u32>(mid).not.toBe(UTF8_ACCEPT);
    expect<u32>(utf8Step(mid, p + 2, 1)).toBe(UTF8_REJECT);
    expect<u32>(utf8Step(mid, p + 2, 32)).toBe(UTF8_REJECT);
  });
  it("once rejected, the state stays REJECT whatever follows", () => {
    const p = put(asciiWith([], 0, 64));
    expect<u32>(utf8Step(UTF8_REJECT, p, 64)).toBe(UTF8_REJECT);
    expect<u32>(utf8Step(UTF8_REJECT, p, 1)).toBe(UTF8_REJECT);
  });
});

// RFC 6455 5.3 and 8.1 together: a masked text payload is unmasked in place as it is validated. That
// must leave the bytes and the states exactly as unmasking first and then validating would.
const PLAIN = heap.alloc(600);
const WIRE = heap.alloc(600);
let seed: u32 = 0x9e3779b9;

function random(n: u32): u32 {
  seed ^= seed << 13;
  seed ^= seed >> 17;
  seed ^= seed << 5;
  return seed % n;
}

// ASCII with a character of 2, 3 or 4 bytes about every `every` bytes, `len` bytes in all.
function text(len: u32, every: u32): void {
  const chars: u8[][] = [
    [0xc3, 0xa9],
    [0xe2, 0x82, 0xac],
    [0xf0, 0x9f, 0x98, 0x80],
    [0xed, 0x9f, 0xbf],
  ];
  let i: u32 = 0;
  while (i < len) {
    const ch = chars[random(4)];
    if (random(every) == 0 && i + <u32>ch.length <= len) {
      for (let j = 0; j < ch.length; j++) store<u8>(PLAIN + i++, ch[j]);
    } else store<u8>(PLAIN + i++, <u8>(0x20 + random(95)));
  }
}

// Feeds the masked copy of PLAIN's first `len` bytes in pieces cut at random, with `key` from `pos`,
// and returns what differs from unmasking with maskBytewise and validating with utf8Step, or "".
function whyFusedDiffers(len: u32, key: u32, pos: u32): string {
  memory.copy(WIRE, PLAIN, len);
  maskBytewise(WIRE, len, key, pos);
  let fused = UTF8_ACCEPT;
  let plain = UTF8_ACCEPT;
  let at: u32 = 0;
  while (at < len) {
    const n = min(random(4) == 0 ? random(4) : random(len - at + 1), len - at);
    fused = utf8Unmask(fused, WIRE + at, n, key, pos + at);
    plain = utf8Step(plain, PLAIN + at, n);
    if (fused != plain) return `state ${fused} instead of ${plain} after ${at + n} of ${len} bytes`;
    at += n;
  }
  for (let i: u32 = 0; i < len; i++)
    if (load<u8>(WIRE + i) != load<u8>(PLAIN + i)) return `byte ${i} of ${len} not unmasked`;
  return "";
}

describe("utf8: unmasking while validating (RFC 6455 5.3, 8.1)", () => {
  it("gives the bytes and states of mask, then utf8Step, for any key, key position and cuts", () => {
    const keys: u32[] = [0, 0x01020304, 0x80808080, 0xffffffff, 0x5a3c96e1];
    for (let round = 0; round < 400; round++) {
      const len = random(420);
      text(len, round & 1 ? 3 : 64);
      const key = round < 200 ? keys[round % 5] : random(0xffffffff);
      expect<string>(whyFusedDiffers(len, key, random(4))).toBe("", `round ${round}`);
    }
  });
  it("fails at the same byte for an invalid byte at every offset around the 16- and 128-byte edges", () => {
    const bad: u8[] = [0x80, 0xbf, 0xc0, 0xc2, 0xe0, 0xed, 0xf4, 0xf5, 0xff];
    for (let at: u32 = 0; at < 300; at++) {
      if (at > 40 && at % 16 > 3 && at % 16 < 12) continue;
      for (let b = 0; b < bad.length; b++) {
        text(300, 48);
        store<u8>(PLAIN + at, bad[b]);
        expect<string>(whyFusedDiffers(300, random(0xffffffff) | 1, at & 3)).toBe("", `${bad[b]} at ${at}`);
      }
    }
  });
});

// shortValid on PLAIN's first len bytes placed at p, with `after` in the 16 bytes that follow: bytes
// that would change the outcome if the padded last block read them.
function whyShortDiffers(p: usize, len: u32, after: u8): string {
  for (let i: u32 = 0; i < len; i++) store<u8>(p + i, load<u8>(PLAIN + i));
  for (let i: u32 = 0; i < 16; i++)
    if (p + len + i < (<usize>memory.size()) << 16) store<u8>(p + len + i, after);
  const want = utf8Valid(PLAIN, len);
  return shortValid(p, len) == want
    ? ""
    : `${len} bytes: ${want ? "valid" : "invalid"} text judged otherwise`;
}

const SHORT_BAD: u8[] = [0x80, 0xbf, 0xc0, 0xc2, 0xe0, 0xed, 0xf0, 0xf4, 0xf5, 0xff];

describe("utf8: short whole messages (shortValid)", () => {
  it("agrees with utf8Valid on every length 0..127, whatever follows the text", () => {
    for (let len: u32 = 0; len < 128; len++) {
      for (let round = 0; round < 20; round++) {
        text(len, round & 1 ? 3 : 12);
        // A continuation after the end would complete a cut character; a lead would cut valid text.
        expect<string>(whyShortDiffers(WIRE, len, 0x80)).toBe("", `round ${round}`);
        expect<string>(whyShortDiffers(WIRE + 1, len, 0xc2)).toBe("", `round ${round}`);
      }
    }
  });
  it("agrees with utf8Valid for an invalid byte, or a character cut short, at every offset", () => {
    for (let len: u32 = 1; len < 128; len++) {
      for (let at: u32 = 0; at < len; at++) {
        // Past 48 bytes, the offsets around each 16-byte edge and the last few.
        if (len > 48 && (at & 15) > 3 && (at & 15) < 12 && at + 4 < len) continue;
        for (let b = 0; b < SHORT_BAD.length; b++) {
          text(len, 6);
          store<u8>(PLAIN + at, SHORT_BAD[b]);
          expect<string>(whyShortDiffers(WIRE, len, 0x80)).toBe("", `${SHORT_BAD[b]} at ${at}`);
        }
      }
    }
  });
  it("agrees with utf8Valid at the very end of memory, where no padded block fits", () => {
    const end = (<usize>memory.grow(1) + 1) << 16;
    for (let len: u32 = 0; len < 128; len++) {
      text(len, 5);
      expect<string>(whyShortDiffers(end - len, len, 0)).toBe("");
      if (len > 0) {
        store<u8>(PLAIN + len - 1, 0xe2);
        expect<string>(whyShortDiffers(end - len, len, 0)).toBe("");
      }
    }
  });
});
