import {
  ERR_SEND_AFTER_CLOSE,
  ERR_SEND_CONTROL_TOO_LONG,
  ERR_SEND_TOO_LARGE,
  OP_CLOSE,
  SEND_CAP,
  SEND_PAYLOAD,
} from "./abi";
import { closePayloadError } from "./close";
import { nextKey } from "./keys";
import { mask } from "./mask";
import { sendBase } from "./regions";
import { F_CLIENT, F_CLOSE_SENT, hasFlag, setFlag } from "./session";

// RFC 6455 5.2 from the sending side. `first` is the frame's first byte (FIN, RSV1, opcode).

// Writes a header for a payload of len bytes at `at`, masked with key for a client; returns its size.
function writeHeader(s: usize, at: usize, first: u32, len: u64, key: u32): u32 {
  const client = hasFlag(s, F_CLIENT);
  const maskBit: u32 = client ? 0x80 : 0;
  store<u8>(at, <u8>first);
  let n: u32;
  if (len < 126) {
    store<u8>(at + 1, <u8>(maskBit | <u32>len));
    n = 2;
  } else if (len <= 0xffff) {
    store<u8>(at + 1, <u8>(maskBit | 126));
    store<u16>(at + 2, bswap<u16>(<u16>len));
    n = 4;
  } else {
    store<u8>(at + 1, <u8>(maskBit | 127));
    store<u64>(at + 2, bswap<u64>(len));
    n = 10;
  }
  if (client) {
    store<u32>(at + n, key);
    n += 4;
  }
  return n;
}

function headerSizeFor(s: usize, len: u64): u32 {
  return (len < 126 ? 2 : len <= 0xffff ? 4 : 10) + (hasFlag(s, F_CLIENT) ? 4 : 0);
}

// A whole frame whose payload the host put at sendBase + SEND_PAYLOAD. The header is written just
// before it and a client's payload is masked in place with a key from the ring, so the frame is
// contiguous. Returns the header size h (the frame is [sendBase + SEND_PAYLOAD - h, + h + len)) or
// -ERR_*.
export function frame(s: usize, first: u32, len: u32): i32 {
  if (len > SEND_CAP - SEND_PAYLOAD) return -ERR_SEND_TOO_LARGE;
  if (hasFlag(s, F_CLOSE_SENT)) return -ERR_SEND_AFTER_CLOSE;
  const payload = sendBase + SEND_PAYLOAD;
  const op = first & 0x0f;
  if (op == OP_CLOSE) {
    const err = closePayloadError(payload, len, true);
    if (err != 0) return -err;
  } else if (op > OP_CLOSE && len > 125) return -ERR_SEND_CONTROL_TOO_LONG;
  const client = hasFlag(s, F_CLIENT);
  const key = client ? nextKey() : 0;
  const h = headerSizeFor(s, len);
  writeHeader(s, payload - h, first, len, key);
  if (client) mask(payload, len, key, 0);
  if (op == OP_CLOSE) setFlag(s, F_CLOSE_SENT);
  return h;
}

// Only the header of a data frame, at sendBase, for payloads the host writes by reference (server)
// or masks piecewise with mask() and the key the header ends with (client). len is f64 so payloads
// above 4 GiB need no BigInt.
export function header(s: usize, first: u32, len: f64): i32 {
  if (hasFlag(s, F_CLOSE_SENT)) return -ERR_SEND_AFTER_CLOSE;
  if ((first & 0x0f) >= OP_CLOSE) return -ERR_SEND_CONTROL_TOO_LONG;
  return writeHeader(s, sendBase, first, <u64>len, hasFlag(s, F_CLIENT) ? nextKey() : 0);
}
