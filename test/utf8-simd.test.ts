// RFC 6455 8.1: text must be valid UTF-8, failed as soon as a byte makes that impossible. The SIMD
// build validates whole blocks with vectors (assembly/utf8.ts) and the scalar build byte by byte with
// a DFA; both must return exactly the state that Unicode Table 3-7 gives, for every input and every
// state a call may start in. The reference below is written from the table, not from the core.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createCore } from "../host-core/inline.ts";
import { Session } from "../host-core/session.ts";

fc.configureGlobal({ endOnFailure: true });

// The core's state numbers (assembly/utf8.ts).
const ACCEPT = 0;
const REJECT = 6;
const TAIL1 = 12;
const TAIL2 = 18;
const TAIL3 = 24;
const AFTER_E0 = 30;
const AFTER_ED = 36;
const AFTER_F0 = 42;
const AFTER_F4 = 48;
const STATES = [ACCEPT, REJECT, TAIL1, TAIL2, TAIL3, AFTER_E0, AFTER_ED, AFTER_F0, AFTER_F4];

// Table 3-7: the bytes each mid-character state allows next, and where they lead.
const NEXT: Record<number, [lo: number, hi: number, to: number]> = {
  [TAIL1]: [0x80, 0xbf, ACCEPT],
  [TAIL2]: [0x80, 0xbf, TAIL1],
  [TAIL3]: [0x80, 0xbf, TAIL2],
  [AFTER_E0]: [0xa0, 0xbf, TAIL1],
  [AFTER_ED]: [0x80, 0x9f, TAIL1],
  [AFTER_F0]: [0x90, 0xbf, TAIL2],
  [AFTER_F4]: [0x80, 0x8f, TAIL2],
};

function lead(b: number): number {
  if (b < 0x80) return ACCEPT;
  if (b >= 0xc2 && b <= 0xdf) return TAIL1;
  if (b === 0xe0) return AFTER_E0;
  if (b === 0xed) return AFTER_ED;
  if (b >= 0xe1 && b <= 0xef) return TAIL2;
  if (b === 0xf0) return AFTER_F0;
  if (b >= 0xf1 && b <= 0xf3) return TAIL3;
  if (b === 0xf4) return AFTER_F4;
  return REJECT;
}

function reference(state: number, bytes: Uint8Array): number {
  let s = state;
  for (const b of bytes) {
    if (s === REJECT) return REJECT;
    if (s === ACCEPT) s = lead(b);
    else {
      const [lo, hi, to] = NEXT[s];
      s = b >= lo && b <= hi ? to : REJECT;
    }
  }
  return s;
}

// Bytes that finish the character a state is in, so that the text after them is judged too.
function completion(state: number, pick: number): number[] {
  const out: number[] = [];
  for (let s = state; s !== ACCEPT && s !== REJECT; ) {
    const [lo, hi, to] = NEXT[s];
    out.push(lo + (pick % (hi - lo + 1)));
    s = to;
  }
  return out;
}

const enc = (s: string) => new TextEncoder().encode(s);
const hex = (bytes: ArrayLike<number>) => Buffer.from(Uint8Array.from(bytes)).toString("hex");

type Core = ReturnType<typeof createCore>;

const builds = [
  ["simd", createCore("simd")],
  ["scalar", createCore("scalar")],
] as const;

// Room around the text, filled with bytes that would change the outcome if read; `align` also picks
// whether ASCII or continuations follow the end.
const GUARD = 128;

/** Feeds `bytes` from `state` in pieces cut at `cuts`, returning the state after each piece. */
function run(core: Core, state: number, bytes: Uint8Array, cuts: number[] = [], align = 0): number[] {
  const ptr = core.inputPtr + GUARD + (align & 15);
  const u8 = core.u8;
  u8.fill(0xc2, ptr - GUARD, ptr); // a lead before ptr would change nothing, if read
  u8.set(bytes, ptr);
  u8.fill(align & 16 ? 0x61 : 0x80, ptr + bytes.length, ptr + bytes.length + GUARD); // nor after the end
  const states: number[] = [];
  let s = state;
  let from = 0;
  for (const cut of [...cuts.filter((c) => c <= bytes.length).sort((a, b) => a - b), bytes.length]) {
    s = core.exports.utf8Step(s, ptr + from, cut - from) >>> 0;
    states.push(s);
    from = cut;
  }
  return states;
}

