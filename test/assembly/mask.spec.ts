import { mask, maskBytewise } from "../../assembly/mask";
import { unmaskAscii } from "../../assembly/utf8";

// RFC 6455 5.3: payload byte i is XORed with masking-key byte i % 4.

const KEYS: u32[] = [0x3d21fa37, 0x00000000, 0xffffffff, 0x01020304, 0x80000001, 0xa5c3e10f];
// Room for the longest run plus 15 alignment bytes and 8 guard bytes on each side.
const SIZE: usize = 8192;
const A = heap.alloc(SIZE);
const B = heap.alloc(SIZE);

// Puts the same non-repeating bytes in both buffers.
function fill(n: usize, seed: u32): void {
  for (let i: usize = 0; i < n; i++) {
    const v = <u8>((<u32>i * 167 + seed * 31 + 11) ^ (<u32>i >> 8));
    store<u8>(A + i, v);
    store<u8>(B + i, v);
  }
}

// The index of the first byte where A and B differ, or -1.
function firstDifference(n: usize): i32 {
  for (let i: usize = 0; i < n; i++) if (load<u8>(A + i) != load<u8>(B + i)) return <i32>i;
  return -1;
}

// Fresh memory holding the given bytes.
function wire(bytes: u8[]): usize {
  const p = heap.alloc(bytes.length);
  for (let i = 0; i < bytes.length; i++) store<u8>(p + i, bytes[i]);
  return p;
}

describe("mask (RFC 6455 5.3)", () => {
  it("5.7: 'Hello' with key 37 fa 21 3d is 7f 9f 4d 51 58 on the wire, and back", () => {
    const key = load<u32>(wire([0x37, 0xfa, 0x21, 0x3d]));
    const p = wire([0x48, 0x65, 0x6c, 0x6c, 0x6f]);
    mask(p, 5, key, 0);
    const masked: u8[] = [0x7f, 0x9f, 0x4d, 0x51, 0x58];
    for (let i = 0; i < 5; i++) expect<u8>(load<u8>(p + i)).toBe(masked[i]);
    mask(p, 5, key, 0);
    const hello: u8[] = [0x48, 0x65, 0x6c, 0x6c, 0x6f];
    for (let i = 0; i < 5; i++) expect<u8>(load<u8>(p + i)).toBe(hello[i]);
  });

  it("pos says where in the key the call starts: 'llo' from pos 2 is 4d 51 58", () => {
    const key = load<u32>(wire([0x37, 0xfa, 0x21, 0x3d]));
    const p = wire([0x6c, 0x6c, 0x6f]);
    mask(p, 3, key, 2);
    expect<u8>(load<u8>(p)).toBe(0x4d);
    expect<u8>(load<u8>(p + 1)).toBe(0x51);
    expect<u8>(load<u8>(p + 2)).toBe(0x58);
  });

  it("equals the byte-wise reference at every length 0..64, alignment 0..15, pos 0..3, several keys", () => {
    let failure = "";
    for (let k = 0; k < KEYS.length; k++) {
      for (let align: usize = 0; align < 16; align++) {
        for (let len: usize = 0; len <= 64; len++) {
          for (let pos: u32 = 0; pos < 4; pos++) {
            // 8 guard bytes before and after must not change.
            const n = align + len + 16;
            fill(n, <u32>len);
            mask(A + 8 + align, len, KEYS[k], pos);
            maskBytewise(B + 8 + align, len, KEYS[k], pos);
            if (failure == "" && firstDifference(n) >= 0)
              failure = `key ${k} align ${align} len ${len} pos ${pos}`;
          }
        }
      }
    }
    expect<string>(failure).toBe("");
  });

  it("equals the byte-wise reference past the unrolled blocks: lengths up to 8000", () => {
    const lens: usize[] = [65, 79, 80, 127, 128, 129, 143, 191, 255, 256, 1000, 4099, 8000];
    let failure = "";
    for (let i = 0; i < lens.length; i++) {
      for (let align: usize = 0; align < 16; align++) {
        for (let pos: u32 = 0; pos < 4; pos++) {
          const len = lens[i];
          const n = align + len + 16;
          fill(n, <u32>len);
          mask(A + 8 + align, len, KEYS[0], pos);
          maskBytewise(B + 8 + align, len, KEYS[0], pos);
          if (failure == "" && firstDifference(n) >= 0) failure = `align ${align} len ${len} pos ${pos}`;
        }
      }
    }
    expect<string>(failure).toBe("");
  });

  it("two calls split at any point, carrying pos, equal one call", () => {
    const len: usize = 150;
    let failure = "";
    for (let pos: u32 = 0; pos < 4; pos++) {
      for (let cut: usize = 0; cut <= len; cut++) {
        fill(len, 7);
        mask(A, cut, KEYS[0], pos);
        mask(A + cut, len - cut, KEYS[0], (pos + <u32>cut) & 3);
        mask(B, len, KEYS[0], pos);
        if (failure == "" && firstDifference(len) >= 0) failure = `pos ${pos} cut ${cut}`;
      }
    }
    expect<string>(failure).toBe("");
  });

  it("masking twice restores the payload", () => {
    fill(1000, 3);
    mask(A + 3, 990, KEYS[3], 1);
    mask(A + 3, 990, KEYS[3], 1);
    expect<i32>(firstDifference(1000)).toBe(-1);
  });
});

// Whether every byte of B's [at, at + n) is below 0x80, one byte at a time.
function asciiBytewise(at: usize, n: usize): bool {
  for (let i: usize = 0; i < n; i++) if (load<u8>(B + at + i) >= 0x80) return false;
  return true;
}

describe("unmaskAscii", () => {
  it("unmasks as the byte-wise reference and tells ASCII exactly: lengths 0..140, every alignment and pos, a high byte anywhere", () => {
    let failure = "";
    for (let k = 0; k < KEYS.length; k++) {
      for (let align: usize = 0; align < 16; align += 5) {
        for (let len: usize = 0; len <= 140; len++) {
          for (let pos: u32 = 0; pos < 4; pos++) {
            // high == len: ASCII throughout; else one byte at `high` is 0x80 or more once unmasked.
            for (let high: usize = 0; high <= len; high += len < 20 ? 1 : 7) {
              const n = align + len + 16;
              for (let i: usize = 0; i < n; i++) {
                const plain = <u8>(i == 8 + align + high ? 0x80 | <u32>i : (<u32>i * 37 + <u32>len) & 0x7f);
                const keyByte = <u8>(KEYS[k] >>> (((pos + <u32>(i - 8 - align)) & 3) << 3));
                const masked = i >= 8 + align && i < 8 + align + len ? plain ^ keyByte : plain;
                store<u8>(A + i, masked);
                store<u8>(B + i, masked);
              }
              const ascii = unmaskAscii(A + 8 + align, len, KEYS[k], pos);
              maskBytewise(B + 8 + align, len, KEYS[k], pos);
              if (failure == "" && firstDifference(n) >= 0)
                failure = `bytes: key ${k} align ${align} len ${len} pos ${pos} high ${high}`;
              if (failure == "" && ascii != asciiBytewise(8 + align, len))
                failure = `ascii: key ${k} align ${align} len ${len} pos ${pos} high ${high}`;
            }
          }
        }
      }
    }
    expect<string>(failure).toBe("");
  });
});
