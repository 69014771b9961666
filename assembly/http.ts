// HTTP/1.1 message heads (RFC 7230 3), as much as the WebSocket opening handshake needs: find the
// end of the head, split it into lines, check header syntax, and fill the handshake record's
// header table. Static strings are counted: one length byte, then the bytes.
import {
  ERR_HS_MALFORMED,
  ERR_HS_TOO_MANY_HEADERS,
  HS_ERROR,
  HS_HEADER_COUNT,
  HS_HEADER_SIZE,
  HS_HEADERS,
  HS_MAX_HEADERS,
  HS_STATUS,
} from "./abi";
import { hsBase } from "./regions";

const HTAB: u32 = 9;
const LF: u32 = 10;
const CR: u32 = 13;
const SP: u32 = 32;
const COMMA: u32 = 44;
const COLON: u32 = 58;

export function litLen(lit: usize): u32 {
  return load<u8>(lit);
}

export function litPtr(lit: usize): usize {
  return lit + 1;
}

function lower(c: u32): u32 {
  return c - 65 < 26 ? c | 32 : c;
}

// ASCII case-insensitive equality of n bytes.
export function eqFold(a: usize, b: usize, n: u32): bool {
  for (let i: u32 = 0; i < n; i++) {
    if (lower(load<u8>(a + i)) != lower(load<u8>(b + i))) return false;
  }
  return true;
}

// True when [p, p+n) equals the counted string lit, ignoring ASCII case.
export function isLit(p: usize, n: u32, lit: usize): bool {
  return n == litLen(lit) && eqFold(p, litPtr(lit), n);
}

// RFC 7230 3.2.6: tchar.
export function isTchar(c: u32): bool {
  if (c - 48 < 10 || lower(c) - 97 < 26) return true;
  switch (c) {
    case 33: // !
    case 35: // #
    case 36: // $
    case 37: // %
    case 38: // &
    case 39: // '
    case 42: // *
    case 43: // +
    case 45: // -
    case 46: // .
    case 94: // ^
    case 95: // _
    case 96: // `
    case 124: // |
    case 126: // ~
      return true;
  }
  return false;
}

// True when every byte of [p, p+n) is a tchar and n > 0.
export function isToken(p: usize, n: u32): bool {
  for (let i: u32 = 0; i < n; i++) if (!isTchar(load<u8>(p + i))) return false;
  return n > 0;
}

function isOws(c: u32): bool {
  return c == SP || c == HTAB;
}

export function skipOws(p: usize, end: usize): usize {
  while (p < end && isOws(load<u8>(p))) p++;
  return p;
}

export function trimOws(p: usize, end: usize): usize {
  while (end > p && isOws(load<u8>(end - 1))) end--;
  return end;
}

// The next ',' in [p, end), or end.
export function commaAt(p: usize, end: usize): usize {
  while (p < end && load<u8>(p) != COMMA) p++;
  return p;
}

// RFC 7230 7: does the #list [p, p+n) contain item? Elements are trimmed of OWS; empty ones skipped.
export function listHas(p: usize, n: u32, item: usize, itemLen: u32, fold: bool): bool {
  const end = p + n;
  while (p <= end) {
    const c = commaAt(p, end);
    const a = skipOws(p, c);
    const len = <u32>(trimOws(a, c) - a);
    if (len == itemLen && (fold ? eqFold(a, item, len) : memory.compare(a, item, len) == 0)) return true;
    p = c + 1;
  }
  return false;
}

// Bytes through the CRLF CRLF that ends the head (RFC 7230 3), or through the first LF LF, a head
// with bare LFs that lineEnd then rejects, rather than waiting for a CRLF CRLF that never comes;
// 0 while it may still come, -1 once more than maxBytes arrived without it.
export function headEnd(p: usize, len: u32, maxBytes: u32): i32 {
  const n = min(len, maxBytes);
  for (let i: u32 = 1; i < n; i++) {
    if (load<u8>(p + i) != LF) continue;
    const before = load<u8>(p + i - 1);
    if (before == LF || (before == CR && i >= 3 && load<u16>(p + i - 3) == 0x0a0d)) return <i32>(i + 1);
  }
  return len > maxBytes ? -1 : 0;
}

// The CR of the CRLF ending the line at p, or 0 when the line holds a bare CR or LF or a NUL
// (RFC 7230 3.5 allows rejecting them). The head's last CRLF CRLF bounds the scan.
export function lineEnd(p: usize): usize {
  while (true) {
    const c = load<u8>(p);
    if (c == CR) return load<u8>(p + 1) == LF ? p : 0;
    if (c == LF || c == 0) return 0;
    p++;
  }
}