function expected(state: number, bytes: Uint8Array, cuts: number[] = []): number[] {
  const states: number[] = [];
  let s = state;
  let from = 0;
  for (const cut of [...cuts.filter((c) => c <= bytes.length).sort((a, b) => a - b), bytes.length]) {
    s = reference(s, bytes.subarray(from, cut));
    states.push(s);
    from = cut;
  }
  return states;
}

function agrees(core: Core, state: number, bytes: Uint8Array, cuts: number[] = [], align = 0): void {
  const got = run(core, state, bytes, cuts, align);
  const want = expected(state, bytes, cuts);
  // Only a mismatch pays for the message: the exhaustive cases below make a million calls.
  if (got.some((g, i) => g !== want[i]))
    expect(got, `from ${state}: ${hex(bytes)} cut at ${cuts}`).toEqual(want);
}

// One character of each length, weighted towards multi-byte text and the edges of Table 3-7.
const char = fc.oneof(
  fc.integer({ min: 0, max: 0x7f }),
  fc.integer({ min: 0x80, max: 0x7ff }),
  fc.integer({ min: 0x800, max: 0xffff }).filter((c) => c < 0xd800 || c > 0xdfff),
  fc.integer({ min: 0x10000, max: 0x10ffff }),
  fc.constantFrom(0x7f, 0x80, 0x7ff, 0x800, 0xd7ff, 0xe000, 0xfffd, 0xffff, 0x10000, 0x10ffff),
);

/** Valid UTF-8 of exactly `len` bytes (ASCII fills what no longer character fits). */
const validText = (len: number) =>
  fc.array(char, { minLength: len, maxLength: len }).map((cs) => {
    const out = new Uint8Array(len);
    let at = 0;
    for (const c of cs) {
      const b = enc(String.fromCodePoint(c));
      if (at + b.length > len) break;
      out.set(b, at);
      at += b.length;
    }
    out.fill(0x61, at);
    return out;
  });

const state = fc.constantFrom(...STATES);
const cuts = (max: number) => fc.array(fc.nat({ max }), { maxLength: 5 });
const align = fc.nat({ max: 31 });

// Bytes at the edges of Table 3-7's rows, so random strings get far before they fail.
const EDGES = [
  0x00, 0x41, 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0, 0xc1, 0xc2, 0xdf, 0xe0, 0xe1, 0xec, 0xed, 0xee,
  0xef, 0xf0, 0xf1, 0xf3, 0xf4, 0xf5, 0xfe, 0xff,
];

// Kuhn's decoder test: correct text, boundaries, malformed, overlong and illegal sequences.
const KUHN = [
  "ceba e1bdb9 cf83 cebc ceb5",
  "00",
  "c280",
  "e0a080",
  "f0908080",
  "7f",
  "dfbf",
  "efbfbf",
  "f48fbfbf",
  "ed9fbf",
  "ee8080",
  "efbfbd",
  "f4908080",
  "f7bfbfbf",
  "f888808080",
  "fc8480808080",
  "80",
  "bf",
  "80bf80bf",
  "c020",
  "c120",
  "c220",
  "df20",
  "e020",
  "ef20",
  "e08020",
  "f020",
  "f08020",
  "f0808020",
  "f420",
  "f520",
  "f820",
  "c0",
  "e080",
  "f08080",
  "df",
  "efbf",
  "f7bfbf",
  "c0e080f08080f8808080fc80808080dfefbff7bfbffbbfbfbffdbfbfbfbf",
  "dfefbf",
  "fe",
  "ff",
  "fefeffff",
  "c0af",
  "e080af",
  "f08080af",
  "c1bf",
  "e09fbf",
  "f08fbfbf",
  "c080",
  "e08080",
  "f0808080",
  "eda080",
  "edbfbf",
  "eda080edb080",
  "edafbfedbfbf",
  "efbfbe",
  "f09fbfbf",
  "f48fbfbe",
  "c280c2",
  "e282ac61",
  "f09f9880e282ac",
].map((h) => Uint8Array.from(Buffer.from(h.replaceAll(" ", ""), "hex")));

