// One error type for the whole library; `code` is stable and listed in the README. Errors the core
// reports are keyed by their ABI id; errors raised in TypeScript by their code.
import * as abi from "./abi.ts";

const coreErrors: Record<number, [string, string]> = {
  [abi.ERR_RESERVED_OPCODE]: ["WS_ERR_RESERVED_OPCODE", "reserved opcode"],
  [abi.ERR_UNEXPECTED_RSV]: ["WS_ERR_UNEXPECTED_RSV", "RSV bit set without a negotiated extension"],
  [abi.ERR_FRAGMENTED_CONTROL]: ["WS_ERR_FRAGMENTED_CONTROL", "fragmented control frame"],
  [abi.ERR_CONTROL_TOO_LONG]: ["WS_ERR_CONTROL_TOO_LONG", "control frame payload over 125 bytes"],
  [abi.ERR_LENGTH_TOP_BIT]: [
    "WS_ERR_LENGTH_TOP_BIT",
    "64-bit payload length with the most significant bit set",
  ],
  [abi.ERR_EXPECTED_MASK]: ["WS_ERR_EXPECTED_MASK", "unmasked frame from a client"],
  [abi.ERR_UNEXPECTED_MASK]: ["WS_ERR_UNEXPECTED_MASK", "masked frame from a server"],
  [abi.ERR_UNEXPECTED_CONTINUATION]: [
    "WS_ERR_UNEXPECTED_CONTINUATION",
    "continuation frame without a message in progress",
  ],
  [abi.ERR_EXPECTED_CONTINUATION]: [
    "WS_ERR_EXPECTED_CONTINUATION",
    "new message inside a fragmented message",
  ],
  [abi.ERR_INVALID_UTF8]: ["WS_ERR_INVALID_UTF8", "invalid UTF-8"],
  [abi.ERR_INVALID_CLOSE_CODE]: ["WS_ERR_INVALID_CLOSE_CODE", "invalid close code"],
  [abi.ERR_CLOSE_ONE_BYTE]: ["WS_ERR_CLOSE_ONE_BYTE", "close frame with a 1-byte payload"],
  [abi.ERR_FRAME_TOO_LARGE]: ["WS_ERR_FRAME_TOO_LARGE", "frame larger than maxPayload"],
  [abi.ERR_MESSAGE_TOO_LARGE]: ["WS_ERR_MESSAGE_TOO_LARGE", "message larger than maxPayload"],
  [abi.ERR_SEND_TOO_LARGE]: ["WS_ERR_SEND_TOO_LARGE", "payload too large for one frame"],
  [abi.ERR_SEND_AFTER_CLOSE]: ["WS_ERR_SEND_AFTER_CLOSE", "sending after a close frame was sent"],
  [abi.ERR_SEND_CONTROL_TOO_LONG]: ["WS_ERR_SEND_CONTROL_TOO_LONG", "control frame payload over 125 bytes"],
  [abi.ERR_SEND_CLOSE_CODE]: ["WS_ERR_SEND_CLOSE_CODE", "close code not allowed on the wire"],
  [abi.ERR_CLOSE_REASON_TOO_LONG]: ["WS_ERR_CLOSE_REASON_TOO_LONG", "close reason over 123 bytes"],
  [abi.ERR_INFLATE]: ["WS_ERR_INVALID_COMPRESSED", "invalid permessage-deflate data"],
  [abi.ERR_HS_MALFORMED]: ["WS_ERR_HANDSHAKE_MALFORMED", "malformed HTTP message"],
  [abi.ERR_HS_METHOD]: ["WS_ERR_HANDSHAKE_METHOD", "method is not GET"],
  [abi.ERR_HS_HTTP_VERSION]: ["WS_ERR_HANDSHAKE_HTTP_VERSION", "HTTP version is not 1.1"],
  [abi.ERR_HS_HOST]: ["WS_ERR_HANDSHAKE_HOST", "missing, repeated or invalid Host header"],
  [abi.ERR_HS_UPGRADE]: ["WS_ERR_HANDSHAKE_UPGRADE", "Upgrade header does not name websocket"],
  [abi.ERR_HS_CONNECTION]: ["WS_ERR_HANDSHAKE_CONNECTION", "Connection header does not name upgrade"],
  [abi.ERR_HS_KEY]: ["WS_ERR_HANDSHAKE_KEY", "missing or invalid Sec-WebSocket-Key"],
  [abi.ERR_HS_VERSION]: ["WS_ERR_HANDSHAKE_VERSION", "Sec-WebSocket-Version is not 13"],
  [abi.ERR_HS_TOO_LARGE]: ["WS_ERR_HANDSHAKE_TOO_LARGE", "handshake headers too large"],
  [abi.ERR_HS_TOO_MANY_HEADERS]: ["WS_ERR_HANDSHAKE_TOO_MANY_HEADERS", "too many handshake headers"],
  [abi.ERR_HS_STATUS]: ["WS_ERR_HANDSHAKE_STATUS", "server did not answer 101"],
  [abi.ERR_HS_ACCEPT]: ["WS_ERR_HANDSHAKE_ACCEPT", "wrong Sec-WebSocket-Accept"],
  [abi.ERR_HS_PROTOCOL]: ["WS_ERR_HANDSHAKE_PROTOCOL", "server chose a subprotocol that was not offered"],
  [abi.ERR_HS_EXTENSION]: ["WS_ERR_HANDSHAKE_EXTENSION", "server chose an extension that was not offered"],
  [abi.ERR_HS_FIELD]: ["WS_ERR_HANDSHAKE_FIELD", "header field contains CR, LF or NUL"],
  [abi.ERR_HS_PROTOCOL_LIST]: [
    "WS_ERR_HANDSHAKE_PROTOCOL_LIST",
    "Sec-WebSocket-Protocol is not a list of tokens",
  ],
  [abi.ERR_HS_BODY]: ["WS_ERR_HANDSHAKE_BODY", "an upgrade request with a body"],
  [abi.ERR_HS_ORIGIN]: ["WS_ERR_HANDSHAKE_ORIGIN_REPEATED", "more than one Origin"],
};

