// Section 5: fragmentation (RFC 6455 5.4): control frames are never fragmented, may sit between
// fragments, and a continuation must continue something.
import type { Action, FrameCase } from "../types.ts";
import type { FrameSpec } from "../wire.ts";
import { cont, echoed, failed, frameCase, gotPong, gotText, ping, pong, send, sleep, text } from "./dsl.ts";

type Chop = [number | "frames" | undefined, number];
const WHOLE: Chop = [undefined, 0];
const FRAMEWISE: Chop = ["frames", 1];
const OCTETWISE: Chop = [1, 1];
const how = (c: Chop) =>
  c === WHOLE ? "" : c === FRAMEWISE ? ", one write per frame" : ", one byte at a time";
const sendAs = (frames: FrameSpec[], c: Chop): Action[] => [send(frames, c[0], c[1])];

const stray = (fin: boolean): FrameSpec[] => [
  cont("non-continuation payload", { fin }),
  text("Hello, world!"),
];

export const fragmentation: FrameCase[] = [
  frameCase("5.1", "ping in two fragments", "fail with 1002", () => ({
    actions: [send([ping("fragment1", { fin: false }), cont("fragment2")])],
    expect: failed(),
  })),
  frameCase("5.2", "pong in two fragments", "fail with 1002", () => ({
    actions: [send([pong("fragment1", { fin: false }), cont("fragment2")])],
    expect: failed(),
  })),
  ...[WHOLE, FRAMEWISE, OCTETWISE].map((c, i) =>
    frameCase(`5.${3 + i}`, `text message in two fragments${how(c)}`, "one echoed message", () => ({
      actions: sendAs([text("fragment1", { fin: false }), cont("fragment2")], c),
      expect: echoed(gotText("fragment1fragment2")),
    })),
  ),
  ...[WHOLE, FRAMEWISE, OCTETWISE].map((c, i) =>
    frameCase(
      `5.${6 + i}`,
      `text in two fragments with a ping between${how(c)}`,
      "the pong, then the echo",
      () => ({
        actions: sendAs([text("fragment1", { fin: false }), ping("between"), cont("fragment2")], c),
        expect: echoed(gotPong("between"), gotText("fragment1fragment2")),
      }),
    ),
  ),
  ...[WHOLE, FRAMEWISE, OCTETWISE].map((c, i) =>
    frameCase(
      `5.${9 + i}`,
      `final continuation with nothing to continue, then text${how(c)}`,
      "fail with 1002",
      () => ({
        actions: sendAs(stray(true), c),
        expect: failed(),
      }),
    ),
  ),
  ...[WHOLE, FRAMEWISE, OCTETWISE].map((c, i) =>
    frameCase(
      `5.${12 + i}`,
      `non-final continuation with nothing to continue, then text${how(c)}`,
      "fail with 1002",
      () => ({
        actions: sendAs(stray(false), c),
        expect: failed(),
      }),
    ),
  ),
  frameCase(
    "5.15",
    "two-fragment text message, then a continuation starting nothing, then a text fragment",
    "echo of the first message, then fail with 1002",
    () => ({
      actions: [
        send([
          text("fragment1", { fin: false }),
          cont("fragment2"),
          cont("fragment3", { fin: false }),
          text("fragment4"),
        ]),
      ],
      expect: {
        ...failed([gotText("fragment1fragment2")]),
        nonStrict: [
          { events: [], reason: "failed before echoing the valid message written with the invalid one" },
        ],
      },
    }),
  ),
  frameCase("5.16", "twice: continuation, text fragment, final continuation", "fail with 1002", () => ({
    actions: [
      send(
        [1, 2].flatMap(() => [
          cont("fragment1", { fin: false }),
          text("fragment2", { fin: false }),
          cont("end"),
        ]),
      ),
    ],
    expect: failed(),
  })),
  frameCase("5.17", "twice: final continuation, text fragment, final continuation", "fail with 1002", () => ({
    actions: [
      send([1, 2].flatMap(() => [cont("fragment1"), text("fragment2", { fin: false }), cont("end")])),
    ],
    expect: failed(),
  })),
  frameCase(
    "5.18",
    "a text fragment followed by a new final text frame instead of a continuation",
    "fail with 1002",
    () => ({
      actions: [send([text("fragment1", { fin: false }), text("fragment2")])],
      expect: failed(),
    }),
  ),
  ...[WHOLE, FRAMEWISE].map((c, i) =>
    frameCase(
      `5.${19 + i}`,
      `text in five fragments, pings after the 2nd and 4th, pauses between${how(c)}`,
      "both pongs as the pings arrive, then the whole message",
      () => {
        const part = (n: number) => cont(`fragment${n}`, { fin: n === 5 });
        return {
          actions: [
            ...sendAs([text("fragment1", { fin: false }), part(2), ping("pong1")], c),
            sleep(100),
            ...sendAs([part(3), part(4), ping("pong2")], c),
            sleep(100),
            ...sendAs([part(5)], c),
          ],
          expect: echoed(
            gotPong("pong1"),
            gotPong("pong2"),
            gotText("fragment1fragment2fragment3fragment4fragment5"),
          ),
        };
      },
    ),
  ),
];
