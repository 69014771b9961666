// The server's side of the opening handshake (RFC 6455 4.2), without I/O: the core parses and
// checks the request; this module turns its record into strings and writes the HTTP answers.
import * as abi from "./abi.ts";
import {
  HS_ACCEPT,
  HS_END,
  HS_ERROR,
  HS_HEADER_COUNT,
  HS_HEADERS,
  HS_HOST,
  HS_KEY,
  HS_MAX_HEADERS,
  HS_ORIGIN,
  HS_PATH,
  INPUT_CAP,
} from "./abi.ts";
import { type Core, getCore, Latin1 } from "./core.ts";
import { WebSocketError } from "./errors.ts";

export interface UpgradeLimits {
  /** Largest request head in bytes (431 beyond it). Default 8 KiB. */
  maxHeaderBytes?: number;
  /** Most header fields (431 beyond it). Default and ceiling 128. */
  maxHeaders?: number;
}

export interface UpgradeRequest {
  /** 0 = the head is incomplete, 101 = a valid upgrade, else the HTTP status to answer with. */
  status: number;
  error?: WebSocketError;
  /** Bytes of the head; what follows are the first frame bytes. */
  end: number;
  /** The request line's method ("" while the head is incomplete). */
  method: string;
  path: string;
  host: string;
  origin: string;
  /** Sec-WebSocket-Protocol tokens in the client's order. */
  protocols: string[];
  /** Sec-WebSocket-Extensions as sent, repeated fields joined with ", " (RFC 6455 9.1). */
  extensions: string;
  key: string;
  /** Sec-WebSocket-Accept for key (only when status is 101). */
  accept: string;
  /**
   * Lower-cased names; repeated fields joined with ", " (RFC 7230 3.2.2). No prototype, so a field
   * named `__proto__` or `constructor` is a field like any other.
   */
  headers: Record<string, string>;
}

/** Response header fields: a record, or name-value pairs (an array of pairs, a `Headers`). */
export type HeaderFields = Record<string, string> | Iterable<readonly [string, string]>;

export const DEFAULT_MAX_HEADER_BYTES = 8 * 1024;

// Header bytes are ISO-8859-1 (RFC 7230 3.2.4): core.latin1() keeps every byte as one code unit.
const encoder = new TextEncoder();

const reasons: Record<number, string> = {
  400: "Bad Request",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  426: "Upgrade Required",
  431: "Request Header Fields Too Large",
  500: "Internal Server Error",
  503: "Service Unavailable",
};

/**
 * Parses a request head (4.2.1). Call again with more bytes while status is 0. `stable`: the caller
 * will not change the head's bytes while the request is in use, so what is read on demand (the
 * header map, host, origin, key) is read from them instead of from a copy.
 */
export function parseUpgrade(
  bytes: Uint8Array,
  limits: UpgradeLimits = {},
  core = getCore(),
  stable = false,
): UpgradeRequest {
  const maxBytes = Math.min(limits.maxHeaderBytes ?? DEFAULT_MAX_HEADER_BYTES, INPUT_CAP);
  const maxHeaders = Math.min(limits.maxHeaders ?? HS_MAX_HEADERS, HS_MAX_HEADERS);
  const len = Math.min(bytes.length, INPUT_CAP);
  core.writeInput(len === bytes.length ? bytes : bytes.subarray(0, len));
  let status = core.exports.parseRequest(core.inputPtr, len, maxBytes, maxHeaders);
  const hs = core.hsPtr;
  const u32 = core.u32;
  let error: WebSocketError | undefined;
  if (status === 0 && bytes.length >= maxBytes) {
    status = 431;
    error = WebSocketError.fromCore(abi.ERR_HS_TOO_LARGE);
  } else if (status !== 0 && status !== 101) {
    error = WebSocketError.fromCore(u32[(hs + HS_ERROR) >>> 2]);
  }
  const count = status === 0 ? 0 : u32[(hs + HS_HEADER_COUNT) >>> 2];
  const e0 = (hs + HS_HEADERS) >>> 2;
  const end = status === 0 ? 0 : u32[(hs + HS_END) >>> 2];
  const parsed = new ParsedUpgrade();
  parsed.status = status;
  parsed.error = error;
  parsed.end = end;
  // 4.2.1 item 1: the core answers 405 to anything but GET.
  parsed.method = status === 101 ? "GET" : status === 0 ? "" : method(bytes);
  parsed.path = field(core, hs + HS_PATH);
  parsed.protocols = splitList(valuesOf(core, e0, count, PROTOCOL));
  parsed.extensions = valuesOf(core, e0, count, EXTENSIONS) ?? "";
  parsed.accept = status === 101 ? text(core, hs + HS_ACCEPT, 28) : "";
  // The head's fields lie within [0, end): what is read on demand comes from there. Bytes after the
  // head are not kept alive for it. The copy is the core's: a Buffer's slice() would be a view.
  if (count > 0) {
    const head = stable && bytes.length === end ? bytes : core.u8.slice(core.inputPtr, core.inputPtr + end);
    parsed.keep(head, core, u32.slice(e0, e0 + count * FIELD_WORDS));
  }
  return parsed;
}