const ascii = (n: number) => new Uint8Array(n).fill(0x61);
const cat = (...parts: ArrayLike<number>[]) => Uint8Array.from(parts.flatMap((p) => Array.from(p)));

describe.each(builds)("utf8Step, %s build, returns Table 3-7's state", (_, core) => {
  it("on random valid UTF-8 of every length 0..300, cut anywhere, from every state", () => {
    for (let len = 0; len <= 300; len++) {
      fc.assert(
        fc.property(validText(len), state, fc.nat(), cuts(len + 4), align, (text, s, pick, at, al) => {
          const bytes = cat(completion(s, pick), text);
          agrees(core, s, bytes, at, al);
          if (s === ACCEPT) expect(run(core, s, bytes, at, al).at(-1)).toBe(ACCEPT);
        }),
        { numRuns: 12 },
      );
    }
  });

  it("on random bytes, and random strings of Table 3-7's edge bytes", () => {
    const edgy = fc.array(fc.constantFrom(...EDGES), { maxLength: 200 }).map((a) => Uint8Array.from(a));
    fc.assert(
      fc.property(
        fc.oneof(fc.uint8Array({ maxLength: 400 }), edgy),
        state,
        cuts(400),
        align,
        (b, s, at, al) => agrees(core, s, b, at, al),
      ),
      { numRuns: 4000 },
    );
  });

  it("on valid text with one byte changed", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 300 }).chain((n) => validText(n)),
        fc.nat(),
        fc.oneof(fc.nat({ max: 255 }), fc.constantFrom(...EDGES)),
        cuts(300),
        align,
        (text, where, byte, at, al) => {
          text[where % text.length] = byte;
          agrees(core, ACCEPT, text, at, al);
        },
      ),
      { numRuns: 6000 },
    );
  });

  it("on every state, then Kuhn's sequences straddling the 16-, 32- and 64-byte block edges", () => {
    for (const s of STATES)
      for (const seq of KUHN)
        for (const edge of [16, 32, 48, 64, 128])
          for (let back = -1; back <= 5; back++)
            for (const tail of [0, 1, 3, 70]) {
              const before = edge - back - seq.length;
              if (before < 0) continue;
              const tailBytes = ascii(tail);
              agrees(core, s, cat(ascii(before), seq, tailBytes));
              agrees(core, s, cat(completion(s, before), ascii(before), seq, tailBytes), [], 16 + 3);
              agrees(core, s, cat(completion(s, before), seq, ascii(before), seq, tailBytes), [edge], 7);
            }
  });

  it("on long ASCII runs followed by an error (or a cut character) at every offset of a block", () => {
    const errors = [
      "80",
      "bf",
      "c0",
      "c1af",
      "f5",
      "ff",
      "e282",
      "e28220",
      "eda080",
      "f4908080",
      "f08f",
      "c2",
      "e0a0",
    ];
    for (let run = 0; run <= 5 * 64 + 1; run++)
      for (const e of errors)
        for (const tail of [0, 1, 15, 16, 64, 130]) {
          const bytes = cat(ascii(run), Buffer.from(e, "hex"), ascii(tail));
          agrees(core, ACCEPT, bytes);
          agrees(core, ACCEPT, bytes, [run], 16 + 5);
        }
  });

  it("on every byte pair, and every four edge bytes, across a block edge and at the end", () => {
    for (let a = 0; a < 256; a++)
      for (let b = 0; b < 256; b++) {
        agrees(core, ACCEPT, cat(ascii(15), [a, b], ascii(17)));
        agrees(core, ACCEPT, cat(ascii(14), [a, b]));
      }
    const across = ascii(32);
    const atEnd = ascii(17);
    for (const a of EDGES)
      for (const b of EDGES)
        for (const c of EDGES)
          for (const d of EDGES) {
            across.set([a, b, c, d], 14);
            atEnd.set([a, b, c, d], 13);
            agrees(core, ACCEPT, across);
            agrees(core, ACCEPT, atEnd);
          }
  });

  it("utf8Valid is utf8Step from ACCEPT ending in ACCEPT", () => {
    fc.assert(
      fc.property(fc.oneof(validText(100), fc.uint8Array({ maxLength: 100 })), (bytes) => {
        const ptr = core.inputPtr;
        core.u8.set(bytes, ptr);
        expect(core.exports.utf8Valid(ptr, bytes.length)).toBe(reference(ACCEPT, bytes) === ACCEPT ? 1 : 0);
      }),
      { numRuns: 500 },
    );
  });
});

