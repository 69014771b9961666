// The opening handshake (RFC 6455 4): the server parses and checks the client's request (4.2.1)
// and computes Sec-WebSocket-Accept (4.2.2); the client builds its request (4.1) and validates
// the server's response (4.1, "the client MUST validate"). Results go to the record at hsBase.
import {
  ERR_HS_ACCEPT,
  ERR_HS_CONNECTION,
  ERR_HS_EXTENSION,
  ERR_HS_FIELD,
  ERR_HS_HOST,
  ERR_HS_HTTP_VERSION,
  ERR_HS_KEY,
  ERR_HS_MALFORMED,
  ERR_HS_METHOD,
  ERR_HS_PROTOCOL,
  ERR_HS_STATUS,
  ERR_HS_TOO_LARGE,
  ERR_HS_TOO_MANY_HEADERS,
  ERR_HS_UPGRADE,
  ERR_HS_VERSION,
  HS_ACCEPT,
  HS_END,
  HS_EXTENSIONS,
  HS_HOST,
  HS_KEY,
  HS_MAX_HEADERS,
  HS_ORIGIN,
  HS_PATH,
  HS_PROTOCOL,
  SEND_CAP,
} from "./abi";
import { base64Decode, base64Encode } from "./base64";
import {
  anyHasToken,
  clearRecord,
  commaAt,
  countHeader,
  findHeader,
  finish,
  headEnd,
  headerCount,
  headerEntry,
  httpVersion,
  isTchar,
  isToken,
  lineEnd,
  listHas,
  litLen,
  litPtr,
  scanHeaders,
  setField,
  skipOws,
  storeField,
} from "./http";
import { hsBase, sendBase } from "./regions";
import { ctrlPtr } from "./session";
import { sha1 } from "./sha1";

// Counted strings (a length byte, then the bytes). Header names are lowercase: matched ignoring case.
// "host"
const N_HOST = memory.data<u8>([4, 104, 111, 115, 116]);
// "upgrade", also the Connection token
const N_UPGRADE = memory.data<u8>([7, 117, 112, 103, 114, 97, 100, 101]);
// "connection"
const N_CONNECTION = memory.data<u8>([10, 99, 111, 110, 110, 101, 99, 116, 105, 111, 110]);
// "origin"
const N_ORIGIN = memory.data<u8>([6, 111, 114, 105, 103, 105, 110]);
// "sec-websocket-key"
const N_KEY = memory.data<u8>([
  17, 115, 101, 99, 45, 119, 101, 98, 115, 111, 99, 107, 101, 116, 45, 107, 101, 121,
]);
// "sec-websocket-version"
const N_VERSION = memory.data<u8>([
  21, 115, 101, 99, 45, 119, 101, 98, 115, 111, 99, 107, 101, 116, 45, 118, 101, 114, 115, 105, 111, 110,
]);
// "sec-websocket-protocol"
const N_PROTOCOL = memory.data<u8>([
  22, 115, 101, 99, 45, 119, 101, 98, 115, 111, 99, 107, 101, 116, 45, 112, 114, 111, 116, 111, 99, 111, 108,
]);
// "sec-websocket-extensions"
const N_EXTENSIONS = memory.data<u8>([
  24, 115, 101, 99, 45, 119, 101, 98, 115, 111, 99, 107, 101, 116, 45, 101, 120, 116, 101, 110, 115, 105, 111,
  110, 115,
]);
// "sec-websocket-accept"
const N_ACCEPT = memory.data<u8>([
  20, 115, 101, 99, 45, 119, 101, 98, 115, 111, 99, 107, 101, 116, 45, 97, 99, 99, 101, 112, 116,
]);
// "websocket"
const T_WEBSOCKET = memory.data<u8>([9, 119, 101, 98, 115, 111, 99, 107, 101, 116]);
// "13"
const V_13 = memory.data<u8>([2, 49, 51]);
// "258EAFA5-E914-47DA-95CA-C5AB0DC85B11" (RFC 6455 1.3)
const GUID = memory.data<u8>([
  36, 50, 53, 56, 69, 65, 70, 65, 53, 45, 69, 57, 49, 52, 45, 52, 55, 68, 65, 45, 57, 53, 67, 65, 45, 67, 53,
  65, 66, 48, 68, 67, 56, 53, 66, 49, 49,
]);
// "GET "
const R_GET = memory.data<u8>([4, 71, 69, 84, 32]);
// " HTTP/1.1\r\nHost: "
const R_HOST = memory.data<u8>([17, 32, 72, 84, 84, 80, 47, 49, 46, 49, 13, 10, 72, 111, 115, 116, 58, 32]);
// "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: "
const R_KEY = memory.data<u8>([
  62, 13, 10, 85, 112, 103, 114, 97, 100, 101, 58, 32, 119, 101, 98, 115, 111, 99, 107, 101, 116, 13, 10, 67,
  111, 110, 110, 101, 99, 116, 105, 111, 110, 58, 32, 85, 112, 103, 114, 97, 100, 101, 13, 10, 83, 101, 99,
  45, 87, 101, 98, 83, 111, 99, 107, 101, 116, 45, 75, 101, 121, 58, 32,
]);
// "\r\nSec-WebSocket-Version: 13\r\n"
const R_VERSION = memory.data<u8>([
  29, 13, 10, 83, 101, 99, 45, 87, 101, 98, 83, 111, 99, 107, 101, 116, 45, 86, 101, 114, 115, 105, 111, 110,
  58, 32, 49, 51, 13, 10,
]);
// "Origin: "
const R_ORIGIN = memory.data<u8>([8, 79, 114, 105, 103, 105, 110, 58, 32]);
// "Sec-WebSocket-Protocol: "
const R_PROTOCOL = memory.data<u8>([
  24, 83, 101, 99, 45, 87, 101, 98, 83, 111, 99, 107, 101, 116, 45, 80, 114, 111, 116, 111, 99, 111, 108, 58,
  32,
]);
// "Sec-WebSocket-Extensions: "
const R_EXTENSIONS = memory.data<u8>([
  26, 83, 101, 99, 45, 87, 101, 98, 83, 111, 99, 107, 101, 116, 45, 69, 120, 116, 101, 110, 115, 105, 111,
  110, 115, 58, 32,
]);
// "\r\n"
const CRLF = memory.data<u8>([2, 13, 10]);