/** A field of the record at `at` (pointer, length), as a string. */
function field(core: Core, at: number): string {
  return text(core, core.u32[at >>> 2], core.u32[(at + 4) >>> 2]);
}

const FIELD_WORDS = abi.HS_HEADER_SIZE / 4;
const PROTOCOL = "sec-websocket-protocol";
const EXTENSIONS = "sec-websocket-extensions";

/**
 * A parsed request. What most servers never read (the header map, host, origin, key) is made on
 * first read, from the head's bytes and a copy of the core's field table: reading it never calls
 * the core, so a handler may read it while the core's memory holds a read still being dispatched.
 */
class ParsedUpgrade implements UpgradeRequest {
  // Set by parseUpgrade, field by field: JavaScriptCore's Object.assign from a literal cost more.
  status = 0;
  error: WebSocketError | undefined = undefined;
  end = 0;
  method = "";
  path = "";
  protocols: string[] = [];
  extensions = "";
  accept = "";
  #headers: Record<string, string> | undefined = undefined;
  #head: Uint8Array | undefined = undefined;
  // The core's field table for the head (name pointer and length, value pointer and length), and
  // where the head was in the core's memory when it was parsed.
  #table: Uint32Array | undefined = undefined;
  #base = 0;
  // Pointers and lengths as the table's: host, origin, key.
  #hostAt = 0;
  #hostLen = 0;
  #originAt = 0;
  #originLen = 0;
  #keyAt = 0;
  #keyLen = 0;

  /** The head [0, end) and its field table, while the core's record still describes them. */
  keep(head: Uint8Array, core: Core, table: Uint32Array): void {
    const hs = core.hsPtr;
    const u32 = core.u32;
    this.#head = head;
    this.#table = table;
    this.#base = core.inputPtr;
    this.#hostAt = u32[(hs + HS_HOST) >>> 2];
    this.#hostLen = u32[(hs + HS_HOST + 4) >>> 2];
    this.#originAt = u32[(hs + HS_ORIGIN) >>> 2];
    this.#originLen = u32[(hs + HS_ORIGIN + 4) >>> 2];
    this.#keyAt = u32[(hs + HS_KEY) >>> 2];
    this.#keyLen = u32[(hs + HS_KEY + 4) >>> 2];
  }

  get host(): string {
    return this.#text(this.#hostAt, this.#hostLen);
  }

  get origin(): string {
    return this.#text(this.#originAt, this.#originLen);
  }

  get key(): string {
    return this.#text(this.#keyAt, this.#keyLen);
  }

  /**
   * Lower-cased names; repeated fields joined with ", " (RFC 7230 3.2.2). No prototype, so a field
   * named `__proto__` or `constructor` is a field like any other.
   */
  get headers(): Record<string, string> {
    if (this.#headers) return this.#headers;
    const headers: Record<string, string> = Object.create(null);
    const head = this.#head;
    const table = this.#table;
    const base = this.#base;
    if (head && table) {
      const latin1 = new Latin1(head as Uint8Array<ArrayBuffer>);
      for (let e = 0; e < table.length; e += FIELD_WORDS) {
        const name = latin1.text(table[e] - base, table[e] - base + table[e + 1]).toLowerCase();
        const value = latin1.text(table[e + 2] - base, table[e + 2] - base + table[e + 3]);
        headers[name] = name in headers ? `${headers[name]}, ${value}` : value;
      }
    }
    this.#headers = headers;
    return headers;
  }

  #text(ptr: number, len: number): string {
    const head = this.#head;
    if (len === 0 || !head) return "";
    const at = ptr - this.#base;
    return new Latin1(head as Uint8Array<ArrayBuffer>).text(at, at + len);
  }
}

/** The values of the fields named `lower` (lower case), joined with ", ", read without decoding others. */
function valuesOf(core: Core, e0: number, count: number, lower: string): string | undefined {
  const { u8, u32 } = core;
  let joined: string | undefined;
  for (let i = 0, e = e0; i < count; i++, e += FIELD_WORDS) {
    const at = u32[e];
    if (u32[e + 1] !== lower.length) continue;
    let k = 0;
    // ASCII letters only differ from their lower case in bit 0x20.
    while (k < lower.length && (u8[at + k] | 0x20) === lower.charCodeAt(k)) k++;
    if (k < lower.length) continue;
    const value = text(core, u32[e + 2], u32[e + 3]);
    joined = joined === undefined ? value : `${joined}, ${value}`;
  }
  return joined;
}

/** 4.2.2 item 5.4: Sec-WebSocket-Accept for a key; throws WS_ERR_HANDSHAKE_KEY for an invalid key. */
export function computeAccept(key: string, core = getCore()): string {
  const bytes = encoder.encode(key);
  if (bytes.length > 64) throw WebSocketError.fromCore(abi.ERR_HS_KEY);
  core.writeInput(bytes);
  const n = core.exports.acceptKey(core.inputPtr, bytes.length);
  if (n === 0) throw WebSocketError.fromCore(abi.ERR_HS_KEY);
  return text(core, core.hsPtr + HS_ACCEPT, n);
}

