// The differential fuzzer's driver: worker threads check random streams on both builds against the
// reference decoder; divergences are printed so that they can be replayed.
//
//   npm run fuzz -- --streams 1000000 [--seed S]   a fixed number of streams (random seed by default)
//   npm run fuzz -- --minutes N                    random seeds until the time is up
//   npm run fuzz -- --seed S --stream N            replay one stream and show what happened
//
// FUZZ_FAIL_FAST=1 expects header rules to fail on the byte that breaks them; 0 on the whole header.
import { availableParallelism } from "node:os";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import { type Divergence, decodeOutput, describe, expectation, run } from "./check.ts";
import type { Timing } from "./reference.ts";
import { generate, hex, type Stream } from "./streams.ts";
import type { Found, Job, WorkerMessage } from "./worker.ts";

export interface FuzzOptions {
  /** Fixed seed for `streams`; random when absent. */
  seed?: number;
  streams?: number;
  /** Random seeds until the time is up, instead of `streams`. */
  minutes?: number;
  workers?: number;
  timing?: Timing;
  /** Divergences printed in full per worker. */
  detailLimit?: number;
  log?: (line: string) => void;
  /** Milliseconds between progress lines; 0 = none. */
  progressEvery?: number;
}

export interface FuzzReport {
  seed: number | undefined;
  timing: Timing;
  streams: number;
  bytes: number;
  seconds: number;
  /** Divergences by kind, and how many of them are fail-fast timing alone. */
  counts: Record<string, number>;
  failFastOnly: number;
  found: Found[];
  hangs: { seed: number; index: number }[];
  leaked: number;
  /** Errors thrown by the fuzzer itself. */
  crashes: string[];
}

// A stream takes milliseconds; a worker this long without finishing one is stuck.
const HANG_MS = 20_000;

// The core fails a header on the byte that breaks it (assembly/frame.ts).
const DEFAULT_TIMING: Timing = "byte";

/** The timing the environment asks for: FUZZ_FAIL_FAST=1 (byte), 0 (header), else the default. */
export function timingFromEnv(): Timing {
  const v = process.env.FUZZ_FAIL_FAST;
  if (v === "1") return "byte";
  if (v === "0") return "header";
  return DEFAULT_TIMING;
}

export async function fuzz(options: FuzzOptions): Promise<FuzzReport> {
  const workers = options.workers ?? availableParallelism();
  const timing = options.timing ?? timingFromEnv();
  const seed = options.minutes === undefined ? (options.seed ?? randomSeed()) : undefined;
  const streams = options.streams ?? 0;
  const deadline = Date.now() + (options.minutes ?? 0) * 60_000;
  const log = options.log ?? (() => {});
  const progress = new SharedArrayBuffer(workers * 3 * 4);
  const slots = new Int32Array(progress);
  const report: FuzzReport = {
    seed,
    timing,
    streams: 0,
    bytes: 0,
    seconds: 0,
    counts: {},
    failFastOnly: 0,
    found: [],
    hangs: [],
    leaked: 0,
    crashes: [],
  };
  const started = performance.now();
  // Workers do not inherit tsx's loader on Node 20: each one loads the worker through tsx's API.
  const worker = JSON.stringify(new URL("./worker.ts", import.meta.url).href);
  const parent = JSON.stringify(import.meta.url);
  const boot = `import("tsx/esm/api").then(({ tsImport }) => tsImport(${worker}, ${parent}))`;
  const running = Array.from({ length: workers }, (_, slot) => {
    const job: Job = {
      seed,
      offset: slot,
      step: workers,
      streams,
      deadline,
      timing,
      detailLimit: options.detailLimit ?? 3,
      progress,
      slot,
    };
    const worker = new Worker(boot, { eval: true, workerData: job });
    let last = 0;
    let lastChange = Date.now();
    const watch = setInterval(() => {
      const done = Atomics.load(slots, slot * 3);
      if (done !== last) {
        last = done;
        lastChange = Date.now();
      } else if (Date.now() - lastChange > HANG_MS) {
        const hang = {
          seed: Atomics.load(slots, slot * 3 + 1) >>> 0,
          index: Atomics.load(slots, slot * 3 + 2),
        };
        report.hangs.push(hang);
        log(
          [
            `HANG: no stream finished in ${HANG_MS / 1000} s: ${replayCommand(timing, hang.seed, hang.index)}`,
            ...describeStream(generate(hang.seed, hang.index), "stream"),
          ].join("\n"),
        );
        report.streams += done;
        worker.terminate();
      }
    }, 1000);
    return new Promise<void>((resolve) => {
      worker.on("message", (m: WorkerMessage) => {
        if (m.type === "found") {
          report.found.push(m.found);
          log(formatFound(m.found, timing));
        } else {
          report.streams += m.streams;
          report.bytes += m.bytes;
          report.failFastOnly += m.failFastOnly;
          report.leaked += m.leaked;
          for (const [k, n] of Object.entries(m.counts)) report.counts[k] = (report.counts[k] ?? 0) + n;
        }
      });
      worker.on("error", (err) => report.crashes.push(err.stack ?? String(err)));
      worker.on("exit", () => {
        clearInterval(watch);
        resolve();
      });
    });
  });
  const every = options.progressEvery ?? 0;
  const ticker =
    every > 0
      ? setInterval(() => {
          let done = 0;
          for (let w = 0; w < workers; w++) done += Atomics.load(slots, w * 3);
          const s = (performance.now() - started) / 1000;
          log(`${done.toLocaleString("en")} streams in ${s.toFixed(0)} s (${rate(done, s)}/s)`);
        }, every)
      : undefined;
  await Promise.all(running);
  clearInterval(ticker);
  report.seconds = (performance.now() - started) / 1000;
  log(summary(report));
  return report;
}