const KEY_LEN: u32 = 24;
const ACCEPT_LEN: u32 = 28;
// key + GUID at 0 (60 bytes); the digest, or a key decoded to check it, at 64.
const SCRATCH = memory.data(96);

// ---- Sec-WebSocket-Key and Sec-WebSocket-Accept ----

// RFC 6455 4.1 item 7: a key is base64 of 16 bytes, so exactly 24 characters.
function isKey(p: usize, n: u32): bool {
  return n == KEY_LEN && base64Decode(p, n, SCRATCH + 64) == 16;
}

// RFC 6455 4.2.2 item 5.4: base64(SHA-1(key + GUID)), 28 bytes at dst.
function writeAccept(key: usize, dst: usize): void {
  memory.copy(SCRATCH, key, KEY_LEN);
  memory.copy(SCRATCH + KEY_LEN, litPtr(GUID), litLen(GUID));
  sha1(SCRATCH, KEY_LEN + litLen(GUID), SCRATCH + 64);
  base64Encode(SCRATCH + 64, 20, dst);
}

// For a request another parser already read: checks the key and writes the accept value at
// hsBase + HS_ACCEPT. Returns 28, or 0 for an invalid key.
export function acceptKey(keyPtr: usize, keyLen: u32): u32 {
  if (!isKey(keyPtr, keyLen)) return 0;
  writeAccept(keyPtr, hsBase + HS_ACCEPT);
  return ACCEPT_LEN;
}

// ---- Server: the client's opening handshake ----

// RFC 7230 3.1.1: method SP request-target SP HTTP-version. Stores the target in HS_PATH.
function requestLine(p: usize, eol: usize): bool {
  let t = p;
  while (t < eol && isTchar(load<u8>(t))) t++;
  if (t == p || t == eol || load<u8>(t) != 32) return false;
  const target = t + 1;
  t = target;
  while (t < eol && load<u8>(t) > 32 && load<u8>(t) != 127) t++;
  if (t == target || t + 9 != eol || load<u8>(t) != 32 || httpVersion(t + 1) < 0) return false;
  storeField(HS_PATH, target, <u32>(t - target));
  return true;
}

// True when the first header named lit has exactly the value value.
function firstValueIs(lit: usize, value: usize): bool {
  const e = headerEntry(findHeader(lit, 0));
  return (
    load<u32>(e + 12) == litLen(value) && memory.compare(load<u32>(e + 8), litPtr(value), litLen(value)) == 0
  );
}

