import { sha1 } from "../../assembly/sha1";
import { hexAt } from "./hex";

// The UTF-8 bytes of s, copied to fresh memory.
function bytes(s: string): usize {
  const buf = String.UTF8.encode(s);
  const p = heap.alloc(buf.byteLength);
  memory.copy(p, changetype<usize>(buf), buf.byteLength);
  return p;
}

function digestOf(p: usize, n: u32): string {
  const d = heap.alloc(20);
  sha1(p, n, d);
  return hexAt(d, 20);
}

function digest(s: string): string {
  return digestOf(bytes(s), String.UTF8.byteLength(s));
}

// n bytes of 'a'.
function run(n: u32): string {
  const p = heap.alloc(max<usize>(n, 1));
  memory.fill(p, 0x61, n);
  return digestOf(p, n);
}

describe("SHA-1 (FIPS 180-4), the examples of FIPS 180-2 appendix A", () => {
  it('"abc" (one block)', () => {
    expect(digest("abc")).toBe("a9993e364706816aba3e25717850c26c9cd0d89d");
  });
  it("the empty message", () => {
    expect(digest("")).toBe("da39a3ee5e6b4b0d3255bfef95601890afd80709");
  });
  it("the 448-bit message: its padding needs a second block", () => {
    expect(digest("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")).toBe(
      "84983e441c3bd26ebaae4aa1f95129e5e54670f1",
    );
  });
  it("one million 'a'", () => {
    expect(run(1000000)).toBe("34aa973cd4c4daa4f61eeb2bdbad27316534016f");
  });
});

describe("SHA-1 padding (FIPS 180-4 5.1.1) around the 56-byte boundary", () => {
  it("55 bytes: 0x80 and the length fit in the last block", () => {
    expect(run(55)).toBe("c1c8bbdc22796e28c0e15163d20899b65621d65a");
  });
  it("56 and 57 bytes: the length spills into one more block", () => {
    expect(run(56)).toBe("c2db330f6083854c99d4b5bfb6e8f29f201be699");
    expect(run(57)).toBe("f08f24908d682555111be7ff6f004e78283d989a");
  });
  it("63, 64 and 65 bytes: around one full block", () => {
    expect(run(63)).toBe("03f09f5b158a7a8cdad920bddc29b81c18a551f5");
    expect(run(64)).toBe("0098ba824b5c16427bd7a1122a5a442a25ec644d");
    expect(run(65)).toBe("11655326c708d70319be2610e8a57d9a5b959d3b");
  });
  it("119, 120 and 128 bytes: the same in the second block", () => {
    expect(run(119)).toBe("ee971065aaa017e0632a8ca6c77bb3bf8b1dfc56");
    expect(run(120)).toBe("f34c1488385346a55709ba056ddd08280dd4c6d6");
    expect(run(128)).toBe("ad5b3fdbcb526778c2839d2f151ea753995e26a0");
  });
  it("every byte value 0..255 (bytes, not text)", () => {
    const p = heap.alloc(256);
    for (let i: u32 = 0; i < 256; i++) store<u8>(p + i, <u8>i);
    expect(digestOf(p, 256)).toBe("4916d6bdb7f78e6803698cab32d1586ea457dfc8");
  });
  it("the digest may overwrite its input", () => {
    const p = bytes("abc");
    const q = heap.alloc(20);
    memory.copy(q, p, 3);
    sha1(q, 3, q);
    expect(hexAt(q, 20)).toBe("a9993e364706816aba3e25717850c26c9cd0d89d");
  });
});
