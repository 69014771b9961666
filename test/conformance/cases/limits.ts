// Section 9: limits and performance. Big messages, many fragments, many small writes, many round trips.
// Durations land in the report; the verdict is about correctness only.
import type { Expect, FrameCase, Observed } from "../types.ts";
import { Op } from "../wire.ts";
import { binary, echoed, filler, fragments, frameCase, gotBinary, gotText, send, text } from "./dsl.ts";

const KiB = 1024;
const MiB = 1024 * KiB;
const size = (n: number) => (n >= MiB ? `${n / MiB} MiB` : `${n / KiB} KiB`);
const kinds = [
  { name: "text", op: Op.text, frame: text, got: gotText },
  { name: "binary", op: Op.binary, frame: binary, got: gotBinary },
] as const;
/** The echo; or, NON-STRICT, a refusal by a declared limit (RFC 6455 10.4 lets endpoints impose them). */
const echoedWithinLimits = (...events: Observed[]): Expect => ({
  ...echoed(...events),
  nonStrict: [
    { events: [], codes: [1008, 1009], reason: "refused by the peer's own size or fragment limit" },
  ],
});
/** Generous for 16 MiB each way on a slow machine. */
const BIG_TIMEOUT = 30_000;

const whole = kinds.flatMap((k, s) =>
  [64 * KiB, 256 * KiB, MiB, 4 * MiB, 8 * MiB, 16 * MiB].map((n, i) =>
    frameCase(
      `9.${1 + s}.${i + 1}`,
      `${k.name} message of ${size(n)} in one frame`,
      "echoed unchanged",
      () => ({
        actions: [send([k.frame(filler(n))])],
        expect: echoedWithinLimits(k.got(filler(n))),
      }),
      { timeoutMs: BIG_TIMEOUT },
    ),
  ),
);

const fragmented = kinds.flatMap((k, s) =>
  [64, 256, KiB, 4 * KiB, 16 * KiB, 64 * KiB, 256 * KiB, MiB, 4 * MiB].map((f, i) =>
    frameCase(
      `9.${3 + s}.${i + 1}`,
      `4 MiB ${k.name} message in fragments of ${f < KiB ? `${f} B` : size(f)}`,
      "echoed whole",
      () => ({
        actions: [send(fragments(k.op, filler(4 * MiB), f))],
        expect: echoedWithinLimits(k.got(filler(4 * MiB))),
      }),
      { timeoutMs: BIG_TIMEOUT },
    ),
  ),
);

const chopped = kinds.flatMap((k, s) =>
  [64, 128, 256, 512, 1024, 2048].map((c, i) =>
    frameCase(
      `9.${5 + s}.${i + 1}`,
      `1 MiB ${k.name} message written ${c} bytes at a time`,
      "echoed unchanged",
      () => ({
        actions: [send([k.frame(filler(MiB))], c)],
        expect: echoedWithinLimits(k.got(filler(MiB))),
      }),
      { timeoutMs: BIG_TIMEOUT },
    ),
  ),
);

const roundTrips = kinds.flatMap((k, s) =>
  [0, 16, 64, 256, KiB, 4 * KiB].map((n, i) =>
    frameCase(
      `9.${7 + s}.${i + 1}`,
      `1000 ${k.name} messages of ${n} bytes, each after the previous echo`,
      "1000 echoes",
      () => ({
        actions: [{ do: "exchange", frame: k.frame(filler(n)), times: 1000 }],
        expect: echoed(...Array.from({ length: 1000 }, () => k.got(filler(n)))),
      }),
      { timeoutMs: BIG_TIMEOUT },
    ),
  ),
);

export const limits: FrameCase[] = [...whole, ...fragmented, ...chopped, ...roundTrips];
