import {
  INFLATE_END,
  INFLATE_ERROR,
  INFLATE_NEED_INPUT,
  INFLATE_OUTPUT,
  inflateAtBoundary,
  inflateContinue,
  inflateInit,
  inflateInput,
  inflateInputLeft,
  inflateOutLen,
  inflateOutPtr,
  inflateRun,
  inflateStateSize,
} from "../../assembly/inflate";
import { hexAt } from "./hex";

// RFC 1951 raw DEFLATE, written as the bytes on the wire (bits fill each byte from its lowest bit;
// Huffman codes go most significant bit first, 3.1.1), then what the decoder makes of them.

const ST = heap.alloc(inflateStateSize(15));
const IN = heap.alloc(4096);
const ALL: u32 = 1 << 15;
// The result of the last feed, and everything decoded since the last fresh().
let code: i32 = INFLATE_NEED_INPUT;
let out = "";
const NO_PROGRESS: i32 = -100;

function bytes(hex: string): Uint8Array {
  const clean = hex.replaceAll(" ", "");
  const b = new Uint8Array(clean.length / 2);
  for (let i = 0; i < b.length; i++) b[i] = <u8>I32.parseInt(clean.substr(i * 2, 2), 16);
  return b;
}

function fresh(ringBits: u32 = 15): void {
  inflateInit(ST, ringBits);
  out = "";
}

// Feeds the bytes `chunk` at a time (0: all at once), each run allowed `limit` bytes of output.
function feedBytes(b: Uint8Array, chunk: i32 = 0, limit: u32 = ALL): i32 {
  const step = chunk == 0 ? b.length : chunk;
  code = INFLATE_NEED_INPUT;
  for (let off = 0; off < b.length && code == INFLATE_NEED_INPUT; off += step) {
    const n = min(step, b.length - off);
    for (let i = 0; i < n; i++) store<u8>(IN + i, b[off + i]);
    inflateInput(ST, IN, n);
    do {
      code = inflateRun(ST, limit);
      // A run that stops for output space must have produced some.
      if (code == INFLATE_OUTPUT && inflateOutLen(ST) == 0) return (code = NO_PROGRESS);
      out += hexAt(inflateOutPtr(ST), inflateOutLen(ST));
    } while (code == INFLATE_OUTPUT);
  }
  return code;
}

function feed(hex: string, chunk: i32 = 0, limit: u32 = ALL): i32 {
  return feedBytes(bytes(hex), chunk, limit);
}

// A whole stream into a fresh state: the output as hex.
function inflate(hex: string, chunk: i32 = 0, limit: u32 = ALL): string {
  fresh();
  feed(hex, chunk, limit);
  return out;
}

// ASCII text as the hex of its bytes.
function ascii(s: string): string {
  let h = "";
  for (let i = 0; i < s.length; i++) h += s.charCodeAt(i).toString(16).padStart(2, "0");
  return h;
}

function repeat(hex: string, times: i32): string {
  let s = "";
  for (let i = 0; i < times; i++) s += hex;
  return s;
}

// A malformed stream: ERROR, and ERROR again from then on until init.
function rejects(hex: string): void {
  fresh();
  expect<i32>(feed(hex)).toBe(INFLATE_ERROR, hex);
  expect<i32>(feed("00")).toBe(INFLATE_ERROR, "the state stays failed");
  expect<bool>(inflateAtBoundary(ST)).toBe(false);
}

// The same output and result whole, one byte at a time, and with one byte of output per run.
function sameInPieces(hex: string): void {
  const whole = inflate(hex);
  const wholeCode = code;
  expect<string>(inflate(hex, 1)).toBe(whole, "one byte at a time");
  expect<i32>(code).toBe(wholeCode);
  expect<string>(inflate(hex, 1, 1)).toBe(whole, "one byte in, one byte out per run");
  expect<i32>(code).toBe(wholeCode);
  expect<string>(inflate(hex, 3, 7)).toBe(whole, "three bytes in, seven out per run");
  expect<i32>(code).toBe(wholeCode);
}

describe("RFC 1951 3.2.3 block header", () => {
  it("BTYPE 11 is reserved", () => {
    // BFINAL 1, BTYPE 11.
    rejects("07");
  });

  it("a non-final stored block, then a final fixed one", () => {
    // Stored "He" (BFINAL 0), then fixed "llo" (BFINAL 1).
    expect<string>(inflate("00 02 00 fd ff 48 65 cb c9 c9 07 00")).toBe(ascii("Hello"));
    expect<i32>(code).toBe(INFLATE_END);
  });

  it("inside a block is not a boundary; after it is", () => {
    fresh();
    expect<i32>(feed("f2 48")).toBe(INFLATE_NEED_INPUT);
    expect<bool>(inflateAtBoundary(ST)).toBe(false);
    expect<i32>(feed("cd c9 c9 07 00 00 00 ff ff")).toBe(INFLATE_NEED_INPUT);
    expect<bool>(inflateAtBoundary(ST)).toBe(true);
    expect<string>(out).toBe(ascii("Hello"));
  });
});

