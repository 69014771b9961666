import { KEY_POOL_SIZE } from "./abi";
import { keyPoolBase } from "./regions";

// 5.3: a client masks every frame with a fresh key. The host refills the pool from
// crypto.getRandomValues whenever keysUsed() passes half of it; keys repeat only if it never does.
let keyPos: u32 = 0;
let used: u32 = 0;

export function nextKey(): u32 {
  const key = load<u32>(keyPoolBase + keyPos);
  keyPos = (keyPos + 4) & (KEY_POOL_SIZE - 1);
  used += 4;
  return key;
}

export function keysUsed(): u32 {
  return used;
}

export function keysRefilled(): void {
  used = 0;
}