function rate(streams: number, seconds: number): string {
  return Math.round(streams / seconds).toLocaleString("en");
}

function randomSeed(): number {
  return crypto.getRandomValues(new Uint32Array(1))[0];
}

export function summary(r: FuzzReport): string {
  const kinds = Object.entries(r.counts).map(([k, n]) => `${k}: ${n}`);
  const divergences = Object.values(r.counts).reduce((a, b) => a + b, 0);
  return [
    `${r.streams.toLocaleString("en")} streams (${(r.bytes / 1e6).toFixed(0)} MB) in ${r.seconds.toFixed(1)} s, ` +
      `${rate(r.streams, r.seconds)}/s, seed ${r.seed ?? "random per batch"}, ` +
      `timing ${r.timing} (${envOf(r.timing)})`,
    `divergences: ${divergences}${kinds.length ? ` (${kinds.join(", ")})` : ""}` +
      (r.timing === "byte" && divergences > 0 ? `, ${r.failFastOnly} of them fail-fast timing only` : ""),
    ...(r.hangs.length ? [`hangs: ${r.hangs.length}`] : []),
    ...(r.leaked ? [`session slots leaked: ${r.leaked}`] : []),
    ...r.crashes.map((c) => `fuzzer crashed: ${c}`),
  ].join("\n");
}

function envOf(timing: Timing): string {
  return `FUZZ_FAIL_FAST=${timing === "byte" ? 1 : 0}`;
}

function replayCommand(timing: Timing, seed: number, index: number): string {
  return `${envOf(timing)} npm run fuzz -- --seed ${seed} --stream ${index}`;
}

export function formatFound(f: Found, timing: Timing): string {
  return [
    `DIVERGENCE (${f.divergence.kind}, ${f.divergence.build}) seed ${f.seed} stream ${f.index}` +
      (f.failFastOnly ? " [fail-fast timing only]" : ""),
    `  replay: ${replayCommand(timing, f.seed, f.index)}`,
    `  ${f.divergence.detail}`,
    ...describeStream(f.stream, "stream"),
    `  shrunk (${f.shrunkDivergence.kind}): ${f.shrunkDivergence.detail.split("\n")[0]}`,
    ...describeStream(f.shrunk, "shrunk"),
  ].join("\n");
}

