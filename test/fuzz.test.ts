// The differential fuzzer (test/fuzz/): a million random streams, each fed in random chunks to
// Session on the SIMD and the scalar build (half of them given, as the Node and Bun adapters give
// their reads), must give exactly the events, errors and queued frames the reference decoder
// (test/fuzz/reference.ts) says, and the same on both builds.
// FUZZ_SEED=S fixes the seed; FUZZ_STREAMS=N changes the count; FUZZ_FAIL_FAST=1 expects header
// rules to fail on the byte that breaks them. A divergence prints its replay command.
import { expect, it } from "vitest";
import { formatFound, fuzz, summary } from "./fuzz/run.ts";

const streams = Number(process.env.FUZZ_STREAMS ?? 1_000_000);
const seed = process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED);

it(`${streams.toLocaleString("en")} random streams: both builds do what the reference decoder says`, async () => {
  const report = await fuzz({ seed, streams });
  console.log(summary(report));
  const problems = [...report.found.map((f) => formatFound(f, report.timing)), ...report.crashes];
  expect(problems.join("\n\n"), summary(report)).toBe("");
  expect(report.counts).toEqual({});
  expect(report.hangs).toEqual([]);
  expect(report.leaked).toBe(0);
  expect(report.streams).toBe(streams);
}, 180_000);