// RFC 6455 5.3 with 8.1: a masked text frame is unmasked as it is validated (utf8Unmask); through the
// whole receive path, the connection fails in the receive() call that brings the first impossible byte.
function maskedTextFrame(payload: Uint8Array, key: Uint8Array): Uint8Array {
  const n = payload.length;
  const head = n < 126 ? [0x81, 0x80 | n] : [0x81, 0x80 | 126, n >> 8, n & 255];
  const out = new Uint8Array(head.length + 4 + n);
  out.set(head);
  out.set(key, head.length);
  for (let i = 0; i < n; i++) out[head.length + 4 + i] = payload[i] ^ key[i & 3];
  return out;
}

/** Where `bytes` first becomes impossible, or -1. */
function firstReject(bytes: Uint8Array): number {
  let s = ACCEPT;
  for (let i = 0; i < bytes.length; i++) {
    s = reference(s, bytes.subarray(i, i + 1));
    if (s === REJECT) return i;
  }
  return -1;
}

describe.each(builds)("masked text through Session, %s build", (_, core) => {
  it("is delivered as sent, or fails in the call with the first impossible byte, at any key and cuts", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 700 }).chain((n) => validText(n)),
        fc.option(fc.tuple(fc.nat(), fc.oneof(fc.nat({ max: 255 }), fc.constantFrom(...EDGES)))),
        fc.uint8Array({ minLength: 4, maxLength: 4 }),
        fc.array(fc.nat(), { maxLength: 6 }),
        (text, change, key, cutAt) => {
          if (change && text.length > 0) text[change[0] % text.length] = change[1];
          const frame = maskedTextFrame(text, key);
          const head = frame.length - text.length;
          const bad = firstReject(text);
          // A text that only ends mid-character fails with the call that ends the frame.
          const failAt = bad >= 0 ? head + bad : reference(ACCEPT, text) !== ACCEPT ? frame.length - 1 : -1;
          const session = new Session({ role: "server", textAs: "bytes", core });
          const cuts = [...new Set(cutAt.map((c) => c % (frame.length + 1)))].sort((a, b) => a - b);
          const got: Uint8Array[] = [];
          let from = 0;
          for (const cut of [...cuts, frame.length]) {
            if (cut === from) continue;
            const events = session.events(frame.subarray(from, cut));
            const failed = events.some((e) => e.type === "error");
            expect(failed, `bytes ${from}..${cut}, failing byte ${failAt}`).toBe(
              failAt >= from && failAt < cut,
            );
            if (failed) break;
            for (const e of events) if (e.type === "message") got.push(e.data as Uint8Array);
            from = cut;
          }
          session.free();
          if (failAt < 0) expect(got.map(hex)).toEqual([hex(text)]);
        },
      ),
      { numRuns: 1500 },
    );
  });

  it("fails a whole short frame that ends inside a character, at every length, and delivers complete ones", () => {
    const key = Uint8Array.of(0x37, 0xfa, 0x21, 0x3d);
    const ends = ["c3", "e282", "f09f98", "c3a9", "e282ac", "f09f9880"].map((h) => Buffer.from(h, "hex"));
    for (let len = 1; len <= 125; len++)
      for (const end of ends) {
        if (end.length > len) continue;
        // Not ASCII, so it goes to the validator; a character before the end where there is room.
        const before = len - end.length;
        const text = before >= 2 ? cat([0xc2, 0xa9], ascii(before - 2), end) : cat(ascii(before), end);
        const session = new Session({ role: "server", textAs: "bytes", core });
        const events = session.events(maskedTextFrame(text, key));
        session.free();
        const complete = reference(ACCEPT, text) === ACCEPT;
        const got = events.map((e) => (e.type === "message" ? hex(e.data as Uint8Array) : e.type));
        expect(got, `${len} bytes: ${hex(text)}`).toEqual(complete ? [hex(text)] : ["error"]);
      }
  });
});
