// RFC 6455 section 4: the HTTP/1.1 upgrade, read and written as raw bytes.
import { createHash, randomBytes } from "node:crypto";
import type { Socket } from "node:net";
import type { HttpHead } from "./types.ts";

const GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
const MAX_HEAD = 16 * 1024;

/** 4.2.2 step 5.4: base64(SHA-1(key + GUID)). */
export const acceptFor = (key: string): string =>
  createHash("sha1")
    .update(key + GUID)
    .digest("base64");

export const newKey = (): string => randomBytes(16).toString("base64");

export function upgradeRequest(host: string, path: string, key: string, extra: string[] = []): string {
  return [
    `GET ${path} HTTP/1.1`,
    `Host: ${host}`,
    "Upgrade: websocket",
    "Connection: Upgrade",
    `Sec-WebSocket-Key: ${key}`,
    "Sec-WebSocket-Version: 13",
    ...extra,
    "",
    "",
  ].join("\r\n");
}

export interface ParsedHead {
  startLine: string;
  headers: Record<string, string>;
  /** Bytes after the blank line: the first frame bytes (4.2.1: keep them). */
  rest: Buffer;
}

/** Read one HTTP head from `socket`, bounded in size and time. Rejects on EOF or timeout. */
export function readHead(socket: Socket, timeoutMs: number): Promise<ParsedHead> {
  return new Promise((resolve, reject) => {
    let buf = Buffer.alloc(0);
    const timer = setTimeout(() => done(new Error(`no HTTP head within ${timeoutMs} ms`)), timeoutMs);
    const onData = (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      const end = buf.indexOf("\r\n\r\n");
      if (end >= 0)
        return done(undefined, parseHead(buf.subarray(0, end).toString("latin1"), buf.subarray(end + 4)));
      if (buf.length > MAX_HEAD) done(new Error("HTTP head too large"));
    };
    const onEnd = () => done(new Error("connection closed before the HTTP head ended"));
    const onError = (e: Error) => done(e);
    const done = (err?: Error, head?: ParsedHead) => {
      clearTimeout(timer);
      socket.off("data", onData).off("end", onEnd).off("close", onEnd).off("error", onError);
      if (err) reject(err);
      else resolve(head!);
    };
    socket.on("data", onData).on("end", onEnd).on("close", onEnd).on("error", onError);
  });
}

function parseHead(text: string, rest: Buffer): ParsedHead {
  const [startLine, ...lines] = text.split("\r\n");
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const i = line.indexOf(":");
    if (i <= 0) continue;
    const name = line.slice(0, i).trim().toLowerCase();
    const value = line.slice(i + 1).trim();
    headers[name] = name in headers ? `${headers[name]}, ${value}` : value;
  }
  return { startLine, headers, rest };
}

export function asResponse(h: ParsedHead): HttpHead {
  const m = /^HTTP\/1\.[01] (\d{3}) ?(.*)$/.exec(h.startLine);
  return { status: m ? Number(m[1]) : 0, reason: m?.[2] ?? h.startLine, headers: h.headers };
}

/** Comma-separated header tokens, lower-cased (Connection: keep-alive, Upgrade). */
export const tokens = (v: string | undefined): string[] =>
  (v ?? "")
    .split(",")
    .map((t) => t.trim().toLowerCase())
    .filter(Boolean);

/** 4.1 client rules, checked by the fuzzing server: why the request is not a valid upgrade, if it is not. */
export function requestProblem(h: ParsedHead): string | undefined {
  const m = /^GET (\S+) HTTP\/1\.(\d)$/.exec(h.startLine);
  if (!m) return `request line is not "GET <path> HTTP/1.1": ${h.startLine}`;
  if (m[2] === "0") return "HTTP/1.0 request";
  if (!h.headers.host) return "no Host header";
  if (!tokens(h.headers.upgrade).includes("websocket")) return "Upgrade does not name websocket";
  if (!tokens(h.headers.connection).includes("upgrade")) return "Connection does not include Upgrade";
  if (h.headers["sec-websocket-version"] !== "13") return "Sec-WebSocket-Version is not 13";
  const key = h.headers["sec-websocket-key"] ?? "";
  if (Buffer.from(key, "base64").length !== 16 || !/^[A-Za-z0-9+/]{22}==$/.test(key))
    return "Sec-WebSocket-Key is not 16 base64-encoded bytes";
  return undefined;
}

/** 4.1 steps 1-4 of the client's view of the server's response: why it is not a valid 101, if it is not. */
export function responseProblem(res: HttpHead, key: string, offered = false): string | undefined {
  if (res.status !== 101) return `status ${res.status} ${res.reason}`;
  if (!tokens(res.headers.upgrade).includes("websocket")) return "Upgrade header is not websocket";
  if (!tokens(res.headers.connection).includes("upgrade")) return "Connection header lacks Upgrade";
  if (res.headers["sec-websocket-accept"] !== acceptFor(key))
    return `Sec-WebSocket-Accept ${res.headers["sec-websocket-accept"]} != ${acceptFor(key)}`;
  // With an offer, the answer is judged by the compression code (RFC 7692 7.1).
  if (res.headers["sec-websocket-extensions"] && !offered)
    return "an extension was accepted that was never offered";
  return undefined;
}
