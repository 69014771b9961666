// Random byte streams for the differential fuzzer: valid frame sequences (fragmented messages with
// control frames between the fragments, text split inside characters), mutations of them, and a
// random chunking. Stream `index` of `seed` is always the same stream, so any one can be replayed.
import type { Role } from "./reference.ts";

export interface Stream {
  /** The session that decodes the bytes: a server expects masked frames, a client unmasked. */
  role: Role;
  /** Session limits; 0 = unlimited. */
  maxFrameSize: number;
  maxMessageSize: number;
  textAs: "string" | "bytes";
  bytes: Uint8Array;
  /** The sizes of the receive() calls, in order; they add up to bytes.length. */
  chunks: number[];
  /** What the generator did, for the report. */
  recipe: string[];
  /** Another session on the same core, its receive() calls alternating with this one's. */
  partner?: Stream;
  /** Each chunk in a buffer of its own, given to the session (Session.receive's `given`). */
  given?: boolean;
}

/** xoshiro128** seeded through splitmix32: no Math.random, so every stream is reproducible. */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number, index: number) {
    let x = (Math.imul(seed >>> 0, 0x9e3779b1) ^ index) >>> 0;
    const split = (): number => {
      x = (x + 0x9e3779b9) | 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.a = split();
    this.b = split();
    this.c = split();
    this.d = split();
  }

  u32(): number {
    const result = Math.imul(rotl(Math.imul(this.b, 5), 7), 9) >>> 0;
    const t = this.b << 9;
    this.c ^= this.a;
    this.d ^= this.b;
    this.b ^= this.c;
    this.a ^= this.d;
    this.c ^= t;
    this.d = rotl(this.d, 11);
    return result;
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor((this.u32() / 2 ** 32) * n);
  }

  /** An integer in [lo, hi]. */
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }

  chance(p: number): boolean {
    return this.u32() < p * 2 ** 32;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }

  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i += 4) {
      const r = this.u32();
      out[i] = r;
      if (i + 1 < n) out[i + 1] = r >>> 8;
      if (i + 2 < n) out[i + 2] = r >>> 16;
      if (i + 3 < n) out[i + 3] = r >>> 24;
    }
    return out;
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** One frame before encoding; `payload` is unmasked. */
export interface Frame {
  fin: boolean;
  rsv: number;
  op: number;
  /** The masking key, or null for an unmasked frame. */
  key: number | null;
  payload: Uint8Array;
  /** The announced length when it is not the payload's. */
  length?: bigint;
  /** The length's encoding when it is not the minimal one: 16 or 64 bits. */
  form?: 16 | 64;
}

const TEXT = 1;
const BINARY = 2;
const CLOSE = 8;
const PING = 9;
const PONG = 10;
const RESERVED_OPCODES = [3, 4, 5, 6, 7, 0xb, 0xc, 0xd, 0xe, 0xf];

/** 5.2: the length's encoding, the minimal one unless the frame says otherwise. */
function lengthForm(f: Frame): 7 | 16 | 64 {
  if (f.form) return f.form;
  const n = f.length ?? BigInt(f.payload.length);
  return n < 126n ? 7 : n < 65536n ? 16 : 64;
}

function headerLength(f: Frame): number {
  const form = lengthForm(f);
  return 2 + (form === 7 ? 0 : form === 16 ? 2 : 8) + (f.key === null ? 0 : 4);
}

