// Sections 12 and 13: permessage-deflate (RFC 7692), after Autobahn's cases 12.x.y and 13.x.y, plus
// our own 12.0.x (Autobahn has no 12.0): hand-built compressed frames, the RFC's edge cases and the
// errors an endpoint must fail the connection on.
//
// 12.j.i: messages of one size from data set j (corpus.ts), under the default offer; 13.j.i: the JSON
// data under parameter combination j. Each message is the next slice of its data set (wrapping round,
// as Autobahn does), sent compressed once the previous one came back, and every echo must inflate to
// what was sent. The tester compresses with the negotiated client (server mode) or server (client mode)
// window and context takeover, and inflates with exactly the other side's, so a peer that ignores a
// negotiated limit fails here rather than only against a stricter peer.
import { deflateStatic, type PmdParams } from "../deflate.ts";
import type { DeflateSpec, Expect, FrameCase, Observed, Script } from "../types.ts";
import { DATA_SETS, type DataSet } from "./corpus.ts";
import {
  binary,
  close,
  cont,
  echoed,
  failed,
  frameCase,
  gotBinary,
  gotPong,
  gotText,
  ping,
  send,
  text,
} from "./dsl.ts";

/**
 * Autobahn's (payload size, auto-fragment size) list, plus one size of our own at the end (12.j.19 and
 * 13.j.19: 256 KiB in one frame). Autobahn sends 1000 messages in every case; we scale that down to
 * about 256 KiB per case, between 4 and 100 messages, so that all of sections 12 and 13 run in seconds.
 */
const SIZES: [size: number, fragment: number][] = [
  [16, 0],
  [64, 0],
  [256, 0],
  [1024, 0],
  [4096, 0],
  [8192, 0],
  [16384, 0],
  [32768, 0],
  [65536, 0],
  [131072, 0],
  [8192, 256],
  [16384, 256],
  [32768, 256],
  [65536, 256],
  [131072, 256],
  [131072, 1024],
  [131072, 4096],
  [131072, 32768],
  [262144, 0],
];
const count = (size: number) => Math.min(100, Math.max(4, Math.floor((256 * 1024) / size)));

/** `n` consecutive slices of `size` bytes of the data set, wrapping round at its end. */
function slices(d: DataSet, size: number, n: number): Observed[] {
  const data = d.bytes();
  const out: Observed[] = [];
  let at = 0;
  for (let k = 0; k < n; k++) {
    const piece = Buffer.alloc(size);
    for (let filled = 0; filled < size; ) {
      const copied = data.copy(piece, filled, at, Math.min(data.length, at + size - filled));
      filled += copied;
      at = (at + copied) % data.length;
    }
    out.push({ type: d.binary ? "binary" : "text", payload: piece });
  }
  return out;
}

const sizeName = (n: number) => (n >= 1024 ? `${n / 1024} KiB` : `${n} B`);

function messageCases(
  id: string,
  d: DataSet,
  deflate: DeflateSpec,
  offerText: string,
  timeoutMs?: number,
): FrameCase[] {
  return SIZES.map(([size, fragment], i) => {
    const n = count(size);
    const frag = fragment ? `, compressed bytes in frames of ${fragment}` : "";
    return frameCase(
      `${id}.${i + 1}`,
      `${n} compressed ${d.binary ? "binary" : "text"} messages of ${sizeName(size)}${frag}, ${offerText}`,
      "each echoed, inflating to what was sent; the answer fits the offer",
      () => {
        const messages = slices(d, size, n);
        return { actions: [{ do: "compressed", messages, fragment }], expect: echoed(...messages) };
      },
      { deflate, ...(timeoutMs ? { timeoutMs } : {}) },
    );
  });
}

/** The default offer, as browsers and ws make it. */
const DEFAULT: PmdParams = { client_max_window_bits: true };
const defaultOffer: DeflateSpec = { offers: [DEFAULT] };

const section12 = DATA_SETS.flatMap((d, j) =>
  messageCases(`12.${j + 1}`, d, defaultOffer, `${d.title}, default offer`),
);

