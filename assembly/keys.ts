import { KEY_POOL_SIZE } from "./abi";
import { keyPoolBase, keyStateBase } from "./regions";

// 5.3: every frame a client sends is masked with a fresh key, drawn in order from the ring at
// keyPoolBase. keyStateBase holds u32 position, u32 bytes drawn since the host last refilled: the
// host reads both from memory after each call and refills the drawn bytes from
// crypto.getRandomValues once KEY_REFILL are used, so a key is never drawn twice.
export function nextKey(): u32 {
  const pos = load<u32>(keyStateBase);
  const key = load<u32>(keyPoolBase + pos);
  store<u32>(keyStateBase, (pos + 4) & (KEY_POOL_SIZE - 1));
  store<u32>(keyStateBase + 4, load<u32>(keyStateBase + 4) + 4);
  return key;
}
