// npm run bench:core: the decode core through Session (SIMD and scalar builds) against ws's own
// Receiver and a plain Buffer.copy, in one process, on identical pre-built masked byte streams.
// Usage: npx tsx bench/core.ts [--rounds N] [--min-ms MS] [--json FILE]
//
// Fairness: each contender is fed the same stream in the same 64 KiB chunks, each in a buffer of its
// own as a socket's reads are. ws unmasks the Buffer it is given in place, and Session, given the
// chunk as our Node and Bun adapters give it a read (Transport.givesChunks), writes what it unmasked
// in WASM memory back into it; so before every timed pass the pristine stream is copied into the
// chunks outside the timed region, for every contender alike, and the chunks are made once, so no
// contender pays for slicing. Each measurement repeats passes until at least --min-ms of fed time;
// rounds rotate the contender order and the median of the rounds is reported.
import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { parseArgs } from "node:util";
import { createCore } from "../host-core/inline.ts";
import { Session } from "../host-core/session.ts";

// ws picks bufferutil only when this is unset at its load time, hence the dynamic import below.
delete process.env.WS_NO_BUFFER_UTIL;
const { Receiver } = (await import("ws")) as unknown as { Receiver: ReceiverClass };

interface WsReceiver {
  write(chunk: Buffer): boolean;
  on(event: string, listener: (...args: unknown[]) => void): void;
}
type ReceiverClass = new (options: Record<string, unknown>) => WsReceiver;

const CHUNK = 64 * 1024;
const SMALL = 32;
const SMALL_FRAMES = 1 << 18; // about 10 MB of 38-byte frames
const LARGE = 1024 * 1024;
const LARGE_MESSAGES = 24;

const { values } = parseArgs({
  options: {
    rounds: { type: "string", default: "5" },
    "min-ms": { type: "string", default: "250" },
    json: { type: "string" },
  },
});
const ROUNDS = Math.max(1, Number(values.rounds));
const MIN_MS = Math.max(1, Number(values["min-ms"]));

// ---- streams -------------------------------------------------------------------------------

function maskedText(payload: Uint8Array, out: Buffer, at: number): number {
  const len = payload.length;
  out[at] = 0x81;
  let h = at + 2;
  if (len < 126) out[at + 1] = 0x80 | len;
  else if (len < 65536) {
    out[at + 1] = 0x80 | 126;
    out.writeUInt16BE(len, at + 2);
    h += 2;
  } else {
    out[at + 1] = 0x80 | 127;
    out.writeBigUInt64BE(BigInt(len), at + 2);
    h += 8;
  }
  const mask = randomBytes(4);
  mask.copy(out, h);
  h += 4;
  for (let i = 0; i < len; i++) out[h + i] = payload[i] ^ mask[i & 3];
  return h + len;
}

function frameSize(len: number): number {
  return 2 + (len < 126 ? 0 : len < 65536 ? 2 : 8) + 4 + len;
}

const MULTI = ["é", "ß", "€", "中", "😀", "ж"].map((s) => Buffer.from(s));

/** Exactly `len` bytes of valid UTF-8: printable ASCII with a multi-byte character about every `every` bytes. */
function utf8Payload(len: number, every: number): Buffer {
  const out = Buffer.alloc(len);
  let i = 0;
  while (i < len) {
    const mb = MULTI[(Math.random() * MULTI.length) | 0];
    if (Math.random() * every < 1 && i + mb.length <= len) {
      mb.copy(out, i);
      i += mb.length;
    } else out[i++] = 0x20 + ((Math.random() * 95) | 0);
  }
  return out;
}

interface Stream {
  name: string;
  /** Text is delivered as strings: ours decodes it (textAs "string"), ws's handler calls toString(). */
  strings: boolean;
  bytes: Buffer;
  messages: number;
  payloadBytes: number;
  first: Buffer;
}

/** 32 B frames; `every` as in utf8Payload (Infinity: ASCII only). */
function smallStream(name: string, every: number, strings: boolean): Stream {
  const payloads = Array.from({ length: 256 }, () => utf8Payload(SMALL, every));
  const bytes = Buffer.allocUnsafe(SMALL_FRAMES * frameSize(SMALL));
  let at = 0;
  for (let i = 0; i < SMALL_FRAMES; i++) at = maskedText(payloads[i & 255], bytes, at);
  return {
    name,
    strings,
    bytes,
    messages: SMALL_FRAMES,
    payloadBytes: SMALL_FRAMES * SMALL,
    first: payloads[0],
  };
}

