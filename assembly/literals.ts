// The byte strings of the opening handshake (RFC 6455 4), as counted strings: a length byte, then
// the bytes. Header names are lowercase: they are matched ignoring case.
// "host"
export const N_HOST = memory.data<u8>([4, 104, 111, 115, 116]);
// "upgrade", also the Connection token
export const N_UPGRADE = memory.data<u8>([7, 117, 112, 103, 114, 97, 100, 101]);
// "connection"
export const N_CONNECTION = memory.data<u8>([10, 99, 111, 110, 110, 101, 99, 116, 105, 111, 110]);
// "origin"
export const N_ORIGIN = memory.data<u8>([6, 111, 114, 105, 103, 105, 110]);
// "sec-websocket-key"
export const N_KEY = memory.data<u8>([
  17, 115, 101, 99, 45, 119, 101, 98, 115, 111, 99, 107, 101, 116, 45, 107, 101, 121,
]);
// "sec-websocket-version"
export const N_VERSION = memory.data<u8>([
  21, 115, 101, 99, 45, 119, 101, 98, 115, 111, 99, 107, 101, 116, 45, 118, 101, 114, 115, 105, 111, 110,
]);
// "sec-websocket-protocol"
export const N_PROTOCOL = memory.data<u8>([
  22, 115, 101, 99, 45, 119, 101, 98, 115, 111, 99, 107, 101, 116, 45, 112, 114, 111, 116, 111, 99, 111, 108,
]);
// "sec-websocket-extensions"
export const N_EXTENSIONS = memory.data<u8>([
  24, 115, 101, 99, 45, 119, 101, 98, 115, 111, 99, 107, 101, 116, 45, 101, 120, 116, 101, 110, 115, 105, 111,
  110, 115,
]);
// "sec-websocket-accept"
export const N_ACCEPT = memory.data<u8>([
  20, 115, 101, 99, 45, 119, 101, 98, 115, 111, 99, 107, 101, 116, 45, 97, 99, 99, 101, 112, 116,
]);
// "websocket"
export const T_WEBSOCKET = memory.data<u8>([9, 119, 101, 98, 115, 111, 99, 107, 101, 116]);
// "13"
export const V_13 = memory.data<u8>([2, 49, 51]);
// "258EAFA5-E914-47DA-95CA-C5AB0DC85B11" (RFC 6455 1.3)
export const GUID = memory.data<u8>([
  36, 50, 53, 56, 69, 65, 70, 65, 53, 45, 69, 57, 49, 52, 45, 52, 55, 68, 65, 45, 57, 53, 67, 65, 45, 67, 53,
  65, 66, 48, 68, 67, 56, 53, 66, 49, 49,
]);
// "GET "
export const R_GET = memory.data<u8>([4, 71, 69, 84, 32]);
// " HTTP/1.1\r\nHost: "
export const R_HOST = memory.data<u8>([
  17, 32, 72, 84, 84, 80, 47, 49, 46, 49, 13, 10, 72, 111, 115, 116, 58, 32,
]);
// "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: "
export const R_KEY = memory.data<u8>([
  62, 13, 10, 85, 112, 103, 114, 97, 100, 101, 58, 32, 119, 101, 98, 115, 111, 99, 107, 101, 116, 13, 10, 67,
  111, 110, 110, 101, 99, 116, 105, 111, 110, 58, 32, 85, 112, 103, 114, 97, 100, 101, 13, 10, 83, 101, 99,
  45, 87, 101, 98, 83, 111, 99, 107, 101, 116, 45, 75, 101, 121, 58, 32,
]);
// "\r\nSec-WebSocket-Version: 13\r\n"
export const R_VERSION = memory.data<u8>([
  29, 13, 10, 83, 101, 99, 45, 87, 101, 98, 83, 111, 99, 107, 101, 116, 45, 86, 101, 114, 115, 105, 111, 110,
  58, 32, 49, 51, 13, 10,
]);
// "Origin: "
export const R_ORIGIN = memory.data<u8>([8, 79, 114, 105, 103, 105, 110, 58, 32]);
// "Sec-WebSocket-Protocol: "
export const R_PROTOCOL = memory.data<u8>([
  24, 83, 101, 99, 45, 87, 101, 98, 83, 111, 99, 107, 101, 116, 45, 80, 114, 111, 116, 111, 99, 111, 108, 58,
  32,
]);
// "Sec-WebSocket-Extensions: "
export const R_EXTENSIONS = memory.data<u8>([
  26, 83, 101, 99, 45, 87, 101, 98, 83, 111, 99, 107, 101, 116, 45, 69, 120, 116, 101, 110, 115, 105, 111,
  110, 115, 58, 32,
]);
// "\r\n"
export const CRLF = memory.data<u8>([2, 13, 10]);
// "content-length"
export const N_CONTENT_LENGTH = memory.data<u8>([
  14, 99, 111, 110, 116, 101, 110, 116, 45, 108, 101, 110, 103, 116, 104,
]);
// "transfer-encoding"
export const N_TRANSFER_ENCODING = memory.data<u8>([
  17, 116, 114, 97, 110, 115, 102, 101, 114, 45, 101, 110, 99, 111, 100, 105, 110, 103,
]);
// "http"
export const S_HTTP = memory.data<u8>([4, 104, 116, 116, 112]);
// "https"
export const S_HTTPS = memory.data<u8>([5, 104, 116, 116, 112, 115]);
// "ws"
export const S_WS = memory.data<u8>([2, 119, 115]);
// "wss"
export const S_WSS = memory.data<u8>([3, 119, 115, 115]);
