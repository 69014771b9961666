import {
  ERR_INVALID_UTF8,
  ERR_SEND_AFTER_CLOSE,
  ERR_SEND_CLOSE_CODE,
  ERR_SEND_CONTROL_TOO_LONG,
  ERR_SEND_TOO_LARGE,
  OP_CLOSE,
  SEND_CAP,
  SEND_PAYLOAD,
} from "./abi";
import { closeCodeValid } from "./close";
import { mask } from "./mask";
import { sendBase } from "./regions";
import { F_CLIENT, F_CLOSE_SENT, hasFlag, setFlag } from "./session";
import { utf8Valid } from "./utf8";

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
// before it and a client's payload is masked in place, so the frame is contiguous. Returns the
// header size h (the frame is [sendBase + SEND_PAYLOAD - h, + h + len)) or -ERR_*.
export function frame(s: usize, first: u32, len: u32, key: u32): i32 {
  if (len > SEND_CAP - SEND_PAYLOAD) return -ERR_SEND_TOO_LARGE;
  if (hasFlag(s, F_CLOSE_SENT)) return -ERR_SEND_AFTER_CLOSE;
  const payload = sendBase + SEND_PAYLOAD;
  const op = first & 0x0f;
  if (op >= OP_CLOSE && len > 125) return -ERR_SEND_CONTROL_TOO_LONG;
  if (op == OP_CLOSE) {
    const err = checkClose(payload, len);
    if (err != 0) return -err;
    setFlag(s, F_CLOSE_SENT);
  }
  const h = headerSizeFor(s, len);
  writeHeader(s, payload - h, first, len, key);
  if (hasFlag(s, F_CLIENT)) mask(payload, len, key, 0);
  return h;
}

// 7.4: what we send must be a valid code (or nothing) and a UTF-8 reason.
function checkClose(payload: usize, len: u32): u32 {
  if (len == 0) return 0;
  if (len == 1 || !closeCodeValid(bswap<u16>(load<u16>(payload)))) return ERR_SEND_CLOSE_CODE;
  return utf8Valid(payload + 2, len - 2) ? 0 : ERR_INVALID_UTF8;
}

// Only the header of a data frame, at sendBase, for payloads the host writes by reference (server)
// or masks piecewise with mask() (client). len is f64 so payloads above 4 GiB need no BigInt.
export function header(s: usize, first: u32, len: f64, key: u32): i32 {
  if (hasFlag(s, F_CLOSE_SENT)) return -ERR_SEND_AFTER_CLOSE;
  if ((first & 0x0f) >= OP_CLOSE) return -ERR_SEND_CONTROL_TOO_LONG;
  return writeHeader(s, sendBase, first, <u64>len, key);
}
