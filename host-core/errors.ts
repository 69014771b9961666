// One error type for the protocol layer; `code` is stable and listed in the README.
const messages: Record<number, [string, string]> = {
  1: ["WS_ERR_RESERVED_OPCODE", "reserved opcode"],
  2: ["WS_ERR_UNEXPECTED_RSV", "RSV bit set without a negotiated extension"],
  3: ["WS_ERR_FRAGMENTED_CONTROL", "fragmented control frame"],
  4: ["WS_ERR_CONTROL_TOO_LONG", "control frame payload over 125 bytes"],
  5: ["WS_ERR_LENGTH_TOP_BIT", "64-bit payload length with the most significant bit set"],
  6: ["WS_ERR_EXPECTED_MASK", "unmasked frame from a client"],
  7: ["WS_ERR_UNEXPECTED_MASK", "masked frame from a server"],
  8: ["WS_ERR_UNEXPECTED_CONTINUATION", "continuation frame without a message in progress"],
  9: ["WS_ERR_EXPECTED_CONTINUATION", "new message inside a fragmented message"],
  10: ["WS_ERR_INVALID_UTF8", "invalid UTF-8"],
  11: ["WS_ERR_INVALID_CLOSE_CODE", "invalid close code"],
  12: ["WS_ERR_CLOSE_ONE_BYTE", "close frame with a 1-byte payload"],
  13: ["WS_ERR_FRAME_TOO_LARGE", "frame larger than maxFrameSize"],
  14: ["WS_ERR_MESSAGE_TOO_LARGE", "message larger than maxMessageSize"],
  15: ["WS_ERR_SEND_TOO_LARGE", "payload too large for one frame() call"],
  16: ["WS_ERR_SEND_AFTER_CLOSE", "sending after a close frame was sent"],
  17: ["WS_ERR_SEND_CONTROL_TOO_LONG", "control frame payload over 125 bytes"],
  18: ["WS_ERR_SEND_CLOSE_CODE", "close code not allowed on the wire"],
  32: ["WS_ERR_HANDSHAKE_MALFORMED", "malformed HTTP message"],
  33: ["WS_ERR_HANDSHAKE_METHOD", "method is not GET"],
  34: ["WS_ERR_HANDSHAKE_HTTP_VERSION", "HTTP version is not 1.1"],
  35: ["WS_ERR_HANDSHAKE_HOST", "missing or repeated Host header"],
  36: ["WS_ERR_HANDSHAKE_UPGRADE", "Upgrade header does not name websocket"],
  37: ["WS_ERR_HANDSHAKE_CONNECTION", "Connection header does not name upgrade"],
  38: ["WS_ERR_HANDSHAKE_KEY", "missing or invalid Sec-WebSocket-Key"],
  39: ["WS_ERR_HANDSHAKE_VERSION", "Sec-WebSocket-Version is not 13"],
  40: ["WS_ERR_HANDSHAKE_TOO_LARGE", "handshake headers too large"],
  41: ["WS_ERR_HANDSHAKE_TOO_MANY_HEADERS", "too many handshake headers"],
  42: ["WS_ERR_HANDSHAKE_STATUS", "server did not answer 101"],
  43: ["WS_ERR_HANDSHAKE_ACCEPT", "wrong Sec-WebSocket-Accept"],
  44: ["WS_ERR_HANDSHAKE_PROTOCOL", "server chose a subprotocol that was not offered"],
  45: ["WS_ERR_HANDSHAKE_EXTENSION", "server chose an extension that was not offered"],
  46: ["WS_ERR_HANDSHAKE_FIELD", "header field contains CR, LF or NUL"],
};

export class WebSocketError extends Error {
  /** A stable code such as `WS_ERR_INVALID_UTF8`. */
  readonly code: string;
  /** The close code sent to the peer because of this error, when there is one. */
  readonly closeCode: number;

  constructor(code: string, message: string, closeCode = 0) {
    super(message);
    this.name = "WebSocketError";
    this.code = code;
    this.closeCode = closeCode;
  }

  static fromCore(id: number, closeCode = 0, detail = ""): WebSocketError {
    const [code, message] = messages[id] ?? ["WS_ERR_UNKNOWN", `core error ${id}`];
    return new WebSocketError(code, detail ? `${message}: ${detail}` : message, closeCode);
  }
}
