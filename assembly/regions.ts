import { EVENT_CAP, EVENT_SIZE, HS_RECORD_SIZE, INPUT_CAP, KEY_POOL_SIZE, OUTPUT_CAP, SEND_CAP } from "./abi";

// One set of regions per instance, shared by every session: a call's results are valid until the
// next call, and the host consumes them before making it.
export const inputBase: usize = heap.alloc(INPUT_CAP);
export const outputBase: usize = heap.alloc(OUTPUT_CAP);
export const eventBase: usize = heap.alloc(EVENT_CAP * EVENT_SIZE);
export const sendBase: usize = heap.alloc(SEND_CAP);
export const hsBase: usize = heap.alloc(HS_RECORD_SIZE);
export const keyPoolBase: usize = heap.alloc(KEY_POOL_SIZE);
// u32 ring position, u32 bytes drawn since the last refill (see keys.ts).
export const keyStateBase: usize = heap.alloc(8);
