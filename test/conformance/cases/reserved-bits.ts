// Section 3: RSV bits set with no extension negotiated (RFC 6455 5.2: the peer must fail).
import type { FrameCase } from "../types.ts";
import { binary, close, failed, frameCase, gotText, ping, send, text } from "./dsl.ts";

const afterEcho = (rsv: number) => ({
  ...failed([gotText("Hello")]),
  nonStrict: [
    { events: [], reason: `failed on the RSV=${rsv} frame before echoing the valid message written with it` },
  ],
});

export const reservedBits: FrameCase[] = [
  frameCase("3.1", "text frame with RSV = 1", "fail with 1002", () => ({
    actions: [send([text("Hello", { rsv: 1 })])],
    expect: failed(),
  })),
  frameCase(
    "3.2",
    "text, then text with RSV = 2, then ping",
    "echo of the first, then fail with 1002",
    () => ({
      actions: [send([text("Hello"), text("Hello", { rsv: 2 }), ping()])],
      expect: afterEcho(2),
    }),
  ),
  frameCase(
    "3.3",
    "as 3.2 with RSV = 3, one write per frame",
    "echo of the first, then fail with 1002",
    () => ({
      actions: [send([text("Hello"), text("Hello", { rsv: 3 }), ping()], "frames", 1)],
      expect: afterEcho(3),
    }),
  ),
  frameCase(
    "3.4",
    "as 3.2 with RSV = 4, one byte at a time",
    "echo of the first, then fail with 1002",
    () => ({
      actions: [send([text("Hello"), text("Hello", { rsv: 4 }), ping()], 1, 1)],
      expect: afterEcho(4),
    }),
  ),
  frameCase("3.5", "binary frame with RSV = 5", "fail with 1002", () => ({
    actions: [send([binary(Buffer.from([0, 0xff, 0xfe]), { rsv: 5 })])],
    expect: failed(),
  })),
  frameCase("3.6", "ping with RSV = 6", "fail with 1002, no pong", () => ({
    actions: [send([ping("Hello", { rsv: 6 })])],
    expect: failed(),
  })),
  frameCase("3.7", "close with RSV = 7", "fail with 1002", () => ({
    actions: [send([close(1000, "", { rsv: 7 })])],
    expect: failed(),
  })),
];
