// Small builders so that each case reads as the bytes it puts on the wire and what must come back.
import type { Action, Expect, FrameCase, Observed, Script } from "../types.ts";
import { closePayload, type FrameSpec, Op, utf8 } from "../wire.ts";

type Bytes = Uint8Array | string;
const bytes = (b: Bytes): Buffer => (typeof b === "string" ? utf8(b) : Buffer.from(b));
type Extra = Omit<FrameSpec, "op" | "payload">;

export const text = (p: Bytes = "", x: Extra = {}): FrameSpec => ({ op: Op.text, payload: bytes(p), ...x });
export const binary = (p: Bytes = "", x: Extra = {}): FrameSpec => ({
  op: Op.binary,
  payload: bytes(p),
  ...x,
});
export const cont = (p: Bytes = "", x: Extra = {}): FrameSpec => ({
  op: Op.continuation,
  payload: bytes(p),
  ...x,
});
export const ping = (p: Bytes = "", x: Extra = {}): FrameSpec => ({ op: Op.ping, payload: bytes(p), ...x });
export const pong = (p: Bytes = "", x: Extra = {}): FrameSpec => ({ op: Op.pong, payload: bytes(p), ...x });
export const raw = (op: number, p: Bytes = "", x: Extra = {}): FrameSpec => ({ op, payload: bytes(p), ...x });
export const close = (code?: number, reason: Bytes = "", x: Extra = {}): FrameSpec => ({
  op: Op.close,
  payload: closePayload(code, bytes(reason)),
  ...x,
});

/** One message split into frames of `size` bytes (the first carries the opcode). */
export function fragments(op: number, payload: Uint8Array, size: number): FrameSpec[] {
  const out: FrameSpec[] = [];
  for (let i = 0; i === 0 || i < payload.length; i += size) {
    const fin = i + size >= payload.length;
    out.push({ op: i === 0 ? op : Op.continuation, payload: payload.subarray(i, i + size), fin });
  }
  return out;
}

export const send = (frames: FrameSpec[], chop?: number | "frames", delayMs = 0): Action => ({
  do: "send",
  frames,
  chop,
  delayMs,
});
export const sleep = (ms: number): Action => ({ do: "sleep", ms });

export const gotText = (p: Bytes): Observed => ({ type: "text", payload: bytes(p) });
export const gotBinary = (p: Bytes): Observed => ({ type: "binary", payload: bytes(p) });
export const gotPong = (p: Bytes = ""): Observed => ({ type: "pong", payload: bytes(p) });

/** Echoed, then closed normally. */
export const echoed = (...events: Observed[]): Expect => ({ events, close: "normal" });
/** Failed with `code` (default 1002) after the given events. */
export const failed = (events: Observed[] = [], code = 1002): Expect => ({
  events,
  close: "fail",
  codes: [code],
});

/** A payload of `n` bytes cycling through printable ASCII, valid as text and as binary. */
export function filler(n: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = 0x21 + (i % 94);
  return b;
}

export function frameCase(
  id: string,
  description: string,
  expectation: string,
  build: () => Script,
  extra: Partial<FrameCase> = {},
): FrameCase {
  return { id, description, expectation, build, ...extra };
}