// RFC 6455 4.2.1: the rules a server checks, in the section's order.
function checkRequest(p: usize, eol: usize): u32 {
  // 4.2.1 item 1: a GET (methods are case-sensitive, RFC 7230 3.1.1) ...
  if (memory.compare(p, litPtr(R_GET), litLen(R_GET)) != 0) return finish(405, ERR_HS_METHOD);
  // ... of HTTP/1.1 or higher.
  const version = httpVersion(eol - 8);
  if (version < 11 || version > 19) return finish(400, ERR_HS_HTTP_VERSION);
  // 4.2.1 item 2: one Host (RFC 7230 5.4).
  if (countHeader(N_HOST) != 1) return finish(400, ERR_HS_HOST);
  // 4.2.1 item 3: Upgrade lists "websocket"; without it this is plain HTTP.
  if (!anyHasToken(N_UPGRADE, T_WEBSOCKET)) return finish(426, ERR_HS_UPGRADE);
  // 4.2.1 item 4: Connection lists "Upgrade".
  if (!anyHasToken(N_CONNECTION, N_UPGRADE)) return finish(400, ERR_HS_CONNECTION);
  // 4.2.1 item 5: one Sec-WebSocket-Key that decodes to 16 bytes.
  const key = <usize>load<u32>(hsBase + HS_KEY);
  if (countHeader(N_KEY) != 1 || !isKey(key, load<u32>(hsBase + HS_KEY + 4))) return finish(400, ERR_HS_KEY);
  // 4.2.1 item 6: one Sec-WebSocket-Version; 426 for another version so the client can retry (4.4).
  const versions = countHeader(N_VERSION);
  if (versions > 1) return finish(400, ERR_HS_VERSION);
  if (versions == 0 || !firstValueIs(N_VERSION, V_13)) return finish(426, ERR_HS_VERSION);
  writeAccept(key, hsBase + HS_ACCEPT);
  return finish(101, 0);
}

// Parses the request head at [ptr, ptr+len) into the record at hsBase and returns its status:
// 0 until the head is complete, 101 to accept, else the HTTP status to answer with.
export function parseRequest(ptr: usize, len: u32, maxBytes: u32, maxHeaders: u32): u32 {
  clearRecord();
  const n = headEnd(ptr, len, maxBytes);
  if (n < 0) return finish(431, ERR_HS_TOO_LARGE);
  if (n == 0) return 0;
  store<u32>(hsBase + HS_END, n);
  const eol = lineEnd(ptr);
  if (eol == 0 || !requestLine(ptr, eol)) return finish(400, ERR_HS_MALFORMED);
  const err = scanHeaders(eol + 2, maxHeaders);
  if (err != 0) return finish(err == ERR_HS_TOO_MANY_HEADERS ? 431 : 400, err);
  setField(HS_HOST, N_HOST);
  setField(HS_ORIGIN, N_ORIGIN);
  setField(HS_PROTOCOL, N_PROTOCOL);
  setField(HS_EXTENSIONS, N_EXTENSIONS);
  setField(HS_KEY, N_KEY);
  return checkRequest(ptr, eol);
}

// ---- Client: the opening handshake request (RFC 6455 4.1) ----

// clientRequest's input fields, in order; FIELDS holds each one's u32 ptr and u32 len.
const F_PATH: u32 = 0;
const F_HOST: u32 = 1;
const F_ORIGIN: u32 = 2;
const F_PROTOCOLS: u32 = 3;
const F_EXTENSIONS: u32 = 4;
const F_EXTRA: u32 = 5;
const FIELD_COUNT: u32 = 6;
const FIELDS = memory.data(FIELD_COUNT * 8);

function fieldPtr(i: u32): usize {
  return <usize>load<u32>(FIELDS + (i << 3));
}

function fieldLen(i: u32): u32 {
  return load<u32>(FIELDS + (i << 3) + 4);
}

// Splits [p, p+len) into the u16-length-prefixed fields; false unless they fill it exactly.
function readFields(p: usize, len: u32): bool {
  const end = p + len;
  for (let i: u32 = 0; i < FIELD_COUNT; i++) {
    if (p + 2 > end) return false;
    const n = load<u16>(p);
    if (p + 2 + n > end) return false;
    store<u32>(FIELDS + (i << 3), <u32>(p + 2));
    store<u32>(FIELDS + (i << 3) + 4, n);
    p += 2 + n;
  }
  return p == end;
}

// RFC 7230 3.2: a CR, LF or NUL would end or split the header line.
function isValueByte(c: u32): bool {
  return c != 13 && c != 10 && c != 0;
}

function isValue(p: usize, n: u32): bool {
  for (let i: u32 = 0; i < n; i++) if (!isValueByte(load<u8>(p + i))) return false;
  return true;
}

// RFC 7230 3.1.1: a non-empty request target without whitespace or control bytes.
function isTarget(p: usize, n: u32): bool {
  for (let i: u32 = 0; i < n; i++) {
    const c = load<u8>(p + i);
    if (c <= 32 || c == 127) return false;
  }
  return n > 0;
}

