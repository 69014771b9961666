import {
  ERR_HS_ACCEPT,
  ERR_HS_BODY,
  ERR_HS_CONNECTION,
  ERR_HS_EXTENSION,
  ERR_HS_FIELD,
  ERR_HS_HOST,
  ERR_HS_HTTP_VERSION,
  ERR_HS_KEY,
  ERR_HS_MALFORMED,
  ERR_HS_METHOD,
  ERR_HS_ORIGIN,
  ERR_HS_PROTOCOL,
  ERR_HS_PROTOCOL_LIST,
  ERR_HS_STATUS,
  ERR_HS_TOO_LARGE,
  ERR_HS_TOO_MANY_HEADERS,
  ERR_HS_UPGRADE,
  ERR_HS_VERSION,
  HS_ACCEPT,
  HS_END,
  HS_ERROR,
  HS_EXTENSIONS,
  HS_HEADER_COUNT,
  HS_HEADERS,
  HS_HOST,
  HS_KEY,
  HS_ORIGIN,
  HS_PATH,
  HS_PROTOCOL,
  HS_STATUS,
  SESSION_CLIENT,
} from "../../assembly/abi";
import { acceptKey } from "../../assembly/accept";
import { clientRequest, clientResponse } from "../../assembly/handshake-client";
import { parseRequest } from "../../assembly/handshake-server";
import { hsBase, sendBase } from "../../assembly/regions";
import { ctrlPtr, sessionOpen } from "../../assembly/session";

// ---- helpers: put text on the wire, read the record back ----

// The UTF-8 bytes of s, copied to fresh memory.
function bytes(s: string): usize {
  const buf = String.UTF8.encode(s);
  const p = heap.alloc(max<i32>(buf.byteLength, 1));
  memory.copy(p, changetype<usize>(buf), buf.byteLength);
  return p;
}

function size(s: string): u32 {
  return <u32>String.UTF8.byteLength(s);
}

function text(p: usize, n: u32): string {
  return String.UTF8.decodeUnsafe(p, n);
}

function status(): u32 {
  return load<u32>(hsBase + HS_STATUS);
}

function error(): u32 {
  return load<u32>(hsBase + HS_ERROR);
}

function end(): u32 {
  return load<u32>(hsBase + HS_END);
}

// A field of the record as text, or "<none>" for ptr 0 len 0.
function field(off: u32): string {
  const p = load<u32>(hsBase + off);
  const n = load<u32>(hsBase + off + 4);
  return p == 0 && n == 0 ? "<none>" : text(p, n);
}

function accept(): string {
  return text(hsBase + HS_ACCEPT, 28);
}

function headerCount(): u32 {
  return load<u32>(hsBase + HS_HEADER_COUNT);
}

// Header i of the table as "name=value".
function header(i: u32): string {
  const e = hsBase + HS_HEADERS + (i << 4);
  return `${text(load<u32>(e), load<u32>(e + 4))}=${text(load<u32>(e + 8), load<u32>(e + 12))}`;
}

// ---- the server side (RFC 6455 4.2.1) ----

// The client handshake of RFC 6455 1.2.
const REQUEST =
  "GET /chat HTTP/1.1\r\n" +
  "Host: server.example.com\r\n" +
  "Upgrade: websocket\r\n" +
  "Connection: Upgrade\r\n" +
  "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" +
  "Origin: http://example.com\r\n" +
  "Sec-WebSocket-Protocol: chat, superchat\r\n" +
  "Sec-WebSocket-Version: 13\r\n" +
  "\r\n";

function serve(req: string, maxBytes: u32 = 8192, maxHeaders: u32 = 64): u32 {
  return parseRequest(bytes(req), size(req), maxBytes, maxHeaders);
}

// REQUEST with the text `from` (which it must contain) replaced by `to`.
function edit(from: string, to: string): string {
  assert(REQUEST.includes(from), from);
  return REQUEST.replace(from, to);
}

// REQUEST with extra header lines inserted after the request line.
function plus(lines: string): string {
  return edit("HTTP/1.1\r\n", `HTTP/1.1\r\n${lines}`);
}

function rejects(req: string, st: u32, err: u32): void {
  expect(serve(req)).toBe(st);
  expect(status()).toBe(st);
  expect(error()).toBe(err);
}

