// Section 1: framing. Payload lengths on each side of the 7-bit, 16-bit and 64-bit length forms (RFC 6455 5.2).
import type { FrameCase } from "../types.ts";
import { binary, echoed, failed, filler, frameCase, gotBinary, gotText, send, text } from "./dsl.ts";

const LENGTHS = [0, 125, 126, 127, 128, 65535, 65536];

function lengths(section: string, kind: "text" | "binary"): FrameCase[] {
  const frame = kind === "text" ? text : binary;
  const got = kind === "text" ? gotText : gotBinary;
  const cases = LENGTHS.map((n, i) =>
    frameCase(
      `${section}.${i + 1}`,
      `${kind} message, payload of ${n} bytes`,
      "echoed unchanged, then a normal close",
      () => ({ actions: [send([frame(filler(n))])], expect: echoed(got(filler(n))) }),
    ),
  );
  cases.push(
    frameCase(
      `${section}.8`,
      `${kind} message, payload of 65536 bytes, written in pieces of 997 bytes`,
      "echoed unchanged, then a normal close",
      () => ({ actions: [send([frame(filler(65536))], 997)], expect: echoed(got(filler(65536))) }),
    ),
  );
  return cases;
}

/** Not in Autobahn: the masking direction (5.1) and the length's reserved top bit (5.2). */
const masking: FrameCase[] = [
  frameCase(
    "1.3.1",
    "text frame whose mask bit is the wrong way for the sender (unmasked from a client, masked from a server)",
    "the peer fails the connection with 1002",
    () => ({ actions: [send([text("Hello", { wrongMask: true })])], expect: failed() }),
  ),
  frameCase(
    "1.3.2",
    "binary frame with a 64-bit length whose most significant bit is set",
    "the peer fails the connection with 1002",
    () => ({
      actions: [send([binary("x", { hugeLength: true })])],
      expect: {
        ...failed(),
        nonStrictCodes: {
          codes: [1009],
          reason: "reported the impossible length as too big (1009), not malformed",
        },
      },
    }),
  ),
  frameCase(
    "1.3.3",
    "text frame masked with the all-zero key (legal: the key is random, not non-zero)",
    "echoed unchanged, then a normal close",
    () => ({
      actions: [send([text("Hello", { maskKey: Buffer.alloc(4) })])],
      expect: echoed(gotText("Hello")),
    }),
  ),
];

export const framing: FrameCase[] = [...lengths("1.1", "text"), ...lengths("1.2", "binary"), ...masking];
