// The server side of the opening handshake (RFC 6455 4.2.1): parses and checks the client's request
// into the record at hsBase, and computes Sec-WebSocket-Accept (4.2.2).
import {
  ERR_HS_BODY,
  ERR_HS_CONNECTION,
  ERR_HS_HOST,
  ERR_HS_HTTP_VERSION,
  ERR_HS_KEY,
  ERR_HS_MALFORMED,
  ERR_HS_METHOD,
  ERR_HS_ORIGIN,
  ERR_HS_PROTOCOL_LIST,
  ERR_HS_TOO_LARGE,
  ERR_HS_TOO_MANY_HEADERS,
  ERR_HS_UPGRADE,
  ERR_HS_VERSION,
  HS_ACCEPT,
  HS_END,
  HS_EXTENSIONS,
  HS_HOST,
  HS_KEY,
  HS_ORIGIN,
  HS_PATH,
  HS_PROTOCOL,
} from "./abi";
import { isKey, writeAccept } from "./accept";
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
  isLit,
  isTchar,
  isToken,
  lineEnd,
  litLen,
  litPtr,
  scanHeaders,
  setField,
  skipOws,
  storeField,
  trimOws,
} from "./http";
import {
  N_CONNECTION,
  N_CONTENT_LENGTH,
  N_EXTENSIONS,
  N_HOST,
  N_KEY,
  N_ORIGIN,
  N_PROTOCOL,
  N_TRANSFER_ENCODING,
  N_UPGRADE,
  N_VERSION,
  R_GET,
  S_HTTP,
  S_HTTPS,
  S_WS,
  S_WSS,
  T_WEBSOCKET,
  V_13,
} from "./literals";
import { hsBase } from "./regions";

// The authority of an absolute-form target (ptr << 32 | len), 0 for origin-form.
let targetAuthority: u64 = 0;

// RFC 7230 3.1.1: method SP request-target SP HTTP-version. Stores the target's path and query in
// HS_PATH; the target is origin-form ("/path?query") or absolute-form ("http://host/path", whose
// authority stands for Host, RFC 9112 3.2.2). Anything else, a fragment or a byte outside
// printable ASCII is no request-target for a WebSocket.
function requestLine(p: usize, eol: usize): bool {
  let t = p;
  while (t < eol && isTchar(load<u8>(t))) t++;
  if (t == p || t == eol || load<u8>(t) != 32) return false;
  const target = t + 1;
  t = target;
  while (t < eol && load<u8>(t) > 32 && load<u8>(t) < 127 && load<u8>(t) != 35) t++;
  if (t == target || t + 9 != eol || load<u8>(t) != 32 || httpVersion(t + 1) < 0) return false;
  targetAuthority = 0;
  let path = target;
  if (load<u8>(target) != 47) {
    // scheme "://" authority, then the path, which must not be empty.
    let colon = target;
    while (colon < t && load<u8>(colon) != 58) colon++;
    const scheme = <u32>(colon - target);
    if (
      !(
        isLit(target, scheme, S_HTTP) ||
        isLit(target, scheme, S_HTTPS) ||
        isLit(target, scheme, S_WS) ||
        isLit(target, scheme, S_WSS)
      )
    )
      return false;
    if (t - colon < 3 || load<u8>(colon + 1) != 47 || load<u8>(colon + 2) != 47) return false;
    path = colon + 3;
    while (path < t && load<u8>(path) != 47 && load<u8>(path) != 63) path++;
    if (path == t || load<u8>(path) != 47) return false;
    targetAuthority = ((<u64>(colon + 3)) << 32) | <u64>(path - colon - 3);
  }
  storeField(HS_PATH, path, <u32>(t - path));
  return true;
}

// No separator of a list of origins (RFC 6454 7.1: SP) or of repeated fields (a comma).
function isOneOrigin(p: usize, n: u32): bool {
  for (let i: u32 = 0; i < n; i++) {
    const c = load<u8>(p + i);
    if (c == 32 || c == 9 || c == 44) return false;
  }
  return true;
}

