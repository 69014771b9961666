// Whole messages as handlers get them by default, run in node, deno and bun by
// test/small-messages.test.ts: every length from 0 to 80 in one chunk, kept past their handlers and
// past a second chunk that overwrites the core's input. Prints one JSON line: the lengths whose
// bytes were wrong, and the lengths that came in an array of their own.
import "../../host-auto/index.ts";
import { Session } from "../../host-core/session.ts";

const MAX = 80;

/** A client's masked frame of `len` bytes, each (seed + i) & 0x7f (ASCII, so text frames are valid). */
function frame(len: number, seed: number, binary: boolean): Uint8Array {
  const key = [0x37, 0xfa, 0x21, 0x3d];
  const ext = len < 126 ? 0 : 2;
  const out = new Uint8Array(6 + ext + len);
  out[0] = binary ? 0x82 : 0x81;
  out[1] = 0x80 | (ext ? 126 : len);
  if (ext) out[3] = len;
  out.set(key, 2 + ext);
  for (let i = 0; i < len; i++) out[6 + ext + i] = ((seed + i) & 0x7f) ^ key[i & 3];
  return out;
}

function stream(seed: number): Uint8Array {
  const frames = Array.from({ length: MAX + 1 }, (_, len) => frame(len, seed + len, len % 2 === 1));
  const out = new Uint8Array(frames.reduce((n, f) => n + f.length, 0));
  let at = 0;
  for (const f of frames) {
    out.set(f, at);
    at += f.length;
  }
  return out;
}

const session = new Session({ role: "server", textAs: "bytes" });
const kept: Uint8Array[] = [];
const handler = { message: (data: string | Uint8Array) => void kept.push(data as Uint8Array) };
session.receive(stream(1), handler);
session.receive(stream(101), handler);
const wrong: number[] = [];
const own: number[] = [];
for (let len = 0; len <= MAX; len++) {
  const m = kept[len];
  if (m.length !== len || m.some((b, i) => b !== ((1 + len + i) & 0x7f))) wrong.push(len);
  if (len > 0 && m.byteOffset === 0 && m.buffer.byteLength === len) own.push(len);
}
console.log(JSON.stringify({ messages: kept.length, wrong, own }));
