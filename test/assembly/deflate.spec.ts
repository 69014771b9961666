import { deflateAlloc, deflateBound, deflateChunk, deflateInit } from "../../assembly/deflate";
import { buildLengths } from "../../assembly/huffman-encode";
import { hexAt } from "./hex";

// RFC 7692 7.2.1 over RFC 1951: the bytes our compressor puts on the wire.

const IN = heap.alloc(1 << 20);
const OUT = heap.alloc(deflateBound(1 << 20));
const st = deflateAlloc(15);

function ascii(s: string): u32 {
  for (let i = 0; i < s.length; i++) store<u8>(IN + i, <u8>s.charCodeAt(i));
  return s.length;
}

// n bytes of xorshift32 noise.
function noise(n: u32, seed: u32): void {
  let x = seed;
  for (let i: u32 = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    store<u8>(IN + i, <u8>x);
  }
}

// 30000 bytes repeating a noise pattern of period p: only distances that are multiples of p match.
function periodic(p: u32): void {
  noise(p, 5);
  for (let i = p; i < 30000; i++) store<u8>(IN + i, load<u8>(IN + i - p));
}

// One whole message from IN, fed in pieces of at most `piece` bytes.
function message(n: u32, piece: u32): u32 {
  let w: u32 = 0;
  let off: u32 = 0;
  do {
    const k = min(piece, n - off);
    off += k;
    w += deflateChunk(st, IN + off - k, k, OUT + w, off == n);
  } while (off < n);
  return w;
}

describe("RFC 7692 7.2.3 examples", () => {
  it("7.2.3.1: 'Hello' is f2 48 cd c9 c9 07 00 (fixed codes, the flush's 00 00 ff ff removed)", () => {
    for (let level: u32 = 1; level <= 9; level++) {
      deflateInit(st, 15, level);
      expect<string>(hexAt(OUT, message(ascii("Hello"), 65536))).toBe("f248cdc9c90700");
    }
  });

  it("7.2.3.2: with the window kept, a second 'Hello' is one match of 5 at distance 5: 02 13 00 00", () => {
    // The RFC's encoder sent 'H' and a match of 4 (f2 00 11 00 00); the whole match is a byte shorter.
    for (let level: u32 = 1; level <= 9; level += 8) {
      deflateInit(st, 15, level);
      message(ascii("Hello"), 65536);
      expect<string>(hexAt(OUT, message(ascii("Hello"), 65536))).toBe("02130000");
    }
  });

  it("7.2.3.6: an empty message is the single byte 00", () => {
    deflateInit(st, 15, 1);
    expect<u32>(message(0, 65536)).toBe(1);
    expect<u8>(load<u8>(OUT)).toBe(0);
  });

  it("pieces are held back until the message ends", () => {
    deflateInit(st, 15, 6);
    ascii("Hello");
    expect<u32>(deflateChunk(st, IN, 2, OUT, false)).toBe(0);
    expect<u32>(deflateChunk(st, IN + 2, 3, OUT, true)).toBe(7);
    expect<string>(hexAt(OUT, 7)).toBe("f248cdc9c90700");
  });
});

describe("block headers (RFC 1951 3.2.3): BFINAL is never set", () => {
  it("the first header's BFINAL bit is 0 for text, runs and noise at levels 1, 6 and 9", () => {
    const levels: u32[] = [1, 6, 9];
    for (let i = 0; i < levels.length; i++) {
      deflateInit(st, 15, levels[i]);
      message(ascii("Hello, hello, hello, hello!"), 65536);
      expect<u8>(load<u8>(OUT) & 1).toBe(0);
      memory.fill(IN, 0x61, 100000);
      deflateInit(st, 15, levels[i]);
      message(100000, 65536);
      expect<u8>(load<u8>(OUT) & 1).toBe(0);
      noise(1000, 7);
      deflateInit(st, 15, levels[i]);
      message(1000, 65536);
      expect<u8>(load<u8>(OUT) & 1).toBe(0);
    }
  });
});

