// The numbers shared with host-core. scripts/gen-abi.mjs turns this file into host-core/abi.ts at build
// time, so only `export const NAME: type = value;` lines and comments belong here. Changing one is an
// ABI change.

// Region sizes. The input region takes one received chunk; hosts feed larger reads in pieces.
export const INPUT_CAP: u32 = 65536;
// Worst case: every 2-byte frame a client receives is an empty ping answered by a 6-byte masked pong.
export const OUTPUT_CAP: u32 = INPUT_CAP * 3 + 1024;
// Worst case: a client receiving 2-byte empty pings gets two events (ping, reply) per 2 bytes.
export const EVENT_CAP: u32 = INPUT_CAP + 8;
export const EVENT_SIZE: u32 = 16;
// Small frames are assembled here: up to 14 header bytes, then the payload at SEND_PAYLOAD.
export const SEND_CAP: u32 = 65536 + 16;
export const SEND_PAYLOAD: u32 = 16;
// 5.3: masking keys for every frame a client session writes, drawn in order from a ring that the host
// refills from crypto.getRandomValues once KEY_REFILL bytes of it are used. One receive() call may
// draw a key per 2 input bytes (empty pings answered by pongs), so the ring holds more than a call
// can draw plus the refill threshold: no key is drawn twice between refills.
export const KEY_POOL_SIZE: u32 = 262144;
export const KEY_REFILL: u32 = 4096;
// RFC 7692 sending (assembly/deflate.ts): the largest piece deflateChunk() takes without splitting it,
// and the size of the deflateInPtr() region.
export const DEFLATE_IN_CAP: u32 = 65536;
// The handshake result record and its header table.
export const HS_MAX_HEADERS: u32 = 128;
// One header table entry: u32 namePtr, nameLen, valuePtr, valueLen.
export const HS_HEADER_SIZE: u32 = 16;
export const HS_RECORD_SIZE: u32 = 128 + HS_MAX_HEADERS * HS_HEADER_SIZE;

// Event record (16 bytes): u8 kind, u8 flags, u16 code, u32 ptr, u32 len, u32 aux.
// aux: for text/binary, payload bytes still to come in the current frame (capped at 2^32-1);
// for an error, its ERR_* id. Hosts read a record as four u32 words: EV_*/4.
export const EV_KIND: u32 = 0;
export const EV_FLAGS: u32 = 1;
export const EV_CODE: u32 = 2;
export const EV_PTR: u32 = 4;
export const EV_LEN: u32 = 8;
export const EV_AUX: u32 = 12;

export const KIND_TEXT: u8 = 1;
export const KIND_BINARY: u8 = 2;
export const KIND_PING: u8 = 3;
export const KIND_PONG: u8 = 4;
export const KIND_CLOSE: u8 = 5;
// Bytes the core wrote to the output region for the host to send (auto pong, close echo).
export const KIND_REPLY: u8 = 6;
export const KIND_ERROR: u8 = 7;
// Last event of a call whose inflated output filled the session's ring: the host dispatches the
// events, then calls resume(s) before any other call, and the input region must stay as it is.
export const KIND_SUSPEND: u8 = 8;

export const FLAG_FIN: u8 = 1; // last piece of the message
export const FLAG_FIRST: u8 = 2; // first piece of the message
export const FLAG_RSV1: u8 = 4; // message is compressed (permessage-deflate); internal to the core
export const FLAG_ASCII: u8 = 8; // a whole text message in one event, every byte below 0x80

// Bits of a frame's first byte (RFC 6455 5.2).
export const B0_FIN: u32 = 0x80;
export const B0_RSV1: u32 = 0x40;

// Session open flags.
export const SESSION_CLIENT: u32 = 1;

// A connection's state as sessionState() reports it (like tungstenite's WebSocketState). The core
// derives it from what it has seen and sent; CLOSED is the host's: the transport is gone.
export const STATE_CONNECTING: u32 = 0; // a client's request is out, the 101 not yet validated
export const STATE_OPEN: u32 = 1;
export const STATE_CLOSE_SENT: u32 = 2; // we sent a close and wait for the peer's
export const STATE_CLOSE_RECEIVED: u32 = 3; // the peer's close arrived; ours is owed
export const STATE_CLOSE_ACKNOWLEDGED: u32 = 4; // both closes went: the closing handshake is done
export const STATE_FAILED: u32 = 5; // the peer broke the protocol (7.1.7); our close is owed or sent
export const STATE_CLOSED: u32 = 6;

// Opcodes (RFC 6455 5.2).
export const OP_CONT: u32 = 0x0;
export const OP_TEXT: u32 = 0x1;
export const OP_BINARY: u32 = 0x2;
export const OP_CLOSE: u32 = 0x8;
export const OP_PING: u32 = 0x9;
export const OP_PONG: u32 = 0xa;