// The colon after the field name at p, or 0 when the name is empty or not a token: this rejects
// obs-fold (RFC 7230 3.2.4: a line starting with whitespace) and whitespace before the colon.
function nameEnd(p: usize, eol: usize): usize {
  let q = p;
  while (q < eol && isTchar(load<u8>(q))) q++;
  return q > p && q < eol && load<u8>(q) == COLON ? q : 0;
}

export function clearRecord(): void {
  memory.fill(hsBase, 0, HS_HEADERS);
}

export function headerCount(): u32 {
  return load<u32>(hsBase + HS_HEADER_COUNT);
}

export function headerEntry(i: u32): usize {
  return hsBase + HS_HEADERS + i * HS_HEADER_SIZE;
}

// RFC 7230 3.2: header fields from p up to the empty line, into the header table (values trimmed
// of OWS). Returns 0, ERR_HS_MALFORMED or ERR_HS_TOO_MANY_HEADERS.
export function scanHeaders(p: usize, maxHeaders: u32): u32 {
  const cap = min(maxHeaders, HS_MAX_HEADERS);
  let count: u32 = 0;
  while (true) {
    const eol = lineEnd(p);
    if (eol == 0) return ERR_HS_MALFORMED;
    if (eol == p) return 0;
    if (count == cap) return ERR_HS_TOO_MANY_HEADERS;
    const colon = nameEnd(p, eol);
    if (colon == 0) return ERR_HS_MALFORMED;
    const v = skipOws(colon + 1, eol);
    const e = headerEntry(count);
    store<u32>(e, <u32>p);
    store<u32>(e + 4, <u32>(colon - p));
    store<u32>(e + 8, <u32>v);
    store<u32>(e + 12, <u32>(trimOws(v, eol) - v));
    store<u32>(hsBase + HS_HEADER_COUNT, ++count);
    p = eol + 2;
  }
}

// Index of the first header named lit (case-insensitive, RFC 7230 3.2) at or after from, or the
// header count when there is none.
export function findHeader(lit: usize, from: u32): u32 {
  const n = headerCount();
  for (let i = from; i < n; i++) {
    const e = headerEntry(i);
    if (isLit(<usize>load<u32>(e), load<u32>(e + 4), lit)) return i;
  }
  return n;
}

// How many headers are named lit.
export function countHeader(lit: usize): u32 {
  const n = headerCount();
  let k: u32 = 0;
  for (let i = findHeader(lit, 0); i < n; i = findHeader(lit, i + 1)) k++;
  return k;
}

// Copies the value of the first header named lit into the record field at off (ptr 0 len 0 if none).
export function setField(off: u32, lit: usize): void {
  const i = findHeader(lit, 0);
  if (i == headerCount()) return;
  const e = headerEntry(i);
  store<u64>(hsBase + off, load<u64>(e + 8));
}

// RFC 7230 7: does any header named lit hold token in its #list (case-insensitive)?
export function anyHasToken(lit: usize, token: usize): bool {
  const n = headerCount();
  for (let i = findHeader(lit, 0); i < n; i = findHeader(lit, i + 1)) {
    const e = headerEntry(i);
    if (listHas(<usize>load<u32>(e + 8), load<u32>(e + 12), litPtr(token), litLen(token), true)) return true;
  }
  return false;
}

// RFC 7230 2.6: "HTTP/" DIGIT "." DIGIT at p; returns major * 10 + minor, or -1.
export function httpVersion(p: usize): i32 {
  // "HTTP/" little-endian, then "."
  if (load<u32>(p) != 0x50545448 || load<u8>(p + 4) != 47 || load<u8>(p + 6) != 46) return -1;
  const major = <u32>load<u8>(p + 5) - 48;
  const minor = <u32>load<u8>(p + 7) - 48;
  return major < 10 && minor < 10 ? <i32>(major * 10 + minor) : -1;
}

export function storeField(off: u32, p: usize, n: u32): void {
  store<u32>(hsBase + off, <u32>p);
  store<u32>(hsBase + off + 4, n);
}

// Writes the record's status and error id and returns the status.
export function finish(status: u32, err: u32): u32 {
  store<u32>(hsBase + HS_STATUS, status);
  store<u32>(hsBase + HS_ERROR, err);
  return status;
}