// RFC 7230 3.2: each line of the extra block is token ":" value CRLF.
function isHeaderBlock(p: usize, n: u32): bool {
  const end = p + n;
  while (p < end) {
    let q = p;
    while (q < end && isTchar(load<u8>(q))) q++;
    if (q == p || q == end || load<u8>(q) != 58) return false;
    q++;
    while (q < end && isValueByte(load<u8>(q))) q++;
    if (q + 2 > end || load<u8>(q) != 13 || load<u8>(q + 1) != 10) return false;
    p = q + 2;
  }
  return true;
}

function validFields(): bool {
  return (
    isTarget(fieldPtr(F_PATH), fieldLen(F_PATH)) &&
    fieldLen(F_HOST) > 0 &&
    isValue(fieldPtr(F_HOST), fieldLen(F_HOST)) &&
    isValue(fieldPtr(F_ORIGIN), fieldLen(F_ORIGIN)) &&
    isValue(fieldPtr(F_PROTOCOLS), fieldLen(F_PROTOCOLS)) &&
    isValue(fieldPtr(F_EXTENSIONS), fieldLen(F_EXTENSIONS)) &&
    isHeaderBlock(fieldPtr(F_EXTRA), fieldLen(F_EXTRA))
  );
}

function put(dst: usize, src: usize, n: u32): usize {
  memory.copy(dst, src, n);
  return dst + n;
}

function putLit(dst: usize, lit: usize): usize {
  return put(dst, litPtr(lit), litLen(lit));
}

// An optional header: the name lit, field i, CRLF; nothing when the field is empty.
function optionalLen(lit: usize, i: u32): u32 {
  return fieldLen(i) == 0 ? 0 : litLen(lit) + fieldLen(i) + 2;
}

function putOptional(dst: usize, lit: usize, i: u32): usize {
  if (fieldLen(i) == 0) return dst;
  return putLit(put(putLit(dst, lit), fieldPtr(i), fieldLen(i)), CRLF);
}

function requestLen(): u32 {
  return (
    litLen(R_GET) +
    fieldLen(F_PATH) +
    litLen(R_HOST) +
    fieldLen(F_HOST) +
    litLen(R_KEY) +
    KEY_LEN +
    litLen(R_VERSION) +
    optionalLen(R_ORIGIN, F_ORIGIN) +
    optionalLen(R_PROTOCOL, F_PROTOCOLS) +
    optionalLen(R_EXTENSIONS, F_EXTENSIONS) +
    fieldLen(F_EXTRA) +
    litLen(CRLF)
  );
}

// Writes the client's request at sendBase and returns its length, or -ERR_HS_FIELD. The key,
// base64 of the host's 16 random bytes (RFC 6455 4.1 item 7), is kept at ctrlPtr(s) for the response.
export function clientRequest(s: usize, ptr: usize, len: u32, rand: usize): i32 {
  if (!readFields(ptr, len) || !validFields()) return -(<i32>ERR_HS_FIELD);
  const total = requestLen();
  if (total > SEND_CAP) return -(<i32>ERR_HS_FIELD);
  const key = ctrlPtr(s);
  base64Encode(rand, 16, key);
  let o = putLit(sendBase, R_GET);
  o = putLit(put(o, fieldPtr(F_PATH), fieldLen(F_PATH)), R_HOST);
  o = putLit(put(o, fieldPtr(F_HOST), fieldLen(F_HOST)), R_KEY);
  o = putLit(put(o, key, KEY_LEN), R_VERSION);
  o = putOptional(o, R_ORIGIN, F_ORIGIN);
  o = putOptional(o, R_PROTOCOL, F_PROTOCOLS);
  o = putOptional(o, R_EXTENSIONS, F_EXTENSIONS);
  o = putLit(put(o, fieldPtr(F_EXTRA), fieldLen(F_EXTRA)), CRLF);
  return <i32>(o - sendBase);
}

// ---- Client: validating the server's response (RFC 6455 4.1) ----

// RFC 7230 3.1.2: HTTP/1.x SP 3DIGIT [SP reason-phrase]; returns the status code, or -1.
// Some servers omit the SP before an empty reason, so that is accepted.
function statusLine(p: usize, eol: usize): i32 {
  if (eol - p < 12 || httpVersion(p) / 10 != 1 || load<u8>(p + 8) != 32) return -1;
  let code: u32 = 0;
  for (let i: usize = 9; i < 12; i++) {
    const d = <u32>load<u8>(p + i) - 48;
    if (d > 9) return -1;
    code = code * 10 + d;
  }
  if (code < 100 || (p + 12 < eol && load<u8>(p + 12) != 32)) return -1;
  return <i32>code;
}

