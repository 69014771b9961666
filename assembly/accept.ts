// Sec-WebSocket-Key and Sec-WebSocket-Accept (RFC 6455 1.3, 4.1 item 7, 4.2.2 item 5.4), for both sides.
import { HS_ACCEPT } from "./abi";
import { base64Decode, base64Encode } from "./base64";
import { litLen, litPtr } from "./http";
import { GUID } from "./literals";
import { hsBase } from "./regions";
import { sha1 } from "./sha1";

export const KEY_LEN: u32 = 24;
export const ACCEPT_LEN: u32 = 28;
// key + GUID at 0 (60 bytes); the digest, or a key decoded to check it, at 64.
const SCRATCH = memory.data(96);

// RFC 6455 4.1 item 7: a key is base64 of 16 bytes, so exactly 24 characters.
export function isKey(p: usize, n: u32): bool {
  return n == KEY_LEN && base64Decode(p, n, SCRATCH + 64) == 16;
}

// RFC 6455 4.2.2 item 5.4: base64(SHA-1(key + GUID)), 28 bytes at dst.
export function writeAccept(key: usize, dst: usize): void {
  memory.copy(SCRATCH, key, KEY_LEN);
  memory.copy(SCRATCH + KEY_LEN, litPtr(GUID), litLen(GUID));
  sha1(SCRATCH, KEY_LEN + litLen(GUID), SCRATCH + 64);
  base64Encode(SCRATCH + 64, 20, dst);
}

// For a request another parser already read: checks the key and writes the accept value at
// hsBase + HS_ACCEPT. Returns 28, or 0 for an invalid key.
export function acceptKey(keyPtr: usize, keyLen: u32): u32 {
  if (!isKey(keyPtr, keyLen)) return 0;
  writeAccept(keyPtr, hsBase + HS_ACCEPT);
  return ACCEPT_LEN;
}