// A stored block of 600 bytes (LEN 0258, NLEN fda7), byte i of it i mod 256.
function stored600(final: bool): Uint8Array {
  const b = new Uint8Array(605);
  b[0] = final ? 1 : 0;
  b[1] = 0x58;
  b[2] = 0x02;
  b[3] = 0xa7;
  b[4] = 0xfd;
  for (let i = 0; i < 600; i++) b[5 + i] = <u8>i;
  return b;
}

describe("RFC 1951 3.2.4 non-compressed blocks", () => {
  it("LEN bytes as they are", () => {
    expect<string>(inflate("01 05 00 fa ff 48 65 6c 6c 6f")).toBe(ascii("Hello"));
    expect<i32>(code).toBe(INFLATE_END);
    sameInPieces("01 05 00 fa ff 48 65 6c 6c 6f");
  });

  it("LEN 0", () => {
    expect<string>(inflate("01 00 00 ff ff")).toBe("");
    expect<i32>(code).toBe(INFLATE_END);
  });

  it("NLEN must be the one's complement of LEN", () => {
    rejects("01 05 00 fb ff 48 65 6c 6c 6f");
  });

  it("stops at outLimit inside the block and resumes", () => {
    fresh();
    expect<i32>(feed("01 05 00 fa ff 48 65 6c 6c 6f", 0, 2)).toBe(INFLATE_END);
    expect<string>(out).toBe(ascii("Hello"));
    fresh();
    const b = bytes("01 05 00 fa ff 48 65 6c 6c 6f");
    for (let i = 0; i < b.length; i++) store<u8>(IN + i, b[i]);
    inflateInput(ST, IN, b.length);
    expect<i32>(inflateRun(ST, 3)).toBe(INFLATE_OUTPUT);
    expect<string>(hexAt(inflateOutPtr(ST), inflateOutLen(ST))).toBe(ascii("Hel"));
    expect<i32>(inflateRun(ST, 3)).toBe(INFLATE_END);
    expect<string>(hexAt(inflateOutPtr(ST), inflateOutLen(ST))).toBe(ascii("lo"));
  });

  it("a segment ends at the ring's end; the next one starts at its start", () => {
    // 600 bytes stored into a 512-byte ring.
    fresh(9);
    const block = stored600(true);
    for (let i = 0; i < block.length; i++) store<u8>(IN + i, block[i]);
    inflateInput(ST, IN, block.length);
    expect<i32>(inflateRun(ST, ALL)).toBe(INFLATE_OUTPUT);
    const ring = inflateOutPtr(ST);
    expect<u32>(inflateOutLen(ST)).toBe(512);
    expect<i32>(inflateRun(ST, ALL)).toBe(INFLATE_END);
    expect<usize>(inflateOutPtr(ST)).toBe(ring);
    expect<u32>(inflateOutLen(ST)).toBe(88);
    expect<u8>(load<u8>(ring + 87)).toBe(<u8>599);
  });
});

