// The server side of the opening handshake (RFC 6455 4.2.1): parses and checks the client's request
// into the record at hsBase, and computes Sec-WebSocket-Accept (4.2.2).
import {
  ERR_HS_CONNECTION,
  ERR_HS_HOST,
  ERR_HS_HTTP_VERSION,
  ERR_HS_KEY,
  ERR_HS_MALFORMED,
  ERR_HS_METHOD,
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
  countHeader,
  findHeader,
  finish,
  headEnd,
  headerEntry,
  httpVersion,
  isTchar,
  lineEnd,
  litLen,
  litPtr,
  scanHeaders,
  setField,
  storeField,
} from "./http";
import {
  N_CONNECTION,
  N_EXTENSIONS,
  N_HOST,
  N_KEY,
  N_ORIGIN,
  N_PROTOCOL,
  N_UPGRADE,
  N_VERSION,
  R_GET,
  T_WEBSOCKET,
  V_13,
} from "./literals";
import { hsBase } from "./regions";

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