// Close codes (RFC 6455 7.4.1).
export const CLOSE_NORMAL: u16 = 1000;
export const CLOSE_NO_STATUS: u16 = 1005;
export const CLOSE_PROTOCOL: u16 = 1002;
export const CLOSE_INVALID_DATA: u16 = 1007;
export const CLOSE_TOO_BIG: u16 = 1009;
// 5.5.1 and 7.4: a close payload is a 2-byte code and a reason; the control limit leaves 123 bytes.
export const CLOSE_REASON_MAX: u32 = 123;

// Stable error ids, carried in an error event's aux word or a handshake record's error field.
// host-core maps each to a WS_ERR_* string code that the README documents.
export const ERR_RESERVED_OPCODE: u32 = 1;
export const ERR_UNEXPECTED_RSV: u32 = 2;
export const ERR_FRAGMENTED_CONTROL: u32 = 3;
export const ERR_CONTROL_TOO_LONG: u32 = 4;
export const ERR_LENGTH_TOP_BIT: u32 = 5;
export const ERR_EXPECTED_MASK: u32 = 6;
export const ERR_UNEXPECTED_MASK: u32 = 7;
export const ERR_UNEXPECTED_CONTINUATION: u32 = 8;
export const ERR_EXPECTED_CONTINUATION: u32 = 9;
export const ERR_INVALID_UTF8: u32 = 10;
export const ERR_INVALID_CLOSE_CODE: u32 = 11;
export const ERR_CLOSE_ONE_BYTE: u32 = 12;
export const ERR_FRAME_TOO_LARGE: u32 = 13;
export const ERR_MESSAGE_TOO_LARGE: u32 = 14;
// Encoder misuse (returned negated by frame()/header()).
export const ERR_SEND_TOO_LARGE: u32 = 15;
export const ERR_SEND_AFTER_CLOSE: u32 = 16;
export const ERR_SEND_CONTROL_TOO_LONG: u32 = 17;
export const ERR_SEND_CLOSE_CODE: u32 = 18;
export const ERR_CLOSE_REASON_TOO_LONG: u32 = 19;
// RFC 7692 received data that is not valid DEFLATE (RFC 1951), or a message that did not end on a
// flushed block.
export const ERR_INFLATE: u32 = 20;

// Handshake errors (RFC 6455 4.2.1 server side, 4.1 client side).
export const ERR_HS_MALFORMED: u32 = 32;
export const ERR_HS_METHOD: u32 = 33;
export const ERR_HS_HTTP_VERSION: u32 = 34;
export const ERR_HS_HOST: u32 = 35;
export const ERR_HS_UPGRADE: u32 = 36;
export const ERR_HS_CONNECTION: u32 = 37;
export const ERR_HS_KEY: u32 = 38;
export const ERR_HS_VERSION: u32 = 39;
export const ERR_HS_TOO_LARGE: u32 = 40;
export const ERR_HS_TOO_MANY_HEADERS: u32 = 41;
export const ERR_HS_STATUS: u32 = 42;
export const ERR_HS_ACCEPT: u32 = 43;
export const ERR_HS_PROTOCOL: u32 = 44;
export const ERR_HS_EXTENSION: u32 = 45;
export const ERR_HS_FIELD: u32 = 46;
export const ERR_HS_PROTOCOL_LIST: u32 = 47;
export const ERR_HS_BODY: u32 = 48;
export const ERR_HS_ORIGIN: u32 = 49;

// Handshake result record at hsPtr(). Pointers are absolute addresses in memory.
export const HS_STATUS: u32 = 0; // u32: 0 = need more bytes, 101 = accept, else an HTTP status
export const HS_ERROR: u32 = 4; // u32: ERR_HS_* when status is not 101/0
export const HS_END: u32 = 8; // u32: bytes consumed, from the start of the parsed input
export const HS_PATH: u32 = 12; // u32 ptr, u32 len (request target; for a client, unused)
export const HS_HOST: u32 = 20;
export const HS_ORIGIN: u32 = 28;
export const HS_PROTOCOL: u32 = 36; // Sec-WebSocket-Protocol (raw list at a server, the chosen one at a client)
export const HS_EXTENSIONS: u32 = 44; // Sec-WebSocket-Extensions (raw)
export const HS_KEY: u32 = 52; // Sec-WebSocket-Key (server side)
export const HS_ACCEPT: u32 = 60; // 28 bytes of Sec-WebSocket-Accept (server: computed; client: unused)
export const HS_HEADER_COUNT: u32 = 88; // u32
export const HS_HEADERS: u32 = 128; // header table: u32 namePtr, nameLen, valuePtr, valueLen
