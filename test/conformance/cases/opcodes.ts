// Section 4: reserved opcodes, data (3-7) and control (0xB-0xF). RFC 6455 5.2: the peer must fail.
import type { FrameCase } from "../types.ts";
import { failed, frameCase, gotText, ping, raw, send, text } from "./dsl.ts";

function reserved(section: string, ops: number[]): FrameCase[] {
  const [a, b, c, d, e] = ops;
  const after = (op: number) => ({
    ...failed([gotText("Hello")]),
    nonStrict: [
      { events: [], reason: `failed on opcode ${op} before echoing the valid message written with it` },
    ],
  });
  const seq = (op: number, payload: string) => [send([text("Hello"), raw(op, payload), ping()])];
  return [
    frameCase(`${section}.1`, `frame with reserved opcode ${a}, empty`, "fail with 1002", () => ({
      actions: [send([raw(a)])],
      expect: failed(),
    })),
    frameCase(`${section}.2`, `frame with reserved opcode ${b} and a payload`, "fail with 1002", () => ({
      actions: [send([raw(b, "reserved")])],
      expect: failed(),
    })),
    frameCase(
      `${section}.3`,
      `text, reserved opcode ${c}, ping`,
      "echo of the text, then fail with 1002",
      () => ({
        actions: seq(c, ""),
        expect: after(c),
      }),
    ),
    frameCase(
      `${section}.4`,
      `text, reserved opcode ${d} with a payload, ping`,
      "echo of the text, then fail with 1002",
      () => ({ actions: seq(d, "reserved"), expect: after(d) }),
    ),
    frameCase(
      `${section}.5`,
      `text, reserved opcode ${e} with a payload, ping`,
      "echo of the text, then fail with 1002",
      () => ({ actions: seq(e, "reserved"), expect: after(e) }),
    ),
  ];
}

export const opcodes: FrameCase[] = [
  ...reserved("4.1", [3, 4, 5, 6, 7]),
  ...reserved("4.2", [11, 12, 13, 14, 15]),
];