describe("RFC 1951 3.2.5 lengths and distances", () => {
  it("a match may overlap itself: 'a', then length 258 at distance 1", () => {
    // Fixed: literal 'a', symbol 285 (length 258), distance code 0 (1), end of block.
    expect<string>(inflate("4b 1c 05 00")).toBe(repeat("61", 259));
    expect<i32>(code).toBe(INFLATE_END);
    sameInPieces("4b 1c 05 00");
  });

  it("a match longer than 8 bytes from further than 8 back", () => {
    // Fixed: "abcdefghij", length 20 (symbol 269, extra 1) at distance 10 (code 6, extra 1), end.
    const z = "4b 4c 4a 4e 49 4d 4b cf c8 cc c2 c6 02 00";
    expect<string>(inflate(z)).toBe(repeat(ascii("abcdefghij"), 3));
    expect<i32>(code).toBe(INFLATE_END);
    sameInPieces(z);
  });

  it("stops at outLimit in the middle of a match and resumes", () => {
    fresh();
    const b = bytes("4b 1c 05 00");
    for (let i = 0; i < b.length; i++) store<u8>(IN + i, b[i]);
    inflateInput(ST, IN, b.length);
    expect<i32>(inflateRun(ST, 100)).toBe(INFLATE_OUTPUT);
    expect<u32>(inflateOutLen(ST)).toBe(100);
    expect<i32>(inflateRun(ST, 100)).toBe(INFLATE_OUTPUT);
    expect<u32>(inflateOutLen(ST)).toBe(100);
    expect<i32>(inflateRun(ST, 100)).toBe(INFLATE_END);
    expect<u32>(inflateOutLen(ST)).toBe(59);
    expect<string>(hexAt(inflateOutPtr(ST) - 200, 259)).toBe(repeat("61", 259));
  });

  it("a distance may not reach before the first byte produced", () => {
    // Fixed: length 3 at distance 1 with nothing produced yet.
    rejects("03 02 00");
    // Fixed: 'a', then length 3 at distance 2.
    rejects("4b 04 42 00");
  });

  it("a distance may not reach further back than the ring", () => {
    // After 600 stored bytes (BFINAL 0): fixed, length 3 at distance 513 (code 18, extra 0), end.
    const match = bytes("03 26 00 00");
    const b = stored600(false);
    fresh(9);
    expect<i32>(feedBytes(b)).toBe(INFLATE_NEED_INPUT);
    expect<i32>(feedBytes(match)).toBe(INFLATE_ERROR);
    fresh(10);
    expect<i32>(feedBytes(b)).toBe(INFLATE_NEED_INPUT);
    expect<i32>(feedBytes(match)).toBe(INFLATE_END);
    expect<u32>(<u32>out.length).toBe(603 * 2);
  });
});

describe("RFC 1951 3.2.6 fixed Huffman codes", () => {
  it("literal/length symbols 286 and 287 have codes but never occur", () => {
    // Fixed: 'a', then symbol 286 (287).
    rejects("4b 1c 03 00");
    rejects("4b 1c 07 00");
  });

  it("distance symbols 30 and 31 have codes but never occur", () => {
    // Fixed: 'a', length 3, distance code 30 (31).
    rejects("4b 04 3e 00");
    rejects("4b 04 7e 00");
  });
});

describe("RFC 1951 3.2.7 dynamic Huffman codes", () => {
  it("a block from zlib", () => {
    const z =
      "15 c7 b1 09 00 30 0c 03 c1 59 55 3c b8 10 08 14 ef 4f 92 e6 e0 16 19 06 95 03 24 8f 09 05 bb b4 fa 67 73 01";
    expect<string>(inflate(z)).toBe(ascii("tealeeheareseeeooeeehoereellrerraeeeheto"));
    expect<i32>(code).toBe(INFLATE_END);
    sameInPieces(z);
  });

  it("code lengths repeated with 16, zeros with 17 and 18", () => {
    // Literals a-h length 4, 256 length 2, 257-258 length 3; distances 0-3 length 2: "abcd", length 4
    // at distance 4, "h", end.
    const z = "15 83 09 02 00 00 0c 42 de ba 7b ff 7f 81 72 44 56 fb 07";
    expect<string>(inflate(z)).toBe(ascii("abcdabcdh"));
    expect<i32>(code).toBe(INFLATE_END);
    sameInPieces(z);
  });

  it("only literals: no distance code at all, or one of one bit", () => {
    // Literals a (1 bit), b (2), 256 (2), "aba"; HDIST 1 with length 0, then length 1.
    expect<string>(inflate("05 c0 81 05 00 00 00 c0 a0 5b db ff 47 8c 0c")).toBe(ascii("aba"));
    expect<i32>(code).toBe(INFLATE_END);
    expect<string>(inflate("05 c0 01 01 00 00 00 80 90 ad fa 3f 22 32")).toBe(ascii("aba"));
    expect<i32>(code).toBe(INFLATE_END);
    // HDIST 2: distance 0 unused, distance 1 the one code.
    expect<string>(inflate("05 c1 81 05 00 00 00 c0 a0 5b db ff 47 4c 32")).toBe(ascii("aba"));
    expect<i32>(code).toBe(INFLATE_END);
  });

  it("a single distance code must have one bit", () => {
    rejects("05 c0 01 01 00 00 00 80 90 ad fa 3f a2 64");
  });

  it("HDIST may count 32 codes; symbols 30 and 31 still never occur", () => {
    // 32 distance codes of 5 bits: 'a', length 3 at distance code 0, end; then the same with code 30.
    expect<string>(inflate("0d df 09 02 00 30 00 80 90 b7 fa ff 27 6a f7 ee dd bb 77 18 04")).toBe(
      ascii("aaaa"),
    );
    expect<i32>(code).toBe(INFLATE_END);
    rejects("0d df 09 02 00 30 00 80 90 b7 fa ff 27 6a f7 ee dd bb 77 f8 05");
  });

  it("HLIT is at most 286", () => {
    rejects("f5 00 00");
    rejects("fd 00 00");
  });

  it("the code length code may be neither over-subscribed nor incomplete", () => {
    // Symbols 0, 1, 2 of one bit each; then 18 of one bit and 1 of two.
    rejects("05 c0 01 04 00 00 00 40 10");
    rejects("05 c0 81 00 00 00 00 00 20");
  });

  it("16 cannot repeat a length before the first; no repeat may run past HLIT + HDIST", () => {
    rejects("05 00 82 00 ff 03");
    // 18 for 138 zeros twice: 276 lengths of 258.
    rejects("05 00 80 e4 ff 1f");
    // a and 256 of one bit, then 17 for 3 zeros where one distance length is left: valid but for that.
    rejects("05 c0 21 01 00 00 00 00 90 ad fe 9f 10 04");
  });

  it("the literal/length code may be neither over-subscribed nor incomplete", () => {
    // a, b, 256 of one bit each; then a of one bit and 256 of two.
    rejects("05 c0 81 00 00 00 00 00 90 56 fe 23 00");
    rejects("05 c0 01 01 00 00 00 80 90 ad fe 9f 08");
  });

  it("a literal/length code without symbol 256 could never end its block", () => {
    rejects("05 c0 81 00 00 00 00 00 90 56 fe 27 00");
  });
});