// RFC 6455 9.1: the extension names in one Sec-WebSocket-Extensions value (each element is a
// name, then ";" parameters) all appear in the offered list.
function namesOffered(p: usize, n: u32, offered: usize, offeredLen: u32): bool {
  const end = p + n;
  while (p <= end) {
    const c = commaAt(p, end);
    const a = skipOws(p, c);
    let b = a;
    while (b < c && isTchar(load<u8>(b))) b++;
    if (a < c && (b == a || !listHas(offered, offeredLen, a, <u32>(b - a), true))) return false;
    p = c + 1;
  }
  return true;
}

// RFC 6455 4.1 client item 5: no extension the client did not offer, in any Extensions header.
function extensionsOffered(offered: usize, offeredLen: u32): bool {
  const n = headerCount();
  for (let i = findHeader(N_EXTENSIONS, 0); i < n; i = findHeader(N_EXTENSIONS, i + 1)) {
    const e = headerEntry(i);
    if (!namesOffered(load<u32>(e + 8), load<u32>(e + 12), offered, offeredLen)) return false;
  }
  return true;
}

// RFC 6455 4.1 client item 6: at most one subprotocol, a single token the client offered
// (compared exactly, as browsers do).
function protocolOffered(offered: usize, offeredLen: u32): bool {
  const k = countHeader(N_PROTOCOL);
  if (k == 0) return true;
  const p = <usize>load<u32>(hsBase + HS_PROTOCOL);
  const n = load<u32>(hsBase + HS_PROTOCOL + 4);
  return k == 1 && isToken(p, n) && listHas(offered, offeredLen, p, n, false);
}

// RFC 6455 4.1 client items 2-6, in order, for a 101 response. The expected accept value is
// left at HS_ACCEPT.
function checkResponse(s: usize, offered: usize, protoLen: u32, extLen: u32): u32 {
  // 4.1 client item 2: Upgrade is "websocket".
  if (!anyHasToken(N_UPGRADE, T_WEBSOCKET)) return finish(1, ERR_HS_UPGRADE);
  // 4.1 client item 3: Connection is "Upgrade".
  if (!anyHasToken(N_CONNECTION, N_UPGRADE)) return finish(1, ERR_HS_CONNECTION);
  // 4.1 client item 4: one Sec-WebSocket-Accept, equal to base64(SHA-1(key + GUID)).
  const expected = hsBase + HS_ACCEPT;
  writeAccept(ctrlPtr(s), expected);
  const e = headerEntry(findHeader(N_ACCEPT, 0));
  if (
    countHeader(N_ACCEPT) != 1 ||
    load<u32>(e + 12) != ACCEPT_LEN ||
    memory.compare(load<u32>(e + 8), expected, ACCEPT_LEN) != 0
  )
    return finish(1, ERR_HS_ACCEPT);
  if (!extensionsOffered(offered + protoLen, extLen)) return finish(1, ERR_HS_EXTENSION);
  if (!protocolOffered(offered, protoLen)) return finish(1, ERR_HS_PROTOCOL);
  return finish(101, 0);
}

// Validates the response head at [ptr, ptr+len); the offered subprotocols (protoLen bytes) and
// extension names (extLen bytes), comma-separated, follow at ptr+len. Returns the record's
// status: 0 until complete, 101 when valid, the server's status when not 101, else 1.
export function clientResponse(
  s: usize,
  ptr: usize,
  len: u32,
  maxBytes: u32,
  offeredProtoLen: u32,
  offeredExtLen: u32,
): u32 {
  clearRecord();
  const n = headEnd(ptr, len, maxBytes);
  if (n < 0) return finish(1, ERR_HS_TOO_LARGE);
  if (n == 0) return 0;
  store<u32>(hsBase + HS_END, n);
  const eol = lineEnd(ptr);
  const code = eol == 0 ? -1 : statusLine(ptr, eol);
  if (code < 0) return finish(1, ERR_HS_MALFORMED);
  const err = scanHeaders(eol + 2, HS_MAX_HEADERS);
  if (err != 0) return finish(1, err);
  setField(HS_PROTOCOL, N_PROTOCOL);
  setField(HS_EXTENSIONS, N_EXTENSIONS);
  // 4.1: any status but 101 ends the WebSocket handshake; the host handles it per HTTP.
  if (code != 101) return finish(<u32>code, ERR_HS_STATUS);
  return checkResponse(s, ptr + len, offeredProtoLen, offeredExtLen);
}