function describeStream(s: Stream, label: string): string[] {
  const limits = `maxFrameSize ${s.maxFrameSize}, maxMessageSize ${s.maxMessageSize}, textAs ${s.textAs}`;
  const recipe = label === "shrunk" ? "" : `; ${s.recipe.join("; ") || "valid"}`;
  // Long streams are for --seed and --stream to replay; their start is enough to read.
  const shown = s.bytes.length > 1024 ? `${hex(s.bytes.subarray(0, 1024))}...` : hex(s.bytes);
  return [
    `  ${label}: ${s.role} session${s.given ? " given its chunks" : ""}, ${limits}${recipe}`,
    `  ${label} chunks: ${runLengths(s.chunks)}`,
    `  ${label} bytes (${s.bytes.length}): ${shown}`,
    ...(s.partner ? describeStream(s.partner, `${label} partner`) : []),
  ];
}

/** "1,1,1,5" as "1*3,5". */
function runLengths(sizes: number[]): string {
  const out: string[] = [];
  for (let i = 0; i < sizes.length; ) {
    let j = i;
    while (j < sizes.length && sizes[j] === sizes[i]) j++;
    out.push(j - i > 1 ? `${sizes[i]}*${j - i}` : `${sizes[i]}`);
    i = j;
  }
  return out.join(",");
}

/** Replays one stream in this thread and prints what the reference and each build did. */
async function replay(seed: number, index: number, timing: Timing): Promise<boolean> {
  // Loaded here only: importing worker.ts instantiates both cores.
  const { check, cores } = await import("./worker.ts");
  const stream = generate(seed, index);
  const streams = stream.partner ? [stream, stream.partner] : [stream];
  const name = (i: number) => (i ? " (partner)" : "");
  console.log(`seed ${seed} stream ${index}, timing ${timing}`);
  console.log(describeStream(stream, "stream").join("\n"));
  streams.forEach((s, i) => {
    const expected = expectation(s, timing);
    console.log(`expected${name(i)}:`);
    for (const e of expected.events) console.log(`  call ${e.call}: ${describe(e.event)}`);
    console.log(`  then queued: ${expected.replies.map(describe).join(", ") || "nothing"}`);
  });
  for (const { name: build, core } of cores) {
    try {
      run(core, stream).forEach((actual, i) => {
        console.log(`${build}${name(i)}:`);
        for (const e of actual.events) console.log(`  call ${e.call}: ${describe(e.event)}`);
        const queued = decodeOutput(streams[i], actual.output).events.map((e) => describe(e.event));
        console.log(
          `  then queued: ${queued.join(", ") || "nothing"} (${hex(actual.output.subarray(0, 64))})`,
        );
      });
    } catch (err) {
      console.log(`${build} threw ${err instanceof Error ? err.stack : err}`);
    }
  }
  const d: Divergence | undefined = check(stream, timing);
  console.log(d ? `DIVERGENCE (${d.kind}, ${d.build}): ${d.detail}` : "both builds agree with the reference");
  return d === undefined;
}

function parseArgs(argv: string[]): Record<string, number> {
  const args: Record<string, number> = {};
  for (let i = 0; i < argv.length; i += 2) {
    const name = argv[i].replace(/^--/, "");
    const value = Number(argv[i + 1]);
    if (!["seed", "stream", "streams", "minutes", "workers"].includes(name) || !Number.isFinite(value))
      throw new Error(
        `usage: run.ts [--seed S] [--stream N | --streams N | --minutes M] [--workers W] (at ${argv[i]})`,
      );
    args[name] = value;
  }
  return args;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const timing = timingFromEnv();
  if (args.stream !== undefined) {
    if (args.seed === undefined) throw new Error("--stream needs --seed");
    process.exitCode = (await replay(args.seed >>> 0, args.stream, timing)) ? 0 : 1;
    return;
  }
  const report = await fuzz({
    seed: args.seed,
    streams: args.minutes === undefined ? (args.streams ?? 1_000_000) : undefined,
    minutes: args.minutes,
    workers: args.workers,
    timing,
    log: console.log,
    progressEvery: 10_000,
  });
  const clean =
    Object.keys(report.counts).length === 0 &&
    !report.hangs.length &&
    !report.leaked &&
    !report.crashes.length;
  process.exitCode = clean ? 0 : 1;
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) await main();
