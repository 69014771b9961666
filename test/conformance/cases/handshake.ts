// RFC 6455 section 4.2: the server's side of the opening handshake. Only played against servers.
import { acceptFor, tokens } from "../http.ts";
import type { HandshakeCase, HttpHead } from "../types.ts";
import { gotText, text } from "./dsl.ts";

type Target = { host: string; path: string; key: string };
/** A request head from lines; `{host}`, `{path}` and `{key}` are filled in. */
const req =
  (...lines: string[]) =>
  (t: Target) =>
    `${lines.map((l) => l.replace("{host}", t.host).replace("{path}", t.path).replace("{key}", t.key)).join("\r\n")}\r\n\r\n`;

const GOOD = [
  "GET {path} HTTP/1.1",
  "Host: {host}",
  "Upgrade: websocket",
  "Connection: Upgrade",
  "Sec-WebSocket-Key: {key}",
  "Sec-WebSocket-Version: 13",
];
const without = (prefix: string) => GOOD.filter((l) => !l.startsWith(prefix));
const replacing = (prefix: string, line: string) => GOOD.map((l) => (l.startsWith(prefix) ? line : l));

/** 4.2.2 step 5: what every 101 must carry. */
function acceptOk(res: HttpHead, t: { key: string }): string | undefined {
  if (!tokens(res.headers.upgrade).includes("websocket")) return "Upgrade header is not websocket";
  if (!tokens(res.headers.connection).includes("upgrade")) return "Connection header lacks Upgrade";
  const got = res.headers["sec-websocket-accept"];
  if (got !== acceptFor(t.key)) return `Sec-WebSocket-Accept is ${got}, expected ${acceptFor(t.key)}`;
  if (res.headers["sec-websocket-protocol"]) return "a subprotocol was selected that was never offered";
  if (res.headers["sec-websocket-extensions"]) return "an extension was accepted that was never offered";
  return undefined;
}

const RFC_KEY = "dGhlIHNhbXBsZSBub25jZQ==";

