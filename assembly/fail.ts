import { KIND_ERROR } from "./abi";
import { pushEvent } from "./events";
import { F_FAILED, S_CLOSE_CODE, setFlag } from "./session";

// 7.1.7: a failed connection reports once, with the close code it owes, and then ignores its input.
export function fail(s: usize, err: u32, code: u32): void {
  setFlag(s, F_FAILED);
  store<u16>(s + S_CLOSE_CODE, <u16>code);
  pushEvent(KIND_ERROR, 0, code, 0, 0, err);
}

export function failed(s: usize, err: u32, code: u32): bool {
  fail(s, err, code);
  return false;
}
