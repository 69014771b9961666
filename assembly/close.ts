// RFC 6455 7.4 and 5.5.1: the rules of a close frame's payload, for the frames we receive and the
// frames we send alike, and the close this endpoint owes its peer.
import {
  CLOSE_NO_STATUS,
  CLOSE_REASON_MAX,
  ERR_CLOSE_ONE_BYTE,
  ERR_CLOSE_REASON_TOO_LONG,
  ERR_INVALID_CLOSE_CODE,
  ERR_INVALID_UTF8,
  ERR_SEND_CLOSE_CODE,
  OP_CLOSE,
} from "./abi";
import { nextKey } from "./keys";
import { mask } from "./mask";
import { sendBase } from "./regions";
import {
  F_CLIENT,
  F_CLOSE_RECEIVED,
  F_CLOSE_SENT,
  F_FAILED,
  hasFlag,
  S_CLOSE_CODE,
  setFlag,
} from "./session";
import { utf8Valid } from "./utf8";

// 7.4.1 and 7.4.2: codes an endpoint may put on the wire. 1005, 1006 and 1015 are reserved for
// reporting and must never be sent; 1004 and 1016-2999 are unassigned or reserved.
export function closeCodeValid(code: u32): bool {
  if (code >= 3000) return code <= 4999;
  if (code < 1000 || code > 1014) return false;
  return code != 1004 && code != 1005 && code != 1006;
}

// 5.5.1: empty, or a 2-byte code valid on the wire followed by a UTF-8 reason of at most 123 bytes.
// Returns 0 or the error: the receiving side's ids, or with `sending` the sender's.
export function closePayloadError(p: usize, len: u32, sending: bool): u32 {
  if (len == 0) return 0;
  if (len == 1) return sending ? ERR_SEND_CLOSE_CODE : ERR_CLOSE_ONE_BYTE;
  if (!closeCodeValid(bswap<u16>(load<u16>(p))))
    return sending ? ERR_SEND_CLOSE_CODE : ERR_INVALID_CLOSE_CODE;
  // A received frame is at most 125 bytes already (5.5); only a sender can exceed it.
  if (len - 2 > CLOSE_REASON_MAX) return ERR_CLOSE_REASON_TOO_LONG;
  return utf8Valid(p + 2, len - 2) ? 0 : ERR_INVALID_UTF8;
}

// The one place that decides the close we owe: after the peer's close, its code echoed (5.5.1;
// nothing for 1005); after a failure, the failure's code (7.1.7). Nothing once ours went out.
// Writes the whole frame at sendBase and returns its length, or 0 when no close is owed.
export function closeOwed(s: usize): u32 {
  if (hasFlag(s, F_CLOSE_SENT) || !hasFlag(s, F_CLOSE_RECEIVED | F_FAILED)) return 0;
  setFlag(s, F_CLOSE_SENT);
  const code = <u32>load<u16>(s + S_CLOSE_CODE);
  const len: u32 = code == CLOSE_NO_STATUS ? 0 : 2;
  const client = hasFlag(s, F_CLIENT);
  const head: u32 = client ? 6 : 2;
  store<u8>(sendBase, <u8>(0x80 | OP_CLOSE));
  store<u8>(sendBase + 1, <u8>(len | (client ? 0x80 : 0)));
  store<u16>(sendBase + head, bswap<u16>(<u16>code));
  if (client) {
    const key = nextKey();
    store<u32>(sendBase + 2, key);
    mask(sendBase + head, len, key, 0);
  }
  return head + len;
}