/** 5.2: the frames' bytes, each payload masked with its key (5.3), and where each frame starts. */
export function encodeFrames(frames: Frame[]): { bytes: Uint8Array; starts: number[] } {
  const starts: number[] = [];
  let total = 0;
  for (const f of frames) {
    starts.push(total);
    total += headerLength(f) + f.payload.length;
  }
  const bytes = new Uint8Array(total);
  const view = new DataView(bytes.buffer);
  frames.forEach((f, i) => {
    const at = starts[i];
    const form = lengthForm(f);
    const length = f.length ?? BigInt(f.payload.length);
    const head = at + headerLength(f);
    bytes[at] = (f.fin ? 0x80 : 0) | (f.rsv << 4) | f.op;
    bytes[at + 1] = (f.key === null ? 0 : 0x80) | (form === 7 ? Number(length) : form === 16 ? 126 : 127);
    if (form === 16) view.setUint16(at + 2, Number(length & 0xffffn));
    if (form === 64) view.setBigUint64(at + 2, length);
    bytes.set(f.payload, head);
    if (f.key !== null) {
      view.setUint32(head - 4, f.key);
      for (let k = 0; k < f.payload.length; k++) bytes[head + k] ^= bytes[head - 4 + (k & 3)];
    }
  });
  return { bytes, starts };
}

interface Scale {
  items: number;
  payload: number;
  fragments: number;
}

const SHORT: Scale = { items: 4, payload: 24, fragments: 4 };
const MEDIUM: Scale = { items: 8, payload: 300, fragments: 8 };
const LARGE: Scale = { items: 3, payload: 140_000, fragments: 12 };

// Code points at the edges of UTF-8's sequence lengths and of the ranges it excludes.
const EDGE_CODE_POINTS = [
  0, 0x7f, 0x80, 0x7ff, 0x800, 0xfff, 0x1000, 0xd7ff, 0xe000, 0xfeff, 0xfffd, 0xffff, 0x10000, 0x3ffff,
  0x40000, 0xfffff, 0x100000, 0x10ffff,
];

// Byte sequences no valid text contains, each invalid from its last byte on.
const INVALID_UTF8 = [
  [0x80],
  [0xbf],
  [0xc0],
  [0xc1],
  [0xf5],
  [0xff],
  [0xe0, 0x80],
  [0xe0, 0x9f],
  [0xed, 0xa0],
  [0xed, 0xbf],
  [0xf0, 0x80],
  [0xf0, 0x8f],
  [0xf4, 0x90],
  [0xc2, 0x41],
  [0xe2, 0x82, 0x41],
  [0xf0, 0x9f, 0x98, 0x41],
  [0xf1, 0x80, 0x80, 0xc0],
];
// Characters cut short: only an error once the message ends.
const TRUNCATED_UTF8 = [[0xc3], [0xe2], [0xe2, 0x82], [0xf0], [0xf0, 0x9f], [0xf4, 0x8f, 0xbf]];

const BAD_CLOSE_CODES = [0, 1, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535];
const GOOD_CLOSE_CODES = [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 4999];
const HUGE_LENGTHS = [
  65535n,
  65536n,
  2n ** 31n,
  2n ** 32n,
  2n ** 40n,
  2n ** 53n + 1n,
  2n ** 63n - 1n,
  2n ** 63n,
  2n ** 63n + 5n,
  2n ** 64n - 1n,
];

const encoder = new TextEncoder();

/** Random text of about n bytes: mostly ASCII, every sequence length, the edge code points. */
function text(rng: Rng, n: number): Uint8Array {
  const cps: number[] = [];
  for (let bytes = 0; bytes < n; ) {
    const r = rng.int(100);
    let cp: number;
    if (r < 55) cp = rng.range(0x20, 0x7e);
    else if (r < 70) cp = rng.range(0x80, 0x7ff);
    else if (r < 85) cp = rng.chance(0.5) ? rng.range(0x800, 0xd7ff) : rng.range(0xe000, 0xffff);
    else if (r < 95) cp = rng.range(0x10000, 0x10ffff);
    else cp = rng.pick(EDGE_CODE_POINTS);
    cps.push(cp);
    bytes += cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
  }
  let s = "";
  for (let i = 0; i < cps.length; i += 4096) s += String.fromCodePoint(...cps.slice(i, i + 4096));
  return encoder.encode(s);
}

function insertAt(a: Uint8Array, at: number, insert: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(a.length + insert.length);
  out.set(a.subarray(0, at));
  out.set(insert, at);
  out.set(a.subarray(at), at + insert.length);
  return out;
}

class Builder {
  readonly frames: Frame[] = [];
  readonly recipe: string[] = [];

