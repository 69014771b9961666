// Section 10: miscellaneous. 10.1.1: a message the sender auto-fragments must come back whole.
import type { FrameCase } from "../types.ts";
import { Op } from "../wire.ts";
import { echoed, filler, fragments, frameCase, gotText, send } from "./dsl.ts";

export const misc: FrameCase[] = [
  frameCase("10.1.1", "64 KiB text message sent in fragments of 1300 bytes", "echoed as one message", () => ({
    actions: [send(fragments(Op.text, filler(65536), 1300))],
    expect: echoed(gotText(filler(65536))),
  })),
];