export interface AcceptOptions {
  accept: string;
  /** The chosen subprotocol; it must be one the client offered. */
  protocol?: string;
  /** The agreed Sec-WebSocket-Extensions value (RFC 7692 7.1). */
  extensions?: string;
  headers?: HeaderFields;
}

const SWITCHING_TEXT =
  "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ";
const SWITCHING = encoder.encode(SWITCHING_TEXT);
const NO_LINES = new Uint8Array(0);

/** 4.2.2 item 5: the 101 response. */
export function acceptResponse(options: AcceptOptions): Uint8Array {
  let lines = "";
  if (options.protocol) lines += headerLines([["Sec-WebSocket-Protocol", options.protocol]]);
  if (options.extensions) lines += headerLines([["Sec-WebSocket-Extensions", options.extensions]]);
  if (options.headers) lines += headerLines(options.headers);
  // The fixed lines are bytes already and the accept value is base64: written byte by byte, the
  // usual answer needs neither a string of its own nor an encoder.
  const { accept } = options;
  const tail = lines === "" ? NO_LINES : encoder.encode(lines);
  const out = new Uint8Array(SWITCHING.length + accept.length + tail.length + 4);
  out.set(SWITCHING);
  let at = SWITCHING.length;
  for (let i = 0; i < accept.length; i++) {
    const c = accept.charCodeAt(i);
    if (c > 0x7f) return encoder.encode(`${SWITCHING_TEXT}${accept}\r\n${lines}\r\n`);
    out[at++] = c;
  }
  out[at++] = 0x0d;
  out[at++] = 0x0a;
  out.set(tail, at);
  at += tail.length;
  out[at++] = 0x0d;
  out[at] = 0x0a;
  return out;
}

/** A short plain-text refusal that closes the connection (4.2.2: 426 names the version we speak). */
export function rejectResponse(status: number, message = reasons[status] ?? "Error"): Uint8Array {
  const headers: [string, string][] = [["Content-Type", "text/plain; charset=utf-8"]];
  if (status === 426) headers.push(["Sec-WebSocket-Version", "13"], ["Upgrade", "websocket"]);
  if (status === 405) headers.push(["Allow", "GET"]);
  return httpResponse(status, "", headers, encoder.encode(message));
}

// Framing is ours to write: the refusal is the last message on the connection.
const FRAMING = new Set(["connection", "content-length", "transfer-encoding", "keep-alive"]);

/**
 * A whole HTTP/1.1 response that ends the connection: `Content-Length` and `Connection: close`
 * replace any framing fields in headers. Throws WS_ERR_HANDSHAKE_FIELD for a field that is not one.
 */
export function httpResponse(
  status: number,
  statusText: string,
  headers: HeaderFields,
  body: Uint8Array,
): Uint8Array {
  const kept = pairs(headers).filter(([name]) => !FRAMING.has(name.toLowerCase()));
  // RFC 9110 7.8: a sender of Upgrade lists "upgrade" in Connection too.
  const upgrade = kept.some(([name]) => name.toLowerCase() === "upgrade");
  const head = encoder.encode(
    `HTTP/1.1 ${status} ${statusText || (reasons[status] ?? "")}\r\nConnection: ${upgrade ? "Upgrade, close" : "close"}\r\n` +
      `${headerLines(kept)}Content-Length: ${body.length}\r\n\r\n`,
  );
  const all = new Uint8Array(head.length + body.length);
  all.set(head);
  all.set(body, head.length);
  return all;
}

function pairs(headers: HeaderFields): (readonly [string, string])[] {
  return Symbol.iterator in headers
    ? [...(headers as Iterable<readonly [string, string]>)]
    : Object.entries(headers);
}

// RFC 7230 3.2: a field name is a token; a value holds no CR, LF or NUL.
const FIELD_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const BAD_VALUE = /[\r\n\0]/;

function headerLines(headers: HeaderFields): string {
  let lines = "";
  for (const [name, value] of pairs(headers)) {
    if (!FIELD_NAME.test(name) || BAD_VALUE.test(value))
      throw WebSocketError.fromCore(abi.ERR_HS_FIELD, 0, name);
    lines += `${name}: ${value}\r\n`;
  }
  return lines;
}

// RFC 7230 3.1.1: the method is the token before the request line's first space.
function method(bytes: Uint8Array): string {
  const end = bytes.subarray(0, 32).indexOf(0x20);
  return end > 0 ? String.fromCharCode.apply(null, bytes.subarray(0, end) as unknown as number[]) : "";
}

/** Header bytes in the core's memory as ISO-8859-1 (RFC 9110 5.5): one code unit per byte. */
export function text(core: Core, ptr: number, len: number): string {
  return len === 0 ? "" : core.latin1(ptr, len);
}

// RFC 7230 7: a #list; empty elements are skipped.
function splitList(value: string | undefined): string[] {
  if (!value) return [];
  return value
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}