  constructor(
    readonly rng: Rng,
    readonly scale: Scale,
    /** Whether a well-behaved peer of this session masks (it does when the session is a server). */
    readonly masks: boolean,
  ) {}

  key(): number | null {
    if (!this.masks) return null;
    // A zero key leaves the payload as it is: still a masked frame.
    return this.rng.chance(0.05) ? 0 : this.rng.u32();
  }

  frame(op: number, payload: Uint8Array, fin = true): Frame {
    const f: Frame = { fin, rsv: 0, op, key: this.key(), payload };
    // 5.2 asks senders for the minimal length form; receivers here accept a longer one in data frames.
    if (op < 8 && this.rng.chance(0.03)) f.form = this.rng.chance(0.5) ? 16 : 64;
    return f;
  }

  payloadLength(): number {
    const { rng, scale } = this;
    if (rng.chance(0.1))
      return rng.pick([0, 1, 125, 126, 127, 65535, 65536].filter((n) => n <= scale.payload));
    return rng.int(scale.payload + 1);
  }

  control(): Frame {
    const { rng } = this;
    return this.frame(rng.pick([PING, PING, PONG]), rng.bytes(rng.chance(0.2) ? 125 : rng.int(20)));
  }

  /** A text or binary message in fragments cut anywhere, with control frames between them. */
  message(): void {
    const { rng, scale } = this;
    const binary = rng.chance(0.35);
    let payload = binary ? rng.bytes(this.payloadLength()) : text(rng, this.payloadLength());
    if (!binary && rng.chance(0.08)) {
      const bad = rng.chance(0.6) ? rng.pick(INVALID_UTF8) : rng.pick(TRUNCATED_UTF8);
      const at = rng.chance(0.5) ? payload.length : rng.int(payload.length + 1);
      payload = insertAt(payload, at, bad);
      this.recipe.push(`text with ${hex(Uint8Array.from(bad))} at ${at}`);
    }
    const pieces = rng.chance(0.5) ? 1 : rng.range(2, scale.fragments);
    const cuts = Array.from({ length: pieces - 1 }, () => rng.int(payload.length + 1)).sort((a, b) => a - b);
    cuts.push(payload.length);
    let from = 0;
    cuts.forEach((cut, i) => {
      if (i > 0 && rng.chance(0.3)) this.frames.push(this.control());
      const op = i === 0 ? (binary ? BINARY : TEXT) : 0;
      this.frames.push(this.frame(op, payload.subarray(from, cut), i === cuts.length - 1));
      from = cut;
    });
  }

  close(payload: Uint8Array): Frame {
    return this.frame(CLOSE, payload);
  }

  goodClose(): Frame {
    const { rng } = this;
    if (rng.chance(0.2)) return this.close(new Uint8Array(0));
    // text() overshoots its target by at most 3 bytes: at most 123, the limit of 5.5.1.
    const reason = text(rng, rng.int(rng.chance(0.2) ? 121 : 20));
    const code = rng.pick(GOOD_CLOSE_CODES);
    return this.close(Uint8Array.from([code >> 8, code & 0xff, ...reason]));
  }

  script(): void {
    const { rng, scale } = this;
    const n = rng.range(1, scale.items);
    for (let i = 0; i < n; i++) {
      if (rng.chance(0.7)) this.message();
      else this.frames.push(this.control());
    }
    if (rng.chance(0.15)) {
      this.frames.push(this.goodClose());
      this.recipe.push("close");
      // Nothing after a close is decoded.
      if (rng.chance(0.5)) this.frames.push(this.control());
    }
  }

  /** A random frame that passes the filter, if there is one. */
  target(filter: (f: Frame) => boolean = () => true): Frame | undefined {
    const candidates = this.frames.filter(filter);
    return candidates.length > 0 ? this.rng.pick(candidates) : undefined;
  }

  insert(f: Frame): void {
    this.frames.splice(this.rng.int(this.frames.length + 1), 0, f);
  }
}

type FrameMutation = (b: Builder) => string | undefined;