describe("server: the RFC 6455 1.2/1.3 example", () => {
  it("is accepted with Sec-WebSocket-Accept s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", () => {
    expect(serve(REQUEST)).toBe(101);
    expect(status()).toBe(101);
    expect(error()).toBe(0);
    expect(accept()).toBe("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
  });
  it("hands back the fields the host needs for policy", () => {
    serve(REQUEST);
    expect(field(HS_PATH)).toBe("/chat");
    expect(field(HS_HOST)).toBe("server.example.com");
    expect(field(HS_ORIGIN)).toBe("http://example.com");
    expect(field(HS_PROTOCOL)).toBe("chat, superchat");
    expect(field(HS_EXTENSIONS)).toBe("<none>");
    expect(field(HS_KEY)).toBe("dGhlIHNhbXBsZSBub25jZQ==");
  });
  it("fields point into the input, the request target as sent", () => {
    const req = edit("/chat", "/chat?room=a%20b");
    const p = bytes(req);
    expect(parseRequest(p, size(req), 8192, 64)).toBe(101);
    expect(load<u32>(hsBase + HS_PATH)).toBe(<u32>p + 4);
    expect(field(HS_PATH)).toBe("/chat?room=a%20b");
  });
  it("absolute-form: the path from the target, the authority for Host (RFC 9112 3.2.2)", () => {
    expect(serve(edit("GET /chat", "GET HTTPS://other.example:8443/chat?x=1"))).toBe(101);
    expect(field(HS_PATH)).toBe("/chat?x=1");
    expect(field(HS_HOST)).toBe("other.example:8443");
    rejects(edit("GET /chat", "GET https://other.example"), 400, ERR_HS_MALFORMED);
    rejects(edit("GET /chat", "GET ftp://other.example/chat"), 400, ERR_HS_MALFORMED);
    rejects(edit("GET /chat", "GET http://u@other.example/chat"), 400, ERR_HS_HOST);
  });
  it("a target that is not origin- or absolute-form, or has a fragment or a byte past 0x7e: 400", () => {
    for (let i = 0; i < 4; i++) {
      const target = ["server.example.com:80", "*", "/chat#x", "chat"][i];
      rejects(edit("GET /chat", `GET ${target}`), 400, ERR_HS_MALFORMED);
    }
  });
  it("lists every header in order, values trimmed of OWS", () => {
    serve(edit("Host: server.example.com", "Host: \t server.example.com \t"));
    expect(headerCount()).toBe(7);
    expect(header(0)).toBe("Host=server.example.com");
    expect(header(1)).toBe("Upgrade=websocket");
    expect(header(2)).toBe("Connection=Upgrade");
    expect(header(3)).toBe("Sec-WebSocket-Key=dGhlIHNhbXBsZSBub25jZQ==");
    expect(header(4)).toBe("Origin=http://example.com");
    expect(header(5)).toBe("Sec-WebSocket-Protocol=chat, superchat");
    expect(header(6)).toBe("Sec-WebSocket-Version=13");
  });
  it("keeps an empty value as present (ptr set, length 0)", () => {
    serve(plus("X-Empty:   \r\n"));
    expect(header(0)).toBe("X-Empty=");
    expect(load<u32>(hsBase + HS_HEADERS + 8)).toBeGreaterThan(0);
  });
});

describe("server: where the head ends (RFC 7230 3)", () => {
  it("bytes after CRLF CRLF are frame bytes: HS_END stops before them", () => {
    expect(serve(`${REQUEST}\x81\x05hello`)).toBe(101);
    expect(end()).toBe(size(REQUEST));
  });
  it("split at every byte: 0 (need more) until the last byte arrives", () => {
    const p = bytes(REQUEST);
    const n = size(REQUEST);
    for (let i: u32 = 0; i < n; i++) {
      expect(parseRequest(p, i, 8192, 64)).toBe(0, i.toString());
      expect(status()).toBe(0);
    }
    expect(parseRequest(p, n, 8192, 64)).toBe(101);
    expect(end()).toBe(n);
  });
  it("a head of bare LFs ends at its first LF LF: 400 there, not a wait for CRLF CRLF", () => {
    const req = REQUEST.replaceAll("\r\n", "\n");
    rejects(req, 400, ERR_HS_MALFORMED);
    expect(end()).toBe(size(req));
    rejects(`${REQUEST.substring(0, 30)}\n\n`, 400, ERR_HS_MALFORMED);
    rejects("\n\n", 400, ERR_HS_MALFORMED);
    // CRLF LF: the line before ends well, the next holds a bare LF.
    rejects(`${REQUEST.substring(0, REQUEST.length - 2)}\n`, 400, ERR_HS_MALFORMED);
  });
  it("a plain HTTP request (no Upgrade) is complete, 426, with HS_END set", () => {
    const req = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";
    rejects(req, 426, ERR_HS_UPGRADE);
    expect(end()).toBe(size(req));
    expect(field(HS_HOST)).toBe("a");
  });
});

describe("server: limits (RFC 6455 10.4)", () => {
  it("a head of exactly maxBytes is accepted; one byte less is 431", () => {
    const n = size(REQUEST);
    expect(serve(REQUEST, n)).toBe(101);
    rejects(REQUEST, 101, 0);
    expect(serve(REQUEST, n - 1)).toBe(431);
    expect(error()).toBe(ERR_HS_TOO_LARGE);
  });
  it("without CRLF CRLF: 0 up to maxBytes received, 431 beyond", () => {
    const part = REQUEST.substring(0, 40);
    expect(serve(part, 40)).toBe(0);
    expect(serve(part, 39)).toBe(431);
    expect(error()).toBe(ERR_HS_TOO_LARGE);
  });
  it("more headers than maxHeaders: 431", () => {
    expect(serve(REQUEST, 8192, 7)).toBe(101);
    expect(serve(REQUEST, 8192, 6)).toBe(431);
    expect(error()).toBe(ERR_HS_TOO_MANY_HEADERS);
  });
  it("never more than HS_MAX_HEADERS (128), whatever maxHeaders says", () => {
    let lines = "";
    for (let i = 0; i < 121; i++) lines += `X-${i.toString()}: ${i.toString()}\r\n`;
    expect(serve(plus(lines), 65536, 1000)).toBe(101);
    expect(headerCount()).toBe(128);
    expect(header(127)).toBe("Sec-WebSocket-Version=13");
    expect(serve(plus(`${lines}X-Last: 1\r\n`), 65536, 1000)).toBe(431);
    expect(error()).toBe(ERR_HS_TOO_MANY_HEADERS);
  });
});

describe("server: request line (RFC 7230 3.1.1, RFC 6455 4.2.1 item 1)", () => {
  it("a method other than GET: 405", () => {
    rejects(edit("GET", "POST"), 405, ERR_HS_METHOD);
    rejects(edit("GET", "get"), 405, ERR_HS_METHOD);
    rejects(edit("GET", "GETX"), 405, ERR_HS_METHOD);
  });
  it("HTTP/1.0 and HTTP/2.0: 400 version", () => {
    rejects(edit("HTTP/1.1", "HTTP/1.0"), 400, ERR_HS_HTTP_VERSION);
    rejects(edit("HTTP/1.1", "HTTP/2.0"), 400, ERR_HS_HTTP_VERSION);
    rejects(edit("HTTP/1.1", "HTTP/0.9"), 400, ERR_HS_HTTP_VERSION);
  });
  it("a later HTTP/1.x is accepted", () => {
    expect(serve(edit("HTTP/1.1", "HTTP/1.2"))).toBe(101);
  });
  it("a request line that does not parse: 400 malformed", () => {
    rejects(edit("GET /chat HTTP/1.1", "GET /chat"), 400, ERR_HS_MALFORMED);
    rejects(edit("GET /chat", "GET  /chat"), 400, ERR_HS_MALFORMED);
    rejects(edit("GET /chat", "GET"), 400, ERR_HS_MALFORMED);
    rejects(edit("HTTP/1.1\r\n", "HTTP/1.1 \r\n"), 400, ERR_HS_MALFORMED);
    rejects(edit("HTTP/1.1", "http/1.1"), 400, ERR_HS_MALFORMED);
    rejects(edit("HTTP/1.1", "HTTP/11"), 400, ERR_HS_MALFORMED);
    rejects(edit("HTTP/1.1", "HTTP/1.1.1"), 400, ERR_HS_MALFORMED);
    rejects(edit("GET /chat", "GET /ch\0at"), 400, ERR_HS_MALFORMED);
    rejects(edit("GET /chat", "GET /ch\tat"), 400, ERR_HS_MALFORMED);
    rejects(edit("GET", "G(T"), 400, ERR_HS_MALFORMED);
    rejects(`\r\n${REQUEST}`, 400, ERR_HS_MALFORMED);
  });
  it("a bare LF ends no line: 400 malformed", () => {
    rejects(edit("HTTP/1.1\r\n", "HTTP/1.1\n"), 400, ERR_HS_MALFORMED);
  });
});

describe("server: header syntax (RFC 7230 3.2)", () => {
  it("whitespace between name and colon: 400 (3.2.4)", () => {
    rejects(edit("Host: ", "Host : "), 400, ERR_HS_MALFORMED);
    rejects(edit("Host: ", "Host\t: "), 400, ERR_HS_MALFORMED);
  });
  it("obs-fold, a line starting with whitespace: 400 (3.2.4)", () => {
    rejects(
      edit("Origin: http://example.com\r\n", "Origin: http://\r\n example.com\r\n"),
      400,
      ERR_HS_MALFORMED,
    );
    rejects(plus(" X: 1\r\n"), 400, ERR_HS_MALFORMED);
  });
  it("a name that is not a token, or empty, or no colon: 400", () => {
    rejects(plus("X(1): 1\r\n"), 400, ERR_HS_MALFORMED);
    rejects(plus(": 1\r\n"), 400, ERR_HS_MALFORMED);
    rejects(plus("X-No-Colon\r\n"), 400, ERR_HS_MALFORMED);
  });
  it("NUL, bare CR or bare LF in a value: 400 (3.2.6, 3.5)", () => {
    rejects(plus("X: a\0b\r\n"), 400, ERR_HS_MALFORMED);
    rejects(plus("X: a\rb\r\n"), 400, ERR_HS_MALFORMED);
    rejects(plus("X: a\nb\r\n"), 400, ERR_HS_MALFORMED);
  });
  it("header names match ignoring case (3.2)", () => {
    const req =
      "GET / HTTP/1.1\r\nHOST: h\r\nuPgRaDe: WebSocket\r\nconnection: keep-alive, UPGRADE\r\n" +
      "SEC-WEBSOCKET-KEY: dGhlIHNhbXBsZSBub25jZQ==\r\nsec-websocket-version: 13\r\n" +
      "sec-websocket-extensions: permessage-deflate\r\n\r\n";
    expect(serve(req)).toBe(101);
    expect(field(HS_HOST)).toBe("h");
    expect(field(HS_EXTENSIONS)).toBe("permessage-deflate");
    expect(accept()).toBe("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
  });
});

describe("server: RFC 6455 4.2.1 items 2-6", () => {
  it("item 2: no Host, or two: 400", () => {
    rejects(edit("Host: server.example.com\r\n", ""), 400, ERR_HS_HOST);
    rejects(plus("Host: other.example.com\r\n"), 400, ERR_HS_HOST);
  });
  it("item 2: a Host that is not host[:port] (RFC 9112 3.2): 400", () => {
    const bad = ["", "a b", "h/p?", "u@h", "h:8x", "[::1", "[g::1]", "h,i", "h%2f"];
    for (let i = 0; i < bad.length; i++) rejects(edit("server.example.com", bad[i]), 400, ERR_HS_HOST);
    const good = ["h", "h:", "h:8080", "127.0.0.1:1", "[::1]", "[::ffff:1.2.3.4]:80", "a-b.c_d~e"];
    for (let i = 0; i < good.length; i++) expect(serve(edit("server.example.com", good[i]))).toBe(101);
  });
  it("a body (RFC 9110 7.8) and a protocol element that is no token (4.1): 400", () => {
    rejects(plus("Content-Length: 5\r\n"), 400, ERR_HS_BODY);
    rejects(plus("Transfer-Encoding: chunked\r\n"), 400, ERR_HS_BODY);
    expect(serve(plus("Content-Length: 0\r\n"))).toBe(101);
    rejects(edit("chat, superchat", "chat, super chat"), 400, ERR_HS_PROTOCOL_LIST);
    expect(serve(edit("chat, superchat", "chat, , superchat,"))).toBe(101);
  });
  it("a second Origin, or a list of origins in one: 400 (RFC 6454 7.3), whatever they say", () => {
    rejects(plus("Origin: http://example.com\r\n"), 400, ERR_HS_ORIGIN);
    rejects(plus("origin: http://evil.example\r\n"), 400, ERR_HS_ORIGIN);
    rejects(edit("http://example.com", "http://example.com, http://evil.example"), 400, ERR_HS_ORIGIN);
    rejects(edit("http://example.com", "http://example.com http://evil.example"), 400, ERR_HS_ORIGIN);
    expect(serve(edit("Origin: http://example.com", "Origin:  http://example.com\t"))).toBe(101);
  });
  it("item 3: Upgrade without the token websocket: 426", () => {
    rejects(edit("Upgrade: websocket\r\n", ""), 426, ERR_HS_UPGRADE);
    rejects(edit("Upgrade: websocket", "Upgrade: h2c"), 426, ERR_HS_UPGRADE);
    rejects(edit("Upgrade: websocket", "Upgrade: websockets"), 426, ERR_HS_UPGRADE);
    rejects(edit("Upgrade: websocket", "Upgrade: web socket"), 426, ERR_HS_UPGRADE);
  });
  it("item 3: websocket in a token list, in any case, is enough", () => {
    expect(serve(edit("Upgrade: websocket", "Upgrade: h2c, WebSocket ,"))).toBe(101);
    expect(serve(edit("Upgrade: websocket\r\n", "Upgrade: h2c\r\nUpgrade: websocket\r\n"))).toBe(101);
  });
  it("item 4: Connection without the token upgrade: 400", () => {
    rejects(edit("Connection: Upgrade\r\n", ""), 400, ERR_HS_CONNECTION);
    rejects(edit("Connection: Upgrade", "Connection: keep-alive"), 400, ERR_HS_CONNECTION);
    rejects(edit("Connection: Upgrade", "Connection: upgrades"), 400, ERR_HS_CONNECTION);
  });
  it("item 4: upgrade in a token list, in any case, is enough", () => {
    expect(serve(edit("Connection: Upgrade", "Connection: keep-alive,upgrade"))).toBe(101);
  });
  it("item 5: Sec-WebSocket-Key missing or repeated: 400", () => {
    rejects(edit("Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n", ""), 400, ERR_HS_KEY);
    rejects(plus("Sec-WebSocket-Key: AAAAAAAAAAAAAAAAAAAAAA==\r\n"), 400, ERR_HS_KEY);
  });
  it("item 5: a key that is not base64 of 16 bytes: 400", () => {
    const key = "dGhlIHNhbXBsZSBub25jZQ==";
    rejects(edit(key, "dGhlIHNhbXBsZSBub25jZQ"), 400, ERR_HS_KEY); // padding left off
    rejects(edit(key, "AAAAAAAAAAAAAAAAAAAA"), 400, ERR_HS_KEY); // 15 bytes
    rejects(edit(key, "AAAAAAAAAAAAAAAAAAAAAAA="), 400, ERR_HS_KEY); // 17 bytes
    rejects(edit(key, "AAAAAAAAAAAAAAAAAAAAAAAA"), 400, ERR_HS_KEY); // 18 bytes
    rejects(edit(key, "dGhlIHNhbXBsZSBub25jZQ-="), 400, ERR_HS_KEY); // not in the alphabet
    rejects(edit(key, ""), 400, ERR_HS_KEY);
  });
  it("item 6: Sec-WebSocket-Version other than 13, or none: 426 (the host adds Version: 13)", () => {
    rejects(edit("Sec-WebSocket-Version: 13\r\n", ""), 426, ERR_HS_VERSION);
    rejects(edit("Version: 13", "Version: 8"), 426, ERR_HS_VERSION);
    rejects(edit("Version: 13", "Version: 13, 8"), 426, ERR_HS_VERSION);
    rejects(edit("Version: 13", "Version: 013"), 426, ERR_HS_VERSION);
  });
  it("item 6: Sec-WebSocket-Version twice: 400", () => {
    rejects(plus("Sec-WebSocket-Version: 13\r\n"), 400, ERR_HS_VERSION);
  });
  it("repeated Sec-WebSocket-Protocol/-Extensions: the first in the field, all in the table", () => {
    const req = plus(
      "Sec-WebSocket-Protocol: mqtt\r\nSec-WebSocket-Extensions: a\r\nSec-WebSocket-Extensions: b\r\n",
    );
    expect(serve(req)).toBe(101);
    expect(field(HS_PROTOCOL)).toBe("mqtt");
    expect(field(HS_EXTENSIONS)).toBe("a");
    expect(headerCount()).toBe(10);
    expect(header(2)).toBe("Sec-WebSocket-Extensions=b");
    expect(header(8)).toBe("Sec-WebSocket-Protocol=chat, superchat");
  });
});

describe("acceptKey, for a request another parser read (RFC 6455 4.2.2 item 5.4)", () => {
  it("the RFC 1.3 key gives s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", () => {
    const key = "dGhlIHNhbXBsZSBub25jZQ==";
    expect(acceptKey(bytes(key), 24)).toBe(28);
    expect(accept()).toBe("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
  });
  it("a key that is not base64 of 16 bytes gives 0", () => {
    expect(acceptKey(bytes("dGhlIHNhbXBsZSBub25jZQ"), 22)).toBe(0);
    expect(acceptKey(bytes("AAAAAAAAAAAAAAAAAAAAAAA="), 24)).toBe(0);
    expect(acceptKey(bytes("dGhlIHNhbXBsZSBub25jZQ=="), 23)).toBe(0);
  });
});

// ---- the client side (RFC 6455 4.1) ----

// 16 "random" bytes 00..0f: the key is their base64.
const RAND_KEY = "AAECAwQFBgcICQoLDA0ODw==";
function rand(): usize {
  const p = heap.alloc(16);
  for (let i: u32 = 0; i < 16; i++) store<u8>(p + i, <u8>i);
  return p;
}

// clientRequest's input: each field as a u16 little-endian length, then its bytes.
let packedLen: u32 = 0;
function pack(parts: string[]): usize {
  let total: u32 = 0;
  for (let i = 0; i < parts.length; i++) total += 2 + size(parts[i]);
  const p = heap.alloc(max<u32>(total, 1));
  let o = p;
  for (let i = 0; i < parts.length; i++) {
    const n = size(parts[i]);
    store<u16>(o, <u16>n);
    memory.copy(o + 2, bytes(parts[i]), n);
    o += 2 + n;
  }
  packedLen = total;
  return p;
}

function build(s: usize, parts: string[]): i32 {
  const p = pack(parts);
  return clientRequest(s, p, packedLen, rand());
}

// The fields of the RFC 1.2 example, then extensions and an extra header.
function example(): string[] {
  return [
    "/chat",
    "server.example.com",
    "http://example.com",
    "chat, superchat",
    "permessage-deflate",
    "X-Trace: 1\r\n",
  ];
}

function withField(i: i32, value: string): string[] {
  const parts = example();
  parts[i] = value;
  return parts;
}

describe("client: the request (RFC 6455 4.1)", () => {
  it("writes the full request at sendBase and keeps the key at ctrlPtr", () => {
    const s = sessionOpen(SESSION_CLIENT);
    const n = build(s, example());
    const want =
      "GET /chat HTTP/1.1\r\n" +
      "Host: server.example.com\r\n" +
      "Upgrade: websocket\r\n" +
      "Connection: Upgrade\r\n" +
      "Sec-WebSocket-Key: " +
      RAND_KEY +
      "\r\n" +
      "Sec-WebSocket-Version: 13\r\n" +
      "Origin: http://example.com\r\n" +
      "Sec-WebSocket-Protocol: chat, superchat\r\n" +
      "Sec-WebSocket-Extensions: permessage-deflate\r\n" +
      "X-Trace: 1\r\n" +
      "\r\n";
    expect(n).toBe(<i32>size(want));
    expect(text(sendBase, n)).toBe(want);
    expect(text(ctrlPtr(s), 24)).toBe(RAND_KEY);
  });
  it("omits Origin, Sec-WebSocket-Protocol and -Extensions when empty", () => {
    const n = build(sessionOpen(SESSION_CLIENT), ["/", "h:8080", "", "", "", ""]);
    expect(text(sendBase, n)).toBe(
      "GET / HTTP/1.1\r\nHost: h:8080\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
        "Sec-WebSocket-Key: " +
        RAND_KEY +
        "\r\nSec-WebSocket-Version: 13\r\n\r\n",
    );
  });
  it("is a request our server accepts", () => {
    const n = build(sessionOpen(SESSION_CLIENT), example());
    expect(parseRequest(sendBase, n, 8192, 64)).toBe(101);
    expect(field(HS_KEY)).toBe(RAND_KEY);
    expect(header(8)).toBe("X-Trace=1");
  });
  it("CR, LF or NUL in a field: -ERR_HS_FIELD (header injection)", () => {
    const s = sessionOpen(SESSION_CLIENT);
    const bad = -(<i32>ERR_HS_FIELD);
    expect(build(s, withField(0, "/a\r\nX: 1"))).toBe(bad);
    expect(build(s, withField(1, "h\r\nX: 1"))).toBe(bad);
    expect(build(s, withField(2, "http://o\n"))).toBe(bad);
    expect(build(s, withField(3, "chat\0"))).toBe(bad);
    expect(build(s, withField(4, "x\r"))).toBe(bad);
  });
  it("an empty host, or a path that is empty or holds a space: -ERR_HS_FIELD", () => {
    const s = sessionOpen(SESSION_CLIENT);
    const bad = -(<i32>ERR_HS_FIELD);
    expect(build(s, withField(1, ""))).toBe(bad);
    expect(build(s, withField(0, ""))).toBe(bad);
    expect(build(s, withField(0, "/a b"))).toBe(bad);
  });
  it("extra lines must each be `token: value CRLF`", () => {
    const s = sessionOpen(SESSION_CLIENT);
    const bad = -(<i32>ERR_HS_FIELD);
    expect(build(s, withField(5, "A: 1\r\nB: 2\r\n"))).toBeGreaterThan(0);
    expect(build(s, withField(5, "A: 1"))).toBe(bad);
    expect(build(s, withField(5, "A: 1\n"))).toBe(bad);
    expect(build(s, withField(5, "A: 1\rB: 2\r\n"))).toBe(bad);
    expect(build(s, withField(5, "A: 1\r\n\r\n"))).toBe(bad);
    expect(build(s, withField(5, "Bad Name: 1\r\n"))).toBe(bad);
    expect(build(s, withField(5, "A: 1\0\r\n"))).toBe(bad);
  });
  it("fields that do not fill the input exactly: -ERR_HS_FIELD", () => {
    const s = sessionOpen(SESSION_CLIENT);
    const p = pack(example());
    expect(clientRequest(s, p, packedLen - 1, rand())).toBe(-(<i32>ERR_HS_FIELD));
    expect(clientRequest(s, p, 10, rand())).toBe(-(<i32>ERR_HS_FIELD));
    const q = pack(["/", "h", "", "", "", "", "x"]);
    expect(clientRequest(s, q, packedLen, rand())).toBe(-(<i32>ERR_HS_FIELD));
  });
  it("a request larger than SEND_CAP: -ERR_HS_FIELD", () => {
    const big = "a".repeat(65000);
    const s = sessionOpen(SESSION_CLIENT);
    expect(build(s, [`/${big}`, "h", "", "", "", ""])).toBeGreaterThan(65000);
    expect(build(s, [`/${big}`, "h", "", big, "", ""])).toBe(-(<i32>ERR_HS_FIELD));
  });
});

// The server handshake of RFC 6455 1.3, answering the client that sent the sample key.
const SAMPLE_KEY = "dGhlIHNhbXBsZSBub25jZQ==";
const RESPONSE =
  "HTTP/1.1 101 Switching Protocols\r\n" +
  "Upgrade: websocket\r\n" +
  "Connection: Upgrade\r\n" +
  "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n" +
  "Sec-WebSocket-Protocol: chat\r\n" +
  "\r\n";

function sampleClient(): usize {
  const s = sessionOpen(SESSION_CLIENT);
  memory.copy(ctrlPtr(s), bytes(SAMPLE_KEY), 24);
  return s;
}

// Validates res for a client that offered the given subprotocols and extension names.
function validate(res: string, protocols: string = "chat, superchat", extensions: string = ""): u32 {
  const p = bytes(res + protocols + extensions);
  return clientResponse(sampleClient(), p, size(res), 8192, size(protocols), size(extensions));
}

function changed(from: string, to: string): string {
  assert(RESPONSE.includes(from), from);
  return RESPONSE.replace(from, to);
}

function fails(res: string, err: u32, protocols: string = "chat, superchat", extensions: string = ""): void {
  expect(validate(res, protocols, extensions)).toBe(1);
  expect(status()).toBe(1);
  expect(error()).toBe(err);
}

describe("client: validating the response (RFC 6455 4.1)", () => {
  it("the RFC 1.3 response is valid: 101, the chosen protocol, HS_END", () => {
    expect(validate(`${RESPONSE}\x81\x02hi`)).toBe(101);
    expect(status()).toBe(101);
    expect(error()).toBe(0);
    expect(field(HS_PROTOCOL)).toBe("chat");
    expect(field(HS_EXTENSIONS)).toBe("<none>");
    expect(end()).toBe(size(RESPONSE));
    expect(headerCount()).toBe(4);
    expect(header(2)).toBe("Sec-WebSocket-Accept=s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
  });
  it("split at every byte: 0 until complete", () => {
    const n = size(RESPONSE);
    for (let i: u32 = 0; i < n; i++) expect(validate(RESPONSE.substring(0, i))).toBe(0, i.toString());
    expect(validate(RESPONSE)).toBe(101);
  });
  it("a round trip: our request, our server's accept, our client's check", () => {
    const s = sessionOpen(SESSION_CLIENT);
    const n = build(s, example());
    expect(parseRequest(sendBase, n, 8192, 64)).toBe(101);
    const res =
      "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
      "Sec-WebSocket-Accept: " +
      accept() +
      "\r\n\r\n";
    expect(clientResponse(s, bytes(res), size(res), 8192, 0, 0)).toBe(101);
  });
  it("a reason phrase may be empty, even without its SP", () => {
    expect(validate(changed(" Switching Protocols", " "))).toBe(101);
    expect(validate(changed(" Switching Protocols", ""))).toBe(101);
  });
  it("a status other than 101: that status, ERR_HS_STATUS, headers still listed", () => {
    const res = "HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n";
    expect(validate(res)).toBe(403);
    expect(error()).toBe(ERR_HS_STATUS);
    expect(header(0)).toBe("Content-Length=0");
    expect(validate("HTTP/1.1 426 Upgrade Required\r\nSec-WebSocket-Version: 13\r\n\r\n")).toBe(426);
    expect(validate("HTTP/1.1 200 OK\r\n\r\n")).toBe(200);
  });
  it("item 2: no Upgrade: websocket", () => {
    fails(changed("Upgrade: websocket\r\n", ""), ERR_HS_UPGRADE);
    fails(changed("Upgrade: websocket", "Upgrade: h2c"), ERR_HS_UPGRADE);
  });
  it("item 2 and 3 ignore case", () => {
    expect(validate(changed("Upgrade: websocket", "upgrade: WEBSOCKET"))).toBe(101);
    expect(validate(changed("Connection: Upgrade", "CONNECTION: upgrade"))).toBe(101);
  });
  it("item 3: no Connection: Upgrade", () => {
    fails(changed("Connection: Upgrade\r\n", ""), ERR_HS_CONNECTION);
    fails(changed("Connection: Upgrade", "Connection: close"), ERR_HS_CONNECTION);
  });
  it("item 4: a wrong, missing or repeated Sec-WebSocket-Accept", () => {
    fails(changed("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", "s3pPLMBiTxaQ9kYGzzhZRbK+xOp="), ERR_HS_ACCEPT);
    fails(changed("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", "S3PPLMBITXAQ9KYGZZHZRBK+XOO="), ERR_HS_ACCEPT);
    fails(changed("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", "s3pPLMBiTxaQ9kYGzzhZRbK+xO"), ERR_HS_ACCEPT);
    fails(changed("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n", ""), ERR_HS_ACCEPT);
    fails(
      changed("\r\n\r\n", "\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n"),
      ERR_HS_ACCEPT,
    );
  });
  it("item 5: an extension the client did not offer", () => {
    const ext = "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits=15\r\n\r\n";
    const res = changed("\r\n\r\n", `\r\n${ext}`);
    expect(validate(res, "chat", "permessage-deflate")).toBe(101);
    expect(field(HS_EXTENSIONS)).toBe("permessage-deflate; client_max_window_bits=15");
    fails(res, ERR_HS_EXTENSION, "chat", "");
    fails(res, ERR_HS_EXTENSION, "chat", "x-webkit-deflate-frame");
    fails(changed("\r\n\r\n", "\r\nSec-WebSocket-Extensions: ; a=1\r\n\r\n"), ERR_HS_EXTENSION, "chat", "a");
  });
  it("item 5: every Sec-WebSocket-Extensions header is checked", () => {
    const res = changed(
      "\r\n\r\n",
      "\r\nSec-WebSocket-Extensions: a\r\nSec-WebSocket-Extensions: b, c\r\n\r\n",
    );
    expect(validate(res, "chat", "a,b,c")).toBe(101);
    fails(res, ERR_HS_EXTENSION, "chat", "a, b");
  });
  it("item 6: a subprotocol not offered, none offered, or a list", () => {
    fails(RESPONSE, ERR_HS_PROTOCOL, "superchat, mqtt");
    fails(RESPONSE, ERR_HS_PROTOCOL, "");
    fails(changed("Protocol: chat", "Protocol: chat, superchat"), ERR_HS_PROTOCOL);
    fails(changed("Protocol: chat", "Protocol: Chat"), ERR_HS_PROTOCOL);
    fails(changed("Protocol: chat", "Protocol:"), ERR_HS_PROTOCOL);
    fails(changed("\r\n\r\n", "\r\nSec-WebSocket-Protocol: chat\r\n\r\n"), ERR_HS_PROTOCOL);
  });
  it("item 6: no subprotocol is fine, whatever was offered", () => {
    expect(validate(changed("Sec-WebSocket-Protocol: chat\r\n", ""))).toBe(101);
    expect(field(HS_PROTOCOL)).toBe("<none>");
  });
  it("a malformed status line or header", () => {
    fails(changed("HTTP/1.1 101", "HTTP/1.1 1O1"), ERR_HS_MALFORMED);
    fails(changed("HTTP/1.1 101", "HTTP/1.1 099"), ERR_HS_MALFORMED);
    fails(changed("HTTP/1.1 101", "HTTP/1.1  101"), ERR_HS_MALFORMED);
    fails(changed("HTTP/1.1 101 ", "HTTP/1.1 101x"), ERR_HS_MALFORMED);
    fails(changed("HTTP/1.1", "HTTP/2.0"), ERR_HS_MALFORMED);
    fails(changed("HTTP/1.1", "ICY"), ERR_HS_MALFORMED);
    fails(changed("Upgrade: ", "Upgrade : "), ERR_HS_MALFORMED);
    // Bare LFs: the head ends at LF LF and fails there, not at the handshake timeout.
    fails(RESPONSE.replaceAll("\r\n", "\n"), ERR_HS_MALFORMED);
  });
  it("limits: a head over maxBytes, more than HS_MAX_HEADERS headers", () => {
    const n = size(RESPONSE);
    const p = bytes(`${RESPONSE}chat`);
    expect(clientResponse(sampleClient(), p, n, n, 4, 0)).toBe(101);
    expect(clientResponse(sampleClient(), p, n, n - 1, 4, 0)).toBe(1);
    expect(error()).toBe(ERR_HS_TOO_LARGE);
    let lines = "";
    for (let i = 0; i < 125; i++) lines += `X-${i.toString()}: 1\r\n`;
    expect(validate(changed("\r\n\r\n", `\r\n${lines}\r\n`))).toBe(1);
    expect(error()).toBe(ERR_HS_TOO_MANY_HEADERS);
  });
});
