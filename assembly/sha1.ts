// SHA-1 (FIPS 180-4 6.1), used only to compute Sec-WebSocket-Accept (RFC 6455 4.2.2).

// Message schedule W[0..79] and the padded last one or two blocks: static, so no allocation.
const W = memory.data(80 * 4);
const TAIL = memory.data(128);

let h0: u32 = 0;
let h1: u32 = 0;
let h2: u32 = 0;
let h3: u32 = 0;
let h4: u32 = 0;

// FIPS 180-4 4.1.1 f(t) plus K(t) from 4.2.1, by round.
function roundValue(t: u32, b: u32, c: u32, d: u32): u32 {
  if (t < 20) return ((b & c) | (~b & d)) + 0x5a827999;
  if (t < 40) return (b ^ c ^ d) + 0x6ed9eba1;
  if (t < 60) return ((b & c) | (b & d) | (c & d)) + 0x8f1bbcdc;
  return (b ^ c ^ d) + 0xca62c1d6;
}

// FIPS 180-4 6.1.2: process one 64-byte block.
function block(p: usize): void {
  for (let t: u32 = 0; t < 16; t++) store<u32>(W + (t << 2), bswap<u32>(load<u32>(p + (t << 2))));
  for (let t: u32 = 16; t < 80; t++) {
    const w = W + (t << 2);
    store<u32>(
      w,
      rotl<u32>(load<u32>(w - 12) ^ load<u32>(w - 32) ^ load<u32>(w - 56) ^ load<u32>(w - 64), 1),
    );
  }
  let a = h0;
  let b = h1;
  let c = h2;
  let d = h3;
  let e = h4;
  for (let t: u32 = 0; t < 80; t++) {
    const x = rotl<u32>(a, 5) + roundValue(t, b, c, d) + e + load<u32>(W + (t << 2));
    e = d;
    d = c;
    c = rotl<u32>(b, 30);
    b = a;
    a = x;
  }
  h0 += a;
  h1 += b;
  h2 += c;
  h3 += d;
  h4 += e;
}

// Writes the 20-byte digest of [src, src+len) to dst (dst may overlap src).
export function sha1(src: usize, len: u32, dst: usize): void {
  h0 = 0x67452301;
  h1 = 0xefcdab89;
  h2 = 0x98badcfe;
  h3 = 0x10325476;
  h4 = 0xc3d2e1f0;
  const full = len & ~63;
  for (let off: u32 = 0; off < full; off += 64) block(src + off);
  // FIPS 180-4 5.1.1: 0x80, zeros, then the bit length in the last 8 bytes; a second block when
  // fewer than 9 bytes are left in this one.
  const rest = len - full;
  const tailLen: u32 = rest < 56 ? 64 : 128;
  memory.fill(TAIL, 0, 128);
  memory.copy(TAIL, src + full, rest);
  store<u8>(TAIL + rest, 0x80);
  store<u64>(TAIL + tailLen - 8, bswap<u64>((<u64>len) << 3));
  block(TAIL);
  if (tailLen == 128) block(TAIL + 64);
  store<u32>(dst, bswap<u32>(h0));
  store<u32>(dst + 4, bswap<u32>(h1));
  store<u32>(dst + 8, bswap<u32>(h2));
  store<u32>(dst + 12, bswap<u32>(h3));
  store<u32>(dst + 16, bswap<u32>(h4));
}
