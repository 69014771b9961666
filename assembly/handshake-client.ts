// The client side of the opening handshake (RFC 6455 4.1): builds the request and validates the
// server's response ("the client MUST validate"). Results go to the record at hsBase.
import {
  ERR_HS_ACCEPT,
  ERR_HS_CONNECTION,
  ERR_HS_EXTENSION,
  ERR_HS_FIELD,
  ERR_HS_MALFORMED,
  ERR_HS_PROTOCOL,
  ERR_HS_STATUS,
  ERR_HS_TOO_LARGE,
  ERR_HS_UPGRADE,
  HS_ACCEPT,
  HS_END,
  HS_EXTENSIONS,
  HS_MAX_HEADERS,
  HS_PROTOCOL,
  SEND_CAP,
} from "./abi";
import { ACCEPT_LEN, KEY_LEN, writeAccept } from "./accept";
import { base64Encode } from "./base64";
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
} from "./http";
import {
  CRLF,
  N_ACCEPT,
  N_CONNECTION,
  N_EXTENSIONS,
  N_PROTOCOL,
  N_UPGRADE,
  R_EXTENSIONS,
  R_GET,
  R_HOST,
  R_KEY,
  R_ORIGIN,
  R_PROTOCOL,
  R_VERSION,
  T_WEBSOCKET,
} from "./literals";
import { hsBase, sendBase } from "./regions";
import { clearFlag, ctrlPtr, F_CONNECTING, releaseCtrl, setFlag } from "./session";

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
  setFlag(s, F_CONNECTING);
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
  const status = checkResponse(s, ptr + len, offeredProtoLen, offeredExtLen);
  if (status == 101) {
    clearFlag(s, F_CONNECTING);
    // The key was kept for checking the answer only.
    releaseCtrl(s);
  }
  return status;
}
