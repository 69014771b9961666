import { EV_AUX, EV_CODE, EV_FLAGS, EV_KIND, EV_LEN, EV_PTR, EVENT_SIZE, OUTPUT_CAP } from "./abi";
import { eventBase, outputBase } from "./regions";

// The results of one receive() call: the event table and the reply bytes in the output region.
let eventCount: u32 = 0;
let outputLen: u32 = 0;

export function resetEvents(): void {
  eventCount = 0;
  outputLen = 0;
}

export function eventsProduced(): u32 {
  return eventCount;
}

export function pushEvent(kind: u8, flags: u8, code: u32, ptr: usize, len: u32, aux: u32): void {
  const e = eventBase + eventCount * EVENT_SIZE;
  // Kind, flags and code share the first word: one store, not three.
  store<u32>(
    e,
    ((<u32>kind) << (EV_KIND * 8)) | ((<u32>flags) << (EV_FLAGS * 8)) | ((code & 0xffff) << (EV_CODE * 8)),
  );
  store<u32>(e + EV_PTR, <u32>ptr);
  store<u32>(e + EV_LEN, len);
  store<u32>(e + EV_AUX, aux);
  eventCount++;
}

// Space for a reply frame; the abi sizes OUTPUT_CAP for the worst case of one input chunk.
export function reserveOutput(len: u32): usize {
  const at = outputBase + outputLen;
  outputLen += len;
  assert(outputLen <= OUTPUT_CAP);
  return at;
}