function largeStream(name: string, every: number): Stream {
  const payloads = Array.from({ length: 4 }, () => utf8Payload(LARGE, every));
  const bytes = Buffer.allocUnsafe(LARGE_MESSAGES * frameSize(LARGE));
  let at = 0;
  for (let i = 0; i < LARGE_MESSAGES; i++) at = maskedText(payloads[i & 3], bytes, at);
  return {
    name,
    strings: false,
    bytes,
    messages: LARGE_MESSAGES,
    payloadBytes: LARGE_MESSAGES * LARGE,
    first: payloads[0],
  };
}

// ---- contenders ----------------------------------------------------------------------------

interface Counter {
  messages: number;
  /** Summed lengths of what was delivered: what a handler reads, so no decode is skipped. */
  length: number;
  error: unknown;
  first: Uint8Array | undefined;
}

interface Contender {
  name: string;
  counter: Counter | undefined;
  feed(chunk: Buffer): void;
}

function counter(): Counter {
  return { messages: 0, length: 0, error: undefined, first: undefined };
}

function ours(build: "simd" | "scalar", strings: boolean, borrow = false): Contender {
  const c = counter();
  const session = new Session({
    role: "server",
    textAs: strings ? "string" : "bytes",
    borrow,
    maxFrameSize: 0,
    maxMessageSize: 0,
    core: createCore(build),
  });
  const handler = {
    message(data: string | Uint8Array, isBinary: boolean) {
      c.length += data.length;
      if (c.messages++ === 0) c.first = typeof data === "string" ? Buffer.from(data) : data.slice();
      if (isBinary || (typeof data === "string") !== strings) c.error ??= new Error("expected text");
    },
    error(e: unknown) {
      c.error ??= e;
    },
    close() {
      c.error ??= new Error("unexpected close");
    },
  };
  const name = `ours (${build}${borrow ? ", borrow" : ""})`;
  return { name, counter: c, feed: (chunk) => session.receive(chunk, handler, true) };
}

function ws(strings: boolean): Contender {
  const c = counter();
  const receiver = new Receiver({
    isServer: true,
    maxPayload: 0,
    skipUTF8Validation: false,
    binaryType: "nodebuffer",
  });
  receiver.on("message", (data, isBinary) => {
    const message = strings ? (data as Buffer).toString() : data;
    c.length += (message as string | Buffer).length;
    if (c.messages++ === 0) c.first = Buffer.from(message as Buffer);
    if (isBinary) c.error ??= new Error("expected text");
  });
  receiver.on("error", (e) => {
    c.error ??= e;
  });
  // write() rather than _write(): ws's socket 'data' listener calls write() too.
  return { name: "ws", counter: c, feed: (chunk) => receiver.write(chunk) };
}

function copy(): Contender {
  // Where Session's own copy goes: one input-sized region, overwritten chunk after chunk.
  const dst = Buffer.allocUnsafe(CHUNK);
  return { name: "Buffer.copy", counter: undefined, feed: (chunk) => chunk.copy(dst) };
}

// ---- measurement ---------------------------------------------------------------------------

interface Prepared {
  stream: Stream;
  /** The stream in 64 KiB chunks, each in an ArrayBuffer of its own as a socket's reads come. */
  views: Buffer[];
}

function prepare(stream: Stream): Prepared {
  const views: Buffer[] = [];
  for (let off = 0; off < stream.bytes.length; off += CHUNK) {
    // alloc, not from(): a small last chunk would come out of Buffer's shared pool.
    const chunk = Buffer.alloc(Math.min(CHUNK, stream.bytes.length - off));
    stream.bytes.copy(chunk, 0, off);
    views.push(chunk);
  }
  return { stream, views };
}

/** Untimed: the pristine (still masked) stream back in every chunk. */
function refill(p: Prepared): void {
  for (let i = 0, off = 0; i < p.views.length; i++, off += CHUNK) p.stream.bytes.copy(p.views[i], 0, off);
}

/** Seconds per pass over the stream. */
function measure(p: Prepared, who: Contender, minMs: number): number {
  const before = who.counter?.messages ?? 0;
  let passes = 0;
  let ns = 0n;
  const { views } = p;
  do {
    refill(p);
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < views.length; i++) who.feed(views[i]);
    ns += process.hrtime.bigint() - t0;
    passes++;
  } while (Number(ns) / 1e6 < minMs);
  if (who.counter) {
    if (who.counter.error) throw new Error(`${who.name} on ${p.stream.name}: ${String(who.counter.error)}`);
    const got = who.counter.messages - before;
    if (got !== passes * p.stream.messages)
      throw new Error(
        `${who.name} on ${p.stream.name}: ${got} messages for ${passes * p.stream.messages} frames`,
      );
  }
  return Number(ns) / 1e9 / passes;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

