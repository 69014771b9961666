// Base64 with padding (RFC 4648 4), for Sec-WebSocket-Key and Sec-WebSocket-Accept (RFC 6455 4.2.2).

const PAD: u32 = 61; // '='

// RFC 4648 table 1: value to character.
function encodeSextet(v: u32): u32 {
  if (v < 26) return v + 65; // A-Z
  if (v < 52) return v + 71; // a-z
  if (v < 62) return v - 4; // 0-9
  return v == 62 ? 43 : 47; // + /
}

// RFC 4648 table 1: character to value, or -1 for a character outside the alphabet.
function decodeSextet(c: u32): i32 {
  if (c - 65 < 26) return <i32>c - 65;
  if (c - 97 < 26) return <i32>c - 71;
  if (c - 48 < 10) return <i32>c + 4;
  if (c == 43) return 62;
  if (c == 47) return 63;
  return -1;
}

// Writes ceil(len / 3) * 4 characters to dst and returns that length.
export function base64Encode(src: usize, len: u32, dst: usize): u32 {
  let o = dst;
  let i: u32 = 0;
  for (; i + 3 <= len; i += 3) {
    const v = ((<u32>load<u8>(src + i)) << 16) | ((<u32>load<u8>(src + i + 1)) << 8) | load<u8>(src + i + 2);
    store<u8>(o, encodeSextet(v >> 18));
    store<u8>(o + 1, encodeSextet((v >> 12) & 63));
    store<u8>(o + 2, encodeSextet((v >> 6) & 63));
    store<u8>(o + 3, encodeSextet(v & 63));
    o += 4;
  }
  const rest = len - i;
  if (rest == 0) return <u32>(o - dst);
  // RFC 4648 4: a final 1 or 2 bytes become 2 or 3 characters plus '=' padding.
  const v = ((<u32>load<u8>(src + i)) << 16) | (rest == 2 ? (<u32>load<u8>(src + i + 1)) << 8 : 0);
  store<u8>(o, encodeSextet(v >> 18));
  store<u8>(o + 1, encodeSextet((v >> 12) & 63));
  store<u8>(o + 2, rest == 2 ? encodeSextet((v >> 6) & 63) : PAD);
  store<u8>(o + 3, PAD);
  return <u32>(o + 4 - dst);
}

// Decodes the padded quantum at p; returns its 24 bits, or -1 if a character is invalid.
// Pad bits of a final quantum are ignored (RFC 4648 3.5 allows either).
function quantum(p: usize, last: bool): i32 {
  const c2 = load<u8>(p + 2);
  const c3 = load<u8>(p + 3);
  // RFC 4648 4: '=' only at the end of the last quantum, "xx==" or "xxx=".
  const pad2 = last && c2 == PAD && c3 == PAD;
  const pad3 = last && c3 == PAD;
  const a = decodeSextet(load<u8>(p));
  const b = decodeSextet(load<u8>(p + 1));
  const c = pad2 ? 0 : decodeSextet(c2);
  const d = pad3 ? 0 : decodeSextet(c3);
  if ((a | b | c | d) < 0) return -1;
  return (a << 18) | (b << 12) | (c << 6) | d;
}

// Decodes [src, src+len) to dst (which may be src) and returns the byte count, or -1 if the input
// is not padded base64: a length not a multiple of 4, a character outside the alphabet, or '='
// anywhere but the end.
export function base64Decode(src: usize, len: u32, dst: usize): i32 {
  if (len & 3) return -1;
  let o = dst;
  for (let i: u32 = 0; i < len; i += 4) {
    const last = i + 4 == len;
    const v = quantum(src + i, last);
    if (v < 0) return -1;
    // Counted before the stores: decoding in place overwrites the first quantum.
    const pads = last ? <usize>(load<u8>(src + i + 3) == PAD) + <usize>(load<u8>(src + i + 2) == PAD) : 0;
    store<u8>(o, <u8>(v >> 16));
    store<u8>(o + 1, <u8>(v >> 8));
    store<u8>(o + 2, <u8>v);
    o += 3 - pads;
  }
  return <i32>(o - dst);
}