// RFC 3986 3.2.2 and 3.2.3: host [":" port], the host an IP literal in brackets, or a name of
// letters, digits, "-", ".", "_" and "~" (an IPv4 address is one). No userinfo, no percent-encoding
// and none of the sub-delims, which no DNS name holds: a request built from it then names the
// same path and host on every runtime.
function isHost(p: usize, n: u32): bool {
  const end = p + n;
  let q = p;
  if (q < end && load<u8>(q) == 91) {
    q++;
    while (q < end && isIpLiteralByte(load<u8>(q))) q++;
    if (q == p + 1 || q == end || load<u8>(q) != 93) return false;
    q++;
  } else {
    while (q < end && isNameByte(load<u8>(q))) q++;
    if (q == p) return false;
  }
  if (q == end) return true;
  if (load<u8>(q) != 58) return false;
  for (q++; q < end; q++) if (<u32>load<u8>(q) - 48 >= 10) return false;
  return true;
}

function isNameByte(c: u32): bool {
  return c - 48 < 10 || (c | 32) - 97 < 26 || c == 45 || c == 46 || c == 95 || c == 126;
}

function isIpLiteralByte(c: u32): bool {
  return c - 48 < 10 || (c | 32) - 97 < 6 || c == 58 || c == 46;
}

// RFC 6455 4.1: each element of every Sec-WebSocket-Protocol field is a token (empty ones skipped).
function protocolsAreTokens(): bool {
  const n = headerCount();
  for (let i = findHeader(N_PROTOCOL, 0); i < n; i = findHeader(N_PROTOCOL, i + 1)) {
    const e = headerEntry(i);
    let q = <usize>load<u32>(e + 8);
    const end = q + load<u32>(e + 12);
    while (q <= end) {
      const c = commaAt(q, end);
      const a = skipOws(q, c);
      const len = <u32>(trimOws(a, c) - a);
      if (len > 0 && !isToken(a, len)) return false;
      q = c + 1;
    }
  }
  return true;
}

// RFC 9110 7.8: the upgraded protocol begins after the whole request, so one with a body would have
// the body read as frames.
function hasBody(): bool {
  if (countHeader(N_TRANSFER_ENCODING) > 0) return true;
  const n = headerCount();
  for (let i = findHeader(N_CONTENT_LENGTH, 0); i < n; i = findHeader(N_CONTENT_LENGTH, i + 1)) {
    const e = headerEntry(i);
    if (load<u32>(e + 12) != 1 || load<u8>(load<u32>(e + 8)) != 48) return true;
  }
  return false;
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
  // 4.2.1 item 2: one Host (RFC 7230 5.4), and a valid one (RFC 9112 3.2).
  const host = hsBase + HS_HOST;
  if (countHeader(N_HOST) != 1 || !isHost(load<u32>(host), load<u32>(host + 4)))
    return finish(400, ERR_HS_HOST);
  if (hasBody()) return finish(400, ERR_HS_BODY);
  // RFC 6454 7.3: a client sends one Origin holding one origin; of two, an origin check could read
  // the other one (a fetch-style server's Headers joins repeated fields with ", ").
  const origin = hsBase + HS_ORIGIN;
  if (countHeader(N_ORIGIN) > 1 || !isOneOrigin(load<u32>(origin), load<u32>(origin + 4)))
    return finish(400, ERR_HS_ORIGIN);
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
  if (!protocolsAreTokens()) return finish(400, ERR_HS_PROTOCOL_LIST);
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
  if (targetAuthority != 0) storeField(HS_HOST, <usize>(targetAuthority >>> 32), <u32>targetAuthority);
  setField(HS_ORIGIN, N_ORIGIN);
  setField(HS_PROTOCOL, N_PROTOCOL);
  setField(HS_EXTENSIONS, N_EXTENSIONS);
  setField(HS_KEY, N_KEY);
  return checkRequest(ptr, eol);
}