const noContext: PmdParams = { server_no_context_takeover: true, client_no_context_takeover: true };
/**
 * Autobahn's 13.x: its offers ask for the server's parameters and its server answers with the client's,
 * which here become one set per case that both modes aim at (see DeflateSpec). Autobahn uses 8-bit
 * windows in 13.3 and 13.5; zlib cannot open a raw deflate stream with an 8-bit window (Node and Python
 * refuse it or use 9), so a zlib-based peer could not honour them: we use 9.
 */
const PARAMETERS: [title: string, offers: PmdParams[]][] = [
  ["default offer", [DEFAULT]],
  ["no context takeover either way", [{ ...noContext, client_max_window_bits: true }]],
  ["windows of 2^9 either way", [{ server_max_window_bits: 9, client_max_window_bits: 9 }]],
  ["windows of 2^15 either way", [{ server_max_window_bits: 15, client_max_window_bits: 15 }]],
  [
    "no context takeover, windows of 2^9",
    [{ ...noContext, server_max_window_bits: 9, client_max_window_bits: 9 }],
  ],
  [
    "no context takeover, windows of 2^15",
    [{ ...noContext, server_max_window_bits: 15, client_max_window_bits: 15 }],
  ],
  [
    "three offers: no context + 2^9, no context, default",
    [
      { ...noContext, server_max_window_bits: 9, client_max_window_bits: 9 },
      { ...noContext, client_max_window_bits: true },
      DEFAULT,
    ],
  ],
];

const section13 = PARAMETERS.flatMap(([title, offers], j) =>
  messageCases(`13.${j + 1}`, DATA_SETS[0], { offers }, title),
);

// 12.0: hand-built frames. Their compressed payloads come from deflateStatic (no context, 9-bit
// window), valid whatever the peer negotiated.
const HELLO = Buffer.from("Hello");
const z = (p: Uint8Array | string, opts?: Parameters<typeof deflateStatic>[1]) =>
  deflateStatic(typeof p === "string" ? Buffer.from(p) : p, opts);
const RSV1 = { rsv: 4 };
const LOREM = Buffer.from("Lorem ipsum dolor sit amet, lorem ipsum dolor sit amet. ".repeat(8));
/** RFC 6455 7.4.1's 1007 is the natural code; RFC 7692 names none for data that does not inflate. */
const badData: Expect = {
  ...failed([], 1007),
  nonStrictCodes: { codes: [1002], reason: "failed with 1002 (RFC 7692 names no close code; 1007 fits)" },
};

/** A 12.0 case under the default offer. */
const c0 = (id: string, description: string, expectation: string, build: () => Script) =>
  frameCase(id, description, expectation, build, { deflate: defaultOffer });

