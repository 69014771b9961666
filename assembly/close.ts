// 7.4.1 and 7.4.2: codes an endpoint may put on the wire. 1005, 1006 and 1015 are reserved for
// reporting and must never be sent; 1004 and 1016-2999 are unassigned or reserved.
export function closeCodeValid(code: u32): bool {
  if (code >= 3000) return code <= 4999;
  if (code < 1000 || code > 1014) return false;
  return code != 1004 && code != 1005 && code != 1006;
}