/** Errors raised by host-core itself, with their default messages. */
const hostErrors = {
  WS_ERR_HANDSHAKE_TIMEOUT: "handshake timed out",
  WS_ERR_HANDSHAKE_PATH: "path not served",
  WS_ERR_HANDSHAKE_ORIGIN: "origin not allowed",
  WS_ERR_HANDSHAKE_CAPACITY: "too many connections",
  WS_ERR_HANDSHAKE_REFUSED: "the upgrade hook refused the request",
  WS_ERR_HANDSHAKE_HOOK: "the upgrade hook failed",
  WS_ERR_HANDSHAKE_DEFLATE: "server answered permessage-deflate against RFC 7692",
  WS_ERR_HANDSHAKE_NO_HANDLER: "no handler for the offered subprotocols",
  WS_ERR_HANDLER: "a handler threw",
  WS_ERR_INVALID_MESSAGE: "message the codec cannot decode",
  WS_ERR_INVALID_PAYLOAD: "send() takes a string, an ArrayBuffer or an ArrayBufferView",
  WS_ERR_CLOSED_BEFORE_OPEN: "closed before the connection opened",
  WS_ERR_CONNECTION_LOST: "connection lost",
  WS_ERR_TRANSPORT: "transport error",
  WS_ERR_BLOB_READ: "a Blob given to send() could not be read",
  WS_ERR_NO_CORE:
    "no core module: import a host (e.g. wasmsock/node) or wasmsock/inline, or call useModule()",
  WS_ERR_CORE_LOADED: "the core is already loaded; call useModule() before first use",
} as const;

export type HostErrorCode = keyof typeof hostErrors;

export class WebSocketError extends Error {
  /** A stable code such as `WS_ERR_INVALID_UTF8`. */
  readonly code: string;
  /** The close code sent to the peer because of this error, when there is one. */
  readonly closeCode: number;

  constructor(code: string, message: string, closeCode = 0, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "WebSocketError";
    this.code = code;
    this.closeCode = closeCode;
  }

  /** An error the core reported by its ERR_* id (abi.ts). */
  static fromCore(id: number, closeCode = 0, detail = ""): WebSocketError {
    const [code, message] = coreErrors[id] ?? ["WS_ERR_UNKNOWN", `core error ${id}`];
    return new WebSocketError(code, detail ? `${message}: ${detail}` : message, closeCode);
  }
}

/** An error host-core raises, by its code; `detail` is appended to the default message. */
export function wsError(code: HostErrorCode, detail = "", cause?: unknown, closeCode = 0): WebSocketError {
  const message = hostErrors[code];
  return new WebSocketError(
    code,
    detail ? `${message}: ${detail}` : message,
    closeCode,
    cause === undefined ? undefined : { cause },
  );
}

/** Every code this library can raise, for the README's table and its test. */
export function errorCodes(): string[] {
  return [...Object.values(coreErrors).map(([code]) => code), ...Object.keys(hostErrors)];
}
