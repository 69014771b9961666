// Section 7: the closing handshake (RFC 6455 5.5.1, 7.1, 7.4). After a close, nothing more is processed;
// a close is answered with a close; codes outside 7.4.1/7.4.2 fail the connection.
import type { FrameCase } from "../types.ts";
import { hex } from "../wire.ts";
import { close, cont, failed, filler, frameCase, gotText, ping, send, text } from "./dsl.ts";

/** The tester closes with `frame`; the peer's reply code must be one of `codes`. */
const closes = (codes: (number | null)[]) => ({ events: [], close: "normal" as const, codes });

const VALID = [
  1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 3999, 4000, 4999,
];
const INVALID = [0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999];

export const closing: FrameCase[] = [
  frameCase("7.1.1", "text message, then close 1000", "the echo, then a close 1000", () => ({
    actions: [send([text("Hello World!"), close(1000)])],
    expect: { ...closes([1000]), events: [gotText("Hello World!")] },
  })),
  frameCase("7.1.2", "two close frames in a row", "one close 1000; the second close is ignored", () => ({
    actions: [send([close(1000), close(1000)])],
    expect: closes([1000]),
  })),
  frameCase("7.1.3", "close, then a ping", "a close 1000 and no pong", () => ({
    actions: [send([close(1000), ping("after close")])],
    expect: closes([1000]),
  })),
  frameCase("7.1.4", "close, then a text message", "a close 1000 and no echo", () => ({
    actions: [send([close(1000), text("after close")])],
    expect: closes([1000]),
  })),
  frameCase("7.1.5", "text fragment, close, then the final continuation", "a close 1000 and no echo", () => ({
    actions: [send([text("fragment1", { fin: false }), close(1000), cont("fragment2")])],
    expect: closes([1000]),
  })),
  frameCase(
    "7.1.6",
    '256 KiB text, "Hello World!", then close, in one write',
    "a close 1000; echoing the messages first is up to the peer",
    () => ({
      actions: [send([text(filler(256 * 1024)), text("Hello World!"), close(1000)])],
      expect: closes([1000]),
    }),
    { informational: "whether the messages are echoed before the close is left open" },
  ),
  frameCase("7.3.1", "close with no payload", "a close with no payload or with 1000", () => ({
    actions: [send([close()])],
    expect: closes([null, 1000]),
  })),
  frameCase("7.3.2", "close with a 1-byte payload", "fail with 1002", () => ({
    actions: [send([{ op: 8, payload: Buffer.from([0x03]) }])],
    expect: failed(),
  })),
  frameCase("7.3.3", "close 1000 without a reason", "a close 1000", () => ({
    actions: [send([close(1000)])],
    expect: closes([1000]),
  })),
  frameCase("7.3.4", "close 1000 with a short reason", "a close 1000", () => ({
    actions: [send([close(1000, "Hello World!")])],
    expect: closes([1000]),
  })),
  frameCase("7.3.5", "close 1000 with a 123-byte reason (payload 125)", "a close 1000", () => ({
    actions: [send([close(1000, "*".repeat(123))])],
    expect: closes([1000]),
  })),
  frameCase("7.3.6", "close 1000 with a 124-byte reason (payload 126: too long)", "fail with 1002", () => ({
    actions: [send([close(1000, "*".repeat(124))])],
    expect: failed(),
  })),
  frameCase("7.5.1", "close 1000 whose reason is invalid UTF-8", "fail with 1007", () => ({
    actions: [
      send([
        close(1000, Buffer.concat([hex("cebae1bdb9cf83cebcceb5"), hex("eda080"), Buffer.from("edited")])),
      ]),
    ],
    expect: {
      ...failed([], 1007),
      nonStrictCodes: { codes: [1002], reason: "reported the invalid reason as 1002, not 1007" },
    },
  })),
  ...VALID.map((code, i) =>
    frameCase(`7.7.${i + 1}`, `close with valid code ${code}`, `a close echoing ${code}, or 1000`, () => ({
      actions: [send([close(code)])],
      expect: closes([code, 1000]),
    })),
  ),
  ...INVALID.map((code, i) =>
    frameCase(`7.9.${i + 1}`, `close with code ${code}, which may not be sent`, "fail with 1002", () => ({
      actions: [send([close(code)])],
      expect: failed(),
    })),
  ),
  ...[5000, 65535].map((code, i) =>
    frameCase(
      `7.13.${i + 1}`,
      `close with code ${code}, outside every range 7.4.2 defines`,
      "recorded",
      () => ({
        actions: [send([close(code)])],
        expect: failed(),
      }),
      { informational: "7.4.2 does not say what codes above 4999 mean" },
    ),
  ),
];