const frameMutations: FrameMutation[] = [
  (b) => {
    const f = b.target();
    if (!f) return;
    f.rsv = b.rng.range(1, 7);
    return `rsv ${f.rsv}`;
  },
  (b) => {
    const f = b.target();
    if (!f) return;
    f.op = b.rng.pick(RESERVED_OPCODES);
    return `opcode ${f.op}`;
  },
  (b) => {
    const f = b.target((x) => x.op >= 8) ?? b.target();
    if (!f) return;
    f.fin = !f.fin;
    return `fin ${f.fin} on opcode ${f.op}`;
  },
  (b) => {
    b.insert(b.frame(0, b.rng.bytes(b.rng.int(8)), b.rng.chance(0.5)));
    return "stray continuation";
  },
  (b) => {
    const f = b.target((x) => x.op === 0);
    if (f) f.op = b.rng.chance(0.5) ? TEXT : BINARY;
    else b.insert(b.frame(b.rng.chance(0.5) ? TEXT : BINARY, b.rng.bytes(3), false));
    return "new data frame inside a message";
  },
  (b) => {
    const f = b.target();
    if (!f) return;
    f.key = f.key === null ? b.rng.u32() : null;
    return f.key === null ? "unmasked frame" : "masked frame";
  },
  (b) => {
    const f = b.frame(b.rng.pick([PING, PONG, CLOSE]), b.rng.bytes(b.rng.range(126, 300)));
    b.insert(f);
    return `control frame of ${f.payload.length} bytes`;
  },
  (b) => {
    const f = b.target((x) => x.op >= 8) ?? b.control();
    if (!b.frames.includes(f)) b.insert(f);
    f.form = b.rng.chance(0.5) ? 16 : 64;
    return `control length in ${f.form} bits`;
  },
  (b) => {
    const f = b.target();
    if (!f) return;
    const delta = BigInt(b.rng.range(-3, 3));
    f.length = BigInt(f.payload.length) + delta < 0n ? 0n : BigInt(f.payload.length) + delta;
    return `length ${f.length} for ${f.payload.length} bytes`;
  },
  (b) => {
    const f = b.target();
    if (!f) return;
    f.length = b.rng.pick(HUGE_LENGTHS);
    return `length ${f.length}`;
  },
  (b) => {
    b.insert(b.close(b.rng.bytes(1)));
    return "1-byte close";
  },
  (b) => {
    const code = b.rng.pick(BAD_CLOSE_CODES);
    b.insert(b.close(Uint8Array.from([code >> 8, code & 0xff, ...encoder.encode("bye")])));
    return `close code ${code}`;
  },
  (b) => {
    const bad = b.rng.pick([...INVALID_UTF8, ...TRUNCATED_UTF8]);
    b.insert(b.close(Uint8Array.from([0x03, 0xe8, ...encoder.encode("ok"), ...bad])));
    return `close reason ending ${hex(Uint8Array.from(bad))}`;
  },
  (b) => {
    b.insert(b.goodClose());
    return "close in the middle";
  },
];

type ByteMutation = (rng: Rng, bytes: Uint8Array, starts: number[]) => [Uint8Array, string];

const byteMutations: ByteMutation[] = [
  (rng, bytes, starts) => {
    // A bit of a header: byte 0, byte 1 or the first length bytes of a frame.
    const at = Math.min(rng.pick(starts) + rng.int(4), bytes.length - 1);
    const bit = rng.int(8);
    bytes[at] ^= 1 << bit;
    return [bytes, `flip bit ${bit} of byte ${at}`];
  },
  (rng, bytes) => {
    const at = rng.int(bytes.length);
    bytes[at] ^= 1 << rng.int(8);
    return [bytes, `flip a bit of byte ${at}`];
  },
  (rng, bytes) => {
    const at = rng.int(bytes.length);
    return [bytes.subarray(0, at), `truncate at ${at}`];
  },
  (rng, bytes) => {
    const at = rng.int(bytes.length + 1);
    return [insertAt(bytes, at, rng.bytes(rng.range(1, 8))), `garbage at ${at}`];
  },
];

