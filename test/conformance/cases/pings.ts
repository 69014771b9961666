// Section 2: pings and pongs (RFC 6455 5.5.2, 5.5.3).
import type { FrameCase } from "../types.ts";
import { echoed, failed, filler, frameCase, gotPong, ping, pong, send } from "./dsl.ts";

const BIN = Buffer.from([0x00, 0xff, 0xfe, 0xfd, 0xfc, 0xfb, 0x00, 0xff]);
const ten = Array.from({ length: 10 }, (_, i) => `ping #${i + 1}`);

export const pings: FrameCase[] = [
  frameCase("2.1", "ping, empty payload", "a pong with an empty payload", () => ({
    actions: [send([ping()])],
    expect: echoed(gotPong()),
  })),
  frameCase("2.2", "ping with a short text payload", "a pong with the same payload", () => ({
    actions: [send([ping("Hello, world!")])],
    expect: echoed(gotPong("Hello, world!")),
  })),
  frameCase("2.3", "ping with a short binary payload", "a pong with the same payload", () => ({
    actions: [send([ping(BIN)])],
    expect: echoed(gotPong(BIN)),
  })),
  frameCase(
    "2.4",
    "ping with a 125-byte payload (the control-frame maximum)",
    "a pong with the same payload",
    () => ({
      actions: [send([ping(filler(125))])],
      expect: echoed(gotPong(filler(125))),
    }),
  ),
  frameCase(
    "2.5",
    "ping with a 126-byte payload (5.5: control frames carry at most 125)",
    "fail with 1002",
    () => ({
      actions: [send([ping(filler(126))])],
      expect: failed(),
    }),
  ),
  frameCase(
    "2.6",
    "ping with a 125-byte payload, written one byte at a time",
    "a pong with the same payload",
    () => ({
      actions: [send([ping(filler(125))], 1, 1)],
      expect: echoed(gotPong(filler(125))),
    }),
  ),
  frameCase("2.7", "unsolicited pong, empty payload", "nothing; a normal close", () => ({
    actions: [send([pong()])],
    expect: echoed(),
  })),
  frameCase("2.8", "unsolicited pong with a payload", "nothing; a normal close", () => ({
    actions: [send([pong("unsolicited")])],
    expect: echoed(),
  })),
  frameCase("2.9", "unsolicited pong, then a ping", "a pong for the ping only", () => ({
    actions: [send([pong("unsolicited"), ping("solicited")])],
    expect: echoed(gotPong("solicited")),
  })),
  frameCase(
    "2.10",
    "ten pings in one write",
    "ten pongs in order (or, NON-STRICT, one for the last)",
    () => ({
      actions: [send(ten.map((p) => ping(p)))],
      expect: {
        ...echoed(...ten.map((p) => gotPong(p))),
        nonStrict: [
          { events: [gotPong(ten[9])], reason: "answered only the most recent ping (5.5.3 allows it)" },
        ],
      },
    }),
  ),
  frameCase(
    "2.11",
    "ten pings written one byte at a time",
    "ten pongs in order (or, NON-STRICT, one for the last)",
    () => ({
      actions: [
        send(
          ten.map((p) => ping(p)),
          1,
          1,
        ),
      ],
      expect: {
        ...echoed(...ten.map((p) => gotPong(p))),
        nonStrict: [
          { events: [gotPong(ten[9])], reason: "answered only the most recent ping (5.5.3 allows it)" },
        ],
      },
    }),
  ),
];