// ---- run -----------------------------------------------------------------------------------

const streams = [
  smallStream("32 B text", 16, false),
  largeStream("1 MiB text", 64),
  largeStream("1 MiB multi-byte text", 1),
  smallStream("32 B ASCII text as strings", Number.POSITIVE_INFINITY, true),
];
const prepared = streams.map(prepare);
// One set of contenders per scenario so each session/receiver keeps a clean frame boundary.
const lineup = streams.map((st) => [
  ours("simd", st.strings),
  ours("simd", st.strings, true),
  ours("scalar", st.strings),
  ws(st.strings),
  copy(),
]);
const names = lineup[0].map((c) => c.name);

// Untimed check that what gets delivered is the payload itself, then a warm-up for the JIT.
for (let s = 0; s < streams.length; s++) {
  for (const who of lineup[s]) {
    measure(prepared[s], who, 1);
    const first = who.counter?.first;
    if (who.counter && (!first || !Buffer.from(first).equals(streams[s].first)))
      throw new Error(`${who.name} delivered the wrong bytes on ${streams[s].name}`);
  }
}

const seconds: number[][][] = streams.map(() => names.map(() => []));
for (let r = 0; r < ROUNDS; r++) {
  for (let s = 0; s < streams.length; s++) {
    for (let k = 0; k < names.length; k++) {
      const i = (k + r) % names.length; // rotate who goes first
      seconds[s][i].push(measure(prepared[s], lineup[s][i], MIN_MS));
    }
  }
}

const bufferutil = createRequire(import.meta.url)("bufferutil");
const native = bufferutil.unmask !== createRequire(import.meta.url)("bufferutil/fallback").unmask;

interface Result {
  scenario: string;
  unit: string;
  values: Record<string, number>;
  rounds: Record<string, number[]>;
}
const results: Result[] = streams.map((st, s) => {
  const frames = st.payloadBytes / st.messages === SMALL;
  const per = (sec: number) => (frames ? st.messages / sec : st.payloadBytes / sec / 1e9);
  return {
    scenario: st.name,
    unit: frames ? "frames/s" : "GB/s (payload)",
    values: Object.fromEntries(names.map((n, i) => [n, per(median(seconds[s][i]))])),
    rounds: Object.fromEntries(names.map((n, i) => [n, seconds[s][i].map(per)])),
  };
});

const fmt = (v: number, unit: string) =>
  unit === "frames/s" ? `${(v / 1e6).toFixed(2)} M/s` : `${v.toFixed(2)} GB/s`;
const RATIOS = ["ours (simd)", "ours (simd, borrow)", "ours (scalar)"];
const header = ["scenario", ...names, "simd/ws", "borrow/ws", "scalar/ws"];
const rows = results.map((r) => [
  `${r.scenario} (${r.unit})`,
  ...names.map((n) => fmt(r.values[n], r.unit)),
  ...RATIOS.map((n) => `${(r.values[n] / r.values.ws).toFixed(2)}x`),
]);
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
const line = (cells: string[]) =>
  cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ");

console.log(
  `node ${process.version}, ws Receiver (bufferutil ${native ? "native" : "JS fallback"}), ` +
    `${ROUNDS} rounds, median, >= ${MIN_MS} ms fed per measurement`,
);
console.log(line(header));
for (const row of rows) console.log(line(row));

const small = results[0].values;
const large = results[1].values;
// Each target in the default mode and in borrow mode (messages lent to the handler, buffers reused).
const targets = ["ours (simd)", "ours (simd, borrow)"].flatMap((who) => [
  {
    target: `>= 10x ws frames/s on 32 B frames (${who})`,
    value: small[who] / small.ws,
    goal: 10,
    unit: "x",
  },
  {
    target: `>= 8 GB/s on 1 MiB masked text with multi-byte characters (${who})`,
    value: large[who],
    goal: 8,
    unit: " GB/s",
  },
]);
for (const t of targets)
  console.log(
    `target ${t.target}: ${t.value.toFixed(2)}${t.unit} -> ${t.value >= t.goal ? "MET" : "MISSED"}`,
  );
if (!native) console.log("warning: bufferutil is the JS fallback; ws is slower than in production");

if (values.json) {
  writeFileSync(
    values.json,
    `${JSON.stringify({ node: process.version, bufferutilNative: native, rounds: ROUNDS, results, targets: targets.map((t) => ({ ...t, met: t.value >= t.goal })) }, null, 2)}\n`,
  );
}