// The tail a receiver appends to each message (RFC 7692 7.2.2).
const TAIL = "00 00 ff ff";

describe("RFC 7692 7.2.3 examples", () => {
  it("7.2.3.1 a message compressed", () => {
    fresh();
    expect<i32>(feed(`f2 48 cd c9 c9 07 00 ${TAIL}`)).toBe(INFLATE_NEED_INPUT);
    expect<bool>(inflateAtBoundary(ST)).toBe(true);
    expect<string>(out).toBe(ascii("Hello"));
    sameInPieces(`f2 48 cd c9 c9 07 00 ${TAIL}`);
  });

  it("7.2.3.2 the second message refers to the first through the shared window", () => {
    fresh();
    expect<i32>(feed(`f2 48 cd c9 c9 07 00 ${TAIL}`)).toBe(INFLATE_NEED_INPUT);
    expect<i32>(feed(`f2 00 11 00 00 ${TAIL}`)).toBe(INFLATE_NEED_INPUT);
    expect<bool>(inflateAtBoundary(ST)).toBe(true);
    expect<string>(out).toBe(ascii("HelloHello"));
    // Without the first message, the second reaches before the stream's start.
    rejects(`f2 00 11 00 00 ${TAIL}`);
  });

  it("7.2.3.3 a block with no compression", () => {
    fresh();
    expect<i32>(feed(`00 05 00 fa ff 48 65 6c 6c 6f 00 ${TAIL}`)).toBe(INFLATE_NEED_INPUT);
    expect<bool>(inflateAtBoundary(ST)).toBe(true);
    expect<string>(out).toBe(ascii("Hello"));
  });

  it("7.2.3.4 a block with BFINAL set: the appended tail is left over", () => {
    fresh();
    expect<i32>(feed(`f3 48 cd c9 c9 07 00 ${TAIL}`)).toBe(INFLATE_END);
    expect<u32>(inflateInputLeft(ST)).toBe(4);
    expect<bool>(inflateAtBoundary(ST)).toBe(true);
    expect<string>(out).toBe(ascii("Hello"));
    expect<i32>(inflateRun(ST, ALL)).toBe(INFLATE_END, "END stays until init or continue");
    // Context takeover: the next message may use the window of this one.
    inflateContinue(ST);
    expect<i32>(feed(`f2 00 11 00 00 ${TAIL}`)).toBe(INFLATE_NEED_INPUT);
    expect<string>(out).toBe(ascii("HelloHello"));
  });

  it("what follows a BFINAL block is left over, also when decoded in bulk", () => {
    // "Hello" with BFINAL, then 20 bytes that are not part of it.
    fresh();
    expect<i32>(feed(`f3 48 cd c9 c9 07 00 ${repeat("ee", 20)}`)).toBe(INFLATE_END);
    expect<u32>(inflateInputLeft(ST)).toBe(20);
    expect<string>(out).toBe(ascii("Hello"));
  });

  it("7.2.3.5 two blocks in one message", () => {
    fresh();
    expect<i32>(feed(`f2 48 05 00 00 00 ff ff ca c9 c9 07 00 ${TAIL}`)).toBe(INFLATE_NEED_INPUT);
    expect<bool>(inflateAtBoundary(ST)).toBe(true);
    expect<string>(out).toBe(ascii("Hello"));
    sameInPieces(`f2 48 05 00 00 00 ff ff ca c9 c9 07 00 ${TAIL}`);
  });
});
