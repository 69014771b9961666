import { base64Decode, base64Encode } from "../../assembly/base64";

// The UTF-8 bytes of s, copied to fresh memory.
function bytes(s: string): usize {
  const buf = String.UTF8.encode(s);
  const p = heap.alloc(max<i32>(buf.byteLength, 1));
  memory.copy(p, changetype<usize>(buf), buf.byteLength);
  return p;
}

function text(p: usize, n: u32): string {
  return String.UTF8.decodeUnsafe(p, n);
}

function encode(s: string): string {
  const dst = heap.alloc(64);
  const n = base64Encode(bytes(s), String.UTF8.byteLength(s), dst);
  return text(dst, n);
}

// The decoded text, or "<invalid>".
function decode(s: string): string {
  const dst = heap.alloc(64);
  const n = base64Decode(bytes(s), String.UTF8.byteLength(s), dst);
  return n < 0 ? "<invalid>" : text(dst, n);
}

describe("base64 (RFC 4648 10, test vectors)", () => {
  it("encodes", () => {
    expect(encode("")).toBe("");
    expect(encode("f")).toBe("Zg==");
    expect(encode("fo")).toBe("Zm8=");
    expect(encode("foo")).toBe("Zm9v");
    expect(encode("foob")).toBe("Zm9vYg==");
    expect(encode("fooba")).toBe("Zm9vYmE=");
    expect(encode("foobar")).toBe("Zm9vYmFy");
  });
  it("decodes", () => {
    expect(decode("")).toBe("");
    expect(decode("Zg==")).toBe("f");
    expect(decode("Zm8=")).toBe("fo");
    expect(decode("Zm9v")).toBe("foo");
    expect(decode("Zm9vYg==")).toBe("foob");
    expect(decode("Zm9vYmE=")).toBe("fooba");
    expect(decode("Zm9vYmFy")).toBe("foobar");
  });
  it("returns the written length: 4 characters per 3 bytes, rounded up", () => {
    const dst = heap.alloc(64);
    expect(base64Encode(bytes("foob"), 4, dst)).toBe(8);
    expect(base64Decode(bytes("Zm9vYg=="), 8, dst)).toBe(4);
  });
});

describe("base64 alphabet (RFC 4648 table 1)", () => {
  it("bytes fb ff are +/8=", () => {
    const src = heap.alloc(2);
    store<u8>(src, 0xfb);
    store<u8>(src + 1, 0xff);
    const dst = heap.alloc(4);
    expect(base64Encode(src, 2, dst)).toBe(4);
    expect(text(dst, 4)).toBe("+/8=");
    expect(base64Decode(dst, 4, src)).toBe(2);
    expect(load<u8>(src)).toBe(0xfb);
    expect(load<u8>(src + 1)).toBe(0xff);
  });
  it("every byte value 0..255 survives a round trip", () => {
    const src = heap.alloc(256);
    for (let i: u32 = 0; i < 256; i++) store<u8>(src + i, <u8>i);
    const enc = heap.alloc(344);
    expect(base64Encode(src, 256, enc)).toBe(344);
    expect(text(enc, 16)).toBe("AAECAwQFBgcICQoL");
    expect(text(enc + 336, 8)).toBe("/P3+/w==");
    const dec = heap.alloc(258);
    expect(base64Decode(enc, 344, dec)).toBe(256);
    expect(memory.compare(src, dec, 256)).toBe(0);
  });
  it("decodes in place", () => {
    const p = bytes("Zm9vYmE=");
    expect(base64Decode(p, 8, p)).toBe(5);
    expect(text(p, 5)).toBe("fooba");
    const q = bytes("Zg==");
    expect(base64Decode(q, 4, q)).toBe(1);
    expect(text(q, 1)).toBe("f");
  });
});

describe("base64 rejects what is not padded base64 (RFC 4648 3.3, 4)", () => {
  it("a length that is not a multiple of 4 (padding left off)", () => {
    expect(decode("Zg")).toBe("<invalid>");
    expect(decode("Zg=")).toBe("<invalid>");
    expect(decode("Zm9vY")).toBe("<invalid>");
  });
  it("characters outside the alphabet: whitespace, the URL-safe - and _, NUL", () => {
    expect(decode("Zm9 ")).toBe("<invalid>");
    expect(decode("Zm9\n")).toBe("<invalid>");
    expect(decode("-_8=")).toBe("<invalid>");
    expect(decode("Zm9\0")).toBe("<invalid>");
  });
  it("'=' anywhere but the end of the last quantum", () => {
    expect(decode("Z===")).toBe("<invalid>");
    expect(decode("====")).toBe("<invalid>");
    expect(decode("Zg=a")).toBe("<invalid>");
    expect(decode("=Zm9")).toBe("<invalid>");
    expect(decode("Zg==Zm9v")).toBe("<invalid>");
    expect(decode("Zm=v")).toBe("<invalid>");
  });
});
