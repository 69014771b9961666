// The client's side of the opening handshake (RFC 6455 4.1), without I/O: the core writes the
// request and validates the response; this file moves bytes in and reads the results out.
import * as abi from "./abi.ts";
import {
  HS_END,
  HS_ERROR,
  HS_EXTENSIONS,
  HS_HEADER_COUNT,
  HS_HEADERS,
  HS_PROTOCOL,
  HS_STATUS,
  INPUT_CAP,
} from "./abi.ts";
import type { Core } from "./core.ts";
import { WebSocketError } from "./errors.ts";
import { text } from "./handshake.ts";
import type { Session } from "./session.ts";

export interface ClientRequest {
  /** Request target: path and query, e.g. "/chat?room=1". */
  path: string;
  /** The Host header's value (with the port when it is not the scheme's default). */
  host: string;
  origin?: string;
  protocols?: string[];
  /** The Sec-WebSocket-Extensions offer. */
  extensions?: string;
  /** Extra header fields; names must be tokens, values must not contain CR, LF or NUL. */
  headers?: Record<string, string>;
}

export interface ClientResponse {
  /** 0 = incomplete, 101 = valid upgrade, else the server's status (1 = not valid HTTP/WebSocket). */
  status: number;
  error?: WebSocketError;
  /** Bytes of the response head; any bytes after it are frames. */
  end: number;
  protocol: string;
  extensions: string;
  /** Lowercased names; repeated fields joined with ", " (RFC 7230 3.2.2). */
  headers: Record<string, string>;
}

const encoder = new TextEncoder();

/** Returns the request's bytes; the session keeps the Sec-WebSocket-Key to check the response. */
export function buildRequest(session: Session, req: ClientRequest): Uint8Array {
  let extra = "";
  for (const [name, value] of Object.entries(req.headers ?? {})) extra += `${name}: ${value}\r\n`;
  const fields = [
    req.path,
    req.host,
    req.origin ?? "",
    (req.protocols ?? []).join(", "),
    req.extensions ?? "",
    extra,
  ].map((f) => encoder.encode(f));
  const core = session.core;
  let at = core.inputPtr;
  const limit = at + INPUT_CAP - 16;
  for (const f of fields) {
    if (f.length > 0xffff || at + 2 + f.length > limit)
      throw WebSocketError.fromCore(abi.ERR_HS_FIELD, 0, "too long");
    core.u8[at] = f.length & 0xff;
    core.u8[at + 1] = f.length >> 8;
    core.u8.set(f, at + 2);
    at += 2 + f.length;
  }
  // 4.1 item 7: the key is 16 random bytes, placed right after the fields.
  crypto.getRandomValues(core.u8.subarray(at, at + 16));
  const n = core.exports.clientRequest(session.handle, core.inputPtr, at - core.inputPtr, at);
  // The key's block may have grown the core's memory.
  core.refresh();
  if (n < 0) throw WebSocketError.fromCore(-n);
  session.sync();
  return core.u8.slice(core.sendPtr, core.sendPtr + n);
}

/**
 * Validates the response received so far (call again with more bytes while status is 0).
 * `maxBytes` bounds the head; beyond it the result is WS_ERR_HANDSHAKE_TOO_LARGE.
 */
export function parseResponse(
  session: Session,
  bytes: Uint8Array,
  offeredProtocols: string[],
  offeredExtensions: string[],
  maxBytes: number,
): ClientResponse {
  const core = session.core;
  const protocols = offeredProtocols.join(",");
  const extensions = offeredExtensions.join(",");
  const offered = encoder.encode(protocols + extensions);
  const room = INPUT_CAP - offered.length;
  const len = Math.min(bytes.length, room);
  core.u8.set(bytes.subarray(0, len), core.inputPtr);
  core.u8.set(offered, core.inputPtr + len);
  const status = core.exports.clientResponse(
    session.handle,
    core.inputPtr,
    len,
    Math.min(maxBytes, room),
    protocols.length,
    extensions.length,
  );
  session.sync();
  const hs = core.hsPtr >>> 2;
  const result: ClientResponse = {
    status,
    end: core.u32[hs + HS_END / 4],
    protocol: field(core, HS_PROTOCOL),
    extensions: field(core, HS_EXTENSIONS),
    headers: status === 0 ? {} : headers(core),
  };
  if (status !== 0 && status !== 101) {
    const detail = status === 1 ? "" : `status ${core.u32[hs + HS_STATUS / 4]}`;
    result.error = WebSocketError.fromCore(core.u32[hs + HS_ERROR / 4], 0, detail);
  }
  return result;
}

function field(core: Core, off: number): string {
  const i = (core.hsPtr + off) >>> 2;
  return text(core, core.u32[i], core.u32[i + 1]);
}

function headers(core: Core): Record<string, string> {
  const out: Record<string, string> = Object.create(null);
  const count = core.u32[(core.hsPtr + HS_HEADER_COUNT) >>> 2];
  for (let i = 0, e = (core.hsPtr + HS_HEADERS) >>> 2; i < count; i++, e += abi.HS_HEADER_SIZE / 4) {
    const name = text(core, core.u32[e], core.u32[e + 1]).toLowerCase();
    const value = text(core, core.u32[e + 2], core.u32[e + 3]);
    out[name] = name in out ? `${out[name]}, ${value}` : value;
  }
  return out;
}