export const handshake: HandshakeCase[] = [
  {
    id: "0.1",
    description: "a valid upgrade request",
    expectation: "101 with Upgrade, Connection and the right Sec-WebSocket-Accept, nothing unoffered",
    request: req(...GOOD),
    expect: { status: 101, check: acceptOk },
  },
  {
    id: "0.2",
    description: `the RFC's sample key ${RFC_KEY}`,
    expectation: "101 with Sec-WebSocket-Accept s3pPLMBiTxaQ9kYGzzhZRbK+xOo=",
    request: (t) => req(...GOOD)({ ...t, key: RFC_KEY }),
    expect: {
      status: 101,
      check: (res) =>
        res.headers["sec-websocket-accept"] === "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
          ? undefined
          : `Sec-WebSocket-Accept is ${res.headers["sec-websocket-accept"]}`,
    },
  },
  {
    id: "0.3",
    description: "header names and values in odd case, Connection as a token list",
    expectation: "101 (4.2.1: names and these values are case-insensitive)",
    request: req(
      "GET {path} HTTP/1.1",
      "host: {host}",
      "UPGRADE: WebSocket",
      "connection: keep-alive, upgrade",
      "sec-websocket-key: {key}",
      "SEC-WEBSOCKET-VERSION: 13",
    ),
    expect: { status: 101, check: acceptOk },
  },
  {
    id: "0.4",
    description: "no Sec-WebSocket-Key",
    expectation: "rejected with a 4xx, no 101",
    request: req(...without("Sec-WebSocket-Key")),
    expect: { status: "reject", preferStatus: 400 },
  },
  {
    id: "0.5",
    description: "a Sec-WebSocket-Key that is not 16 bytes in base64",
    expectation: "rejected with a 4xx, no 101",
    request: req(...replacing("Sec-WebSocket-Key", "Sec-WebSocket-Key: c2hvcnQ=")),
    expect: { status: "reject", preferStatus: 400 },
  },
  {
    id: "0.6",
    description: "Sec-WebSocket-Version: 99",
    expectation: "426 Upgrade Required with Sec-WebSocket-Version: 13 (4.4)",
    request: req(...replacing("Sec-WebSocket-Version", "Sec-WebSocket-Version: 99")),
    expect: { status: "reject", preferStatus: 426, check: versionListed },
  },
  {
    id: "0.7",
    description: "no Sec-WebSocket-Version",
    expectation: "rejected with a 4xx, ideally 426 with Sec-WebSocket-Version: 13",
    request: req(...without("Sec-WebSocket-Version")),
    expect: { status: "reject", preferStatus: 426 },
  },
  {
    id: "0.8",
    description: "POST instead of GET",
    expectation: "rejected with a 4xx (4.2.1: the method must be GET)",
    request: req(...replacing("GET", "POST {path} HTTP/1.1"), "Content-Length: 0"),
    expect: { status: "reject" },
  },
  {
    id: "0.9",
    description: "no Upgrade header",
    expectation: "no 101",
    request: req(...without("Upgrade:")),
    expect: { status: "reject" },
  },
  {
    id: "0.10",
    description: "Upgrade: h2c instead of websocket",
    expectation: "no 101",
    request: req(...replacing("Upgrade:", "Upgrade: h2c")),
    expect: { status: "reject" },
  },
  {
    id: "0.11",
    description: "no Connection: Upgrade",
    expectation: "no 101",
    request: req(...replacing("Connection:", "Connection: keep-alive")),
    expect: { status: "reject" },
  },
  {
    id: "0.12",
    description: "no Host header",
    expectation: "rejected with a 4xx (4.2.1: Host is required)",
    request: req(...without("Host:")),
    expect: { status: "reject", preferStatus: 400, lenient: "accepted an upgrade request without Host" },
  },
  {
    id: "0.13",
    description: "an HTTP/1.0 request",
    expectation: "no 101 (4.2.1: HTTP/1.1 or higher)",
    request: req(...replacing("GET", "GET {path} HTTP/1.0")),
    expect: { status: "reject", lenient: "accepted an HTTP/1.0 upgrade request" },
  },
  {
    id: "0.14",
    description: "subprotocols offered: chat, superchat",
    expectation: "101 naming at most one of the offered subprotocols, exactly as offered",
    request: req(...GOOD, "Sec-WebSocket-Protocol: chat, superchat"),
    expect: {
      status: 101,
      check: (res, t) => {
        const p = res.headers["sec-websocket-protocol"];
        if (p !== undefined && p !== "chat" && p !== "superchat") return `selected subprotocol "${p}"`;
        return acceptOk({ ...res, headers: { ...res.headers, "sec-websocket-protocol": "" } }, t);
      },
    },
  },
  {
    id: "0.15",
    description: "a masked text frame in the same TCP write as the request",
    expectation: "101, then the frame is processed: its echo arrives",
    request: req(...GOOD),
    trailing: [text("Hello, early bird")],
    expect: { status: 101, check: acceptOk, echo: [gotText("Hello, early bird")] },
  },
  {
    id: "0.16",
    description: "a Host with a path and a query in it: Host: HOST/public?",
    expectation: "400 (RFC 9112 3.2: an invalid Host value), no 101",
    request: req(...replacing("Host:", "Host: {host}/public?")),
    expect: { status: "reject", preferStatus: 400, lenient: "accepted an invalid Host" },
  },
  {
    id: "0.17",
    description: "a Host with userinfo: Host: user@HOST",
    expectation: "400 (RFC 9112 3.2: Host is uri-host [: port]), no 101",
    request: req(...replacing("Host:", "Host: user@{host}")),
    expect: { status: "reject", preferStatus: 400, lenient: "accepted an invalid Host" },
  },
  {
    id: "0.18",
    description: "the absolute-form of the target: GET http://HOST/PATH HTTP/1.1",
    expectation: "101 (RFC 9112 3.2.2: a server MUST accept the absolute-form), then echoes",
    request: req(...replacing("GET", "GET http://{host}{path} HTTP/1.1")),
    trailing: [text("absolute")],
    expect: { status: 101, check: acceptOk, echo: [gotText("absolute")] },
  },
  {
    id: "0.19",
    description: "the authority-form of the target: GET HOST HTTP/1.1",
    expectation: "400 (RFC 9112 3.2.3: only for CONNECT), no 101",
    request: req(...replacing("GET", "GET {host} HTTP/1.1")),
    expect: { status: "reject", preferStatus: 400 },
  },
  {
    id: "0.20",
    description: "a byte above 0x7f in the target",
    expectation: "400 (RFC 9112 3.2: the target is ASCII), no 101",
    request: (t) => req(...GOOD)({ ...t, path: `${t.path}\u00e9` }),
    expect: { status: "reject", preferStatus: 400 },
  },
  {
    id: "0.21",
    description: "a subprotocol offer that is not a token: Sec-WebSocket-Protocol: a b",
    expectation: "400 (4.1: each element is a token), no 101",
    request: req(...GOOD, "Sec-WebSocket-Protocol: a b"),
    expect: { status: "reject", preferStatus: 400 },
  },
  {
    id: "0.22",
    description: "a request body: Content-Length: 8, then the 8 bytes of a masked text frame",
    expectation: "400 (RFC 9110 7.8: the upgraded protocol starts after the request), the body not echoed",
    request: (t) => `${req(...GOOD, "Content-Length: 8")(t)}\x81\x82\x00\x00\x00\x00hi`,
    expect: { status: "reject", preferStatus: 400, lenient: "read a request body as frames" },
  },
  {
    id: "0.23",
    description: "a request whose lines end in a bare LF, not CRLF",
    expectation:
      "an answer, not a wait: 400 (RFC 9112 2.2 lets a recipient read LF as a line end, a known smuggling vector behind proxies that do not), no 101",
    request: (t) => req(...GOOD)(t).replaceAll("\r\n", "\n"),
    expect: { status: "reject", preferStatus: 400, lenient: "read bare LFs as line ends" },
  },
  {
    id: "0.24",
    description: "two Origin headers",
    expectation: "400 (RFC 6454 7.3: a client sends at most one; an origin check may read either), no 101",
    request: req(...GOOD, "Origin: http://{host}", "Origin: http://elsewhere.example"),
    expect: { status: "reject", preferStatus: 400, lenient: "accepted two Origin headers" },
  },
];

function versionListed(res: HttpHead): string | undefined {
  if (!tokens(res.headers["sec-websocket-version"]).includes("13"))
    return "the rejection does not list Sec-WebSocket-Version: 13";
  // RFC 9110 7.8: a sender of Upgrade also lists "upgrade" in Connection.
  if (res.headers.upgrade !== undefined && !tokens(res.headers.connection).includes("upgrade"))
    return "Upgrade is sent without Connection: upgrade";
  return undefined;
}
