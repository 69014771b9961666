// Message payloads for the scenarios.
import { randomBytes } from "node:crypto";

export function binaryPayload(size: number): Uint8Array {
  return randomBytes(size);
}

// 16 bytes of UTF-8: ASCII plus 2-, 3- and 4-byte sequences, so validators take every path.
const UNIT = Buffer.from("abcdé€😀xyz", "utf8");

/** Valid UTF-8 of exactly `size` bytes (a multiple of 16). */
export function textPayload(size: number): Uint8Array {
  if (UNIT.length !== 16 || size % 16 !== 0) throw new Error("text payload size must be a multiple of 16");
  const out = Buffer.allocUnsafe(size);
  for (let i = 0; i < size; i += 16) UNIT.copy(out, i);
  return out;
}

/** ASCII text, for messages too small to hold the mixed unit. */
export function asciiPayload(size: number): Uint8Array {
  return Buffer.alloc(size, "x");
}
