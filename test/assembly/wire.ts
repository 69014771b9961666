// Wire helpers the core's specs share: frames as hex in, event records out.
import {
  EV_AUX,
  EV_CODE,
  EV_FLAGS,
  EV_KIND,
  EV_LEN,
  EV_PTR,
  EVENT_SIZE,
  KIND_ERROR,
} from "../../assembly/abi";
import { receive } from "../../assembly/frame";
import { eventBase, inputBase } from "../../assembly/regions";
import { sessionFree, sessionOpen } from "../../assembly/session";
import { hexAt } from "./hex";

// Frames are written as hex, the way they appear on the wire.
export function bytes(hex: string): Uint8Array {
  const clean = hex.replaceAll(" ", "");
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = <u8>I32.parseInt(clean.substr(i * 2, 2), 16);
  return out;
}

export function feed(s: usize, data: Uint8Array, from: i32 = 0, to: i32 = -1): u32 {
  const end = to < 0 ? data.length : to;
  for (let i = from; i < end; i++) store<u8>(inputBase + i - from, data[i]);
  return receive(s, inputBase, end - from);
}

export function ev(i: u32): usize {
  return eventBase + i * EVENT_SIZE;
}
export function kind(i: u32): u8 {
  return load<u8>(ev(i) + EV_KIND);
}
export function flags(i: u32): u8 {
  return load<u8>(ev(i) + EV_FLAGS);
}
export function code(i: u32): u16 {
  return load<u16>(ev(i) + EV_CODE);
}
export function aux(i: u32): u32 {
  return load<u32>(ev(i) + EV_AUX);
}
export function payload(i: u32): string {
  return String.UTF8.decodeUnsafe(<usize>load<u32>(ev(i) + EV_PTR), load<u32>(ev(i) + EV_LEN));
}
export function payloadHex(i: u32): string {
  return hexAt(<usize>load<u32>(ev(i) + EV_PTR), load<u32>(ev(i) + EV_LEN));
}

export function server(): usize {
  return sessionOpen(0);
}
export function client(): usize {
  return sessionOpen(1);
}

// Expects exactly one error event with this close code and error id.
export function expectError(s: usize, hex: string, close: u16, err: u32): void {
  const n = feed(s, bytes(hex));
  expect<u8>(kind(n - 1)).toBe(KIND_ERROR, "the last event is the error");
  expect<u16>(code(n - 1)).toBe(close);
  expect<u32>(aux(n - 1)).toBe(err);
  expect<u32>(feed(s, bytes("8100"))).toBe(0, "a failed session ignores further input");
  sessionFree(s);
}