const section12_0: FrameCase[] = [
  c0("12.0.1", "compressed text message 'Hello' (RFC 7692 7.2.3.1: f2 48 cd c9 c9 07 00)", "echoed", () => ({
    actions: [send([text(z(HELLO), RSV1)])],
    expect: echoed(gotText(HELLO)),
  })),
  c0(
    "12.0.2",
    "uncompressed text message (RSV1 clear) on a compressed connection (RFC 7692 6)",
    "echoed",
    () => ({ actions: [send([text(HELLO)])], expect: echoed(gotText(HELLO)) }),
  ),
  c0(
    "12.0.3",
    "empty compressed text message (payload 00, RFC 7692 7.2.3.6)",
    "an empty text message echoed",
    () => ({ actions: [send([text(z(""), RSV1)])], expect: echoed(gotText("")) }),
  ),
  c0("12.0.4", "empty compressed binary message", "an empty binary message echoed", () => ({
    actions: [send([binary(z(""), RSV1)])],
    expect: echoed(gotBinary("")),
  })),
  c0(
    "12.0.5",
    "compressed text message in frames of one compressed byte each (RSV1 on the first only)",
    "echoed whole",
    () => {
      const data = z(LOREM);
      const frames = [...data].map((b, i) =>
        i === 0
          ? text(Buffer.from([b]), { fin: data.length === 1, rsv: 4 })
          : cont(Buffer.from([b]), { fin: i === data.length - 1 }),
      );
      return { actions: [send(frames)], expect: echoed(gotText(LOREM)) };
    },
  ),
  c0(
    "12.0.6",
    "compressed text message of one DEFLATE block with no compression (RFC 7692 7.2.3.3)",
    "echoed",
    () => ({ actions: [send([text(z(LOREM, { stored: true }), RSV1)])], expect: echoed(gotText(LOREM)) }),
  ),
  c0(
    "12.0.7",
    "compressed text message ending in a DEFLATE block with BFINAL set (RFC 7692 7.2.3.4)",
    "echoed",
    () => ({ actions: [send([text(z(LOREM, { final: true }), RSV1)])], expect: echoed(gotText(LOREM)) }),
  ),
  c0(
    "12.0.8",
    "compressed text message of two DEFLATE streams' blocks, an empty stored block between (RFC 7692 7.2.3.5)",
    "echoed as one message",
    () => {
      const first = Buffer.concat([z("Hello, "), Buffer.from([0x00, 0x00, 0xff, 0xff])]);
      return {
        actions: [send([text(Buffer.concat([first, z("world")]), RSV1)])],
        expect: echoed(gotText("Hello, world")),
      };
    },
  ),
  c0(
    "12.0.9",
    "compressed text message in two frames with a ping between them",
    "a pong, then the message echoed",
    () => {
      const data = z(LOREM);
      const half = data.length >> 1;
      return {
        actions: [
          send(
            [text(data.subarray(0, half), { fin: false, rsv: 4 }), ping("ping"), cont(data.subarray(half))],
            "frames",
            10,
          ),
        ],
        expect: echoed(gotPong("ping"), gotText(LOREM)),
      };
    },
  ),
  c0(
    "12.0.10",
    "compressed text message whose continuation frame also has RSV1 set",
    "fail with 1002 (RFC 7692 6.1: RSV1 on the first frame only)",
    () => {
      const data = z(LOREM);
      const half = data.length >> 1;
      return {
        actions: [
          send([text(data.subarray(0, half), { fin: false, rsv: 4 }), cont(data.subarray(half), RSV1)]),
        ],
        expect: failed(),
      };
    },
  ),
  c0(
    "12.0.11",
    "ping with RSV1 set",
    "fail with 1002, no pong (RFC 7692 6.1: control frames are never compressed)",
    () => ({ actions: [send([ping("Hello", RSV1)])], expect: failed() }),
  ),
  c0("12.0.12", "close with RSV1 set", "fail with 1002", () => ({
    actions: [send([close(1000, "", RSV1)])],
    expect: failed(),
  })),
  c0(
    "12.0.13",
    "compressed text message with RSV1 and RSV2 set",
    "fail with 1002 (permessage-deflate defines RSV1 only)",
    () => ({ actions: [send([text(z(HELLO), { rsv: 6 })])], expect: failed() }),
  ),
  c0(
    "12.0.14",
    "text message with RSV1 whose payload is not DEFLATE data (a reserved block type)",
    "fail with 1007",
    () => ({ actions: [send([text(Buffer.from([0xff, 0xff, 0xff, 0xff]), RSV1)])], expect: badData }),
  ),
  c0(
    "12.0.15",
    "compressed text message that inflates to invalid UTF-8 (ce ba e1 bd b9 ce bc f4 90 80 80)",
    "fail with 1007 (RFC 6455 8.1)",
    () => ({
      actions: [send([text(z(Buffer.from("cebae1bdb9cebcf4908080", "hex")), RSV1)])],
      expect: failed([], 1007),
    }),
  ),
];

section12_0.push(
  frameCase(
    "12.0.16",
    "compressed text message with RSV1 set on a connection that did not negotiate permessage-deflate",
    "fail with 1002 (RFC 6455 5.2: the message must not be inflated)",
    () => ({ actions: [send([text(z(HELLO), RSV1)])], expect: failed() }),
    { deflate: { offers: [] } },
  ),
);

export const compression: FrameCase[] = [...section12_0, ...section12, ...section13];