/** Many tiny pings in one go: the core's worst case of events and replies per input chunk. */
function flood(b: Builder): void {
  // 32,768 of them fill one 64 KiB input region.
  const n = b.rng.chance(0.5) ? b.rng.range(32_700, 34_000) : b.rng.range(1000, 34_000);
  const empty = new Uint8Array(0);
  for (let i = 0; i < n; i++) b.frames.push(b.frame(PING, empty));
  b.recipe.push(`${n} empty pings`);
}

/** The sizes of the receive() calls. */
function chunking(rng: Rng, total: number, large: boolean): number[] {
  const r = rng.int(100);
  // Up to 70,000 bytes: more than the core's 64 KiB input region, which Session feeds in pieces.
  const big = (): number => (rng.chance(0.5) ? rng.range(65_000, 70_000) : rng.range(1, 70_000));
  let next: () => number;
  if (r < 20) next = () => total;
  else if (large) next = r < 80 ? big : () => (rng.chance(0.9) ? rng.range(1, 4096) : big());
  else if (r < 25) next = () => (total <= 300 ? 1 : rng.range(1, 16));
  else if (r < 55) next = () => rng.range(1, 16);
  else if (r < 80) next = () => rng.range(1, 64);
  else next = () => (rng.chance(0.8) ? rng.range(1, 8) : rng.range(1, 70_000));
  const sizes: number[] = [];
  for (let left = total; left > 0; ) {
    const n = Math.min(next(), left);
    sizes.push(n);
    left -= n;
  }
  return sizes;
}

/** Stream `index` of `seed`. */
export function generate(seed: number, index: number): Stream {
  const rng = new Rng(seed, index);
  const stream = build(rng, rng.int(10_000));
  // Sessions share the core's regions: one in ten streams has a short one beside it.
  if (rng.chance(0.1)) stream.partner = build(rng, rng.range(1200, 9999));
  stream.given = rng.chance(0.5);
  return stream;
}

/** `r` in [0, 10000) picks the scale: a flood, large, medium or short. */
function build(rng: Rng, r: number): Stream {
  // Floods go to a client, whose 2-byte pings cost the core most per input byte.
  const role: Role = r >= 2 && rng.chance(0.5) ? "server" : "client";
  const b = new Builder(rng, r < 30 ? LARGE : r < 1200 ? MEDIUM : SHORT, role === "server");
  if (r < 2) flood(b);
  else b.script();
  const mutate = rng.chance(0.45);
  if (mutate) {
    for (let n = rng.range(1, 2); n > 0; n--) {
      const what = rng.pick(frameMutations)(b);
      if (what) b.recipe.push(what);
    }
  }
  let { bytes, starts } = encodeFrames(b.frames);
  if (bytes.length > 0 && rng.chance(mutate ? 0.3 : 0.15)) {
    const [mutated, what] = rng.pick(byteMutations)(rng, bytes, starts);
    bytes = mutated;
    b.recipe.push(what);
  }
  const [maxFrameSize, maxMessageSize] = limits(rng);
  return {
    role,
    maxFrameSize,
    maxMessageSize,
    textAs: rng.chance(0.5) ? "string" : "bytes",
    bytes,
    chunks: chunking(rng, bytes.length, bytes.length > 20_000),
    recipe: b.recipe,
  };
}

const DEFAULT_LIMIT = 16 * 1024 * 1024;

/** [maxFrameSize, maxMessageSize]: mostly the default, sometimes none, sometimes small enough to hit. */
function limits(rng: Rng): [number, number] {
  const r = rng.int(20);
  if (r < 11) return [DEFAULT_LIMIT, DEFAULT_LIMIT];
  if (r < 13) return [0, 0];
  if (r < 16) {
    const n = rng.range(1, 300);
    return [n, n];
  }
  if (r < 18) return [rng.range(1, 150), rng.chance(0.5) ? 0 : rng.range(100, 1000)];
  return [0, rng.range(1, 300)];
}

export function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString("hex");
}