describe("stored blocks (RFC 1951 3.2.4) for incompressible data", () => {
  it("1000 random bytes: one stored block 00 e8 03 17 fc, the bytes, then the flush marker 00", () => {
    noise(1000, 12345);
    deflateInit(st, 15, 1);
    const w = message(1000, 65536);
    expect<u32>(w).toBe(5 + 1000 + 1);
    expect<string>(hexAt(OUT, 5)).toBe("00e80317fc");
    expect<i32>(memory.compare(OUT + 5, IN, 1000)).toBe(0);
    expect<u8>(load<u8>(OUT + 1005)).toBe(0);
  });

  it("1 MiB of noise costs at most 5 bytes per 64 KiB over its size, at levels 1 and 6", () => {
    noise(1 << 20, 99);
    deflateInit(st, 15, 1);
    expect<u32>(message(1 << 20, 65536)).toBeLessThanOrEqual((1 << 20) + 5 * 17 + 1);
    deflateInit(st, 15, 6);
    expect<u32>(message(1 << 20, 1000)).toBeLessThanOrEqual((1 << 20) + 5 * 17 + 1);
  });
});

describe("windowBits (RFC 7692 7.1.2): distances never exceed 1 << windowBits", () => {
  // Without matches the noise costs about 7 bits a byte as literals.
  it("windowBits 8: a period of 257 finds no match, a period of 256 compresses", () => {
    for (let level: u32 = 1; level <= 9; level += 4) {
      periodic(257);
      deflateInit(st, 8, level);
      expect<u32>(message(30000, 4096)).toBeGreaterThan(25000);
      periodic(256);
      deflateInit(st, 8, level);
      expect<u32>(message(30000, 4096)).toBeLessThan(4000);
    }
  });

  it("windowBits 9 reaches a period of 512 but not 513", () => {
    periodic(513);
    deflateInit(st, 9, 6);
    expect<u32>(message(30000, 65536)).toBeGreaterThan(25000);
    periodic(512);
    deflateInit(st, 9, 6);
    expect<u32>(message(30000, 65536)).toBeLessThan(1500);
  });
});

const FREQ = heap.alloc(30 * 4);
const LENS = heap.alloc(30);

// The Kraft sum of the n lengths at LENS in units of 2^-limit, each checked to be 1..limit.
function kraftOver(n: u32, limit: u32): u32 {
  let sum: u32 = 0;
  for (let s: u32 = 0; s < n; s++) {
    const l = <u32>load<u8>(LENS + s);
    expect<u32>(l).toBeGreaterThan(0);
    expect<u32>(l).toBeLessThanOrEqual(limit);
    sum += ((<u32>1) << limit) >> l;
  }
  return sum;
}

describe("length-limited codes (RFC 1951 3.2.2, 3.2.7)", () => {
  // Fibonacci frequencies make the optimal code as deep as there are symbols.
  it("Fibonacci frequencies over 25 symbols: no code over 15 (or 7) bits, and the code is complete", () => {
    let a: u32 = 1;
    let b: u32 = 1;
    for (let s: u32 = 0; s < 25; s++) {
      store<u32>(FREQ + s * 4, a);
      const c = a + b;
      a = b;
      b = c;
    }
    buildLengths(FREQ, 25, 15, LENS);
    expect<u32>(kraftOver(25, 15)).toBe(1 << 15);
    buildLengths(FREQ, 19, 7, LENS);
    expect<u32>(kraftOver(19, 7)).toBe(1 << 7);
  });

  it("a lone symbol still gets a 1-bit code, and a second one beside it", () => {
    memory.fill(FREQ, 0, 30 * 4);
    store<u32>(FREQ + 5 * 4, 9);
    buildLengths(FREQ, 30, 15, LENS);
    expect<u8>(load<u8>(LENS + 5)).toBe(1);
    expect<u8>(load<u8>(LENS)).toBe(1);
  });
});
