// One fuzzing thread: generates its share of the streams, checks each on both builds, reports
// divergences (shrunk) and counts to run.ts. Progress goes through shared memory, so the parent can
// name the stream even if a core call never returns.
import { parentPort, workerData } from "node:worker_threads";
import { createCore } from "../../host-core/inline.ts";
import { checkStream, type Divergence } from "./check.ts";
import { Decoder, type Timing } from "./reference.ts";
import { generate, type Stream } from "./streams.ts";

export interface Job {
  /** With a seed: streams offset, offset + step, ... below `streams`; else random seeds until `deadline`. */
  seed?: number;
  offset: number;
  step: number;
  streams: number;
  deadline: number;
  timing: Timing;
  /** Divergences reported in full (the rest are only counted). */
  detailLimit: number;
  /** Int32 slots per worker: streams done, current seed, current index. */
  progress: SharedArrayBuffer;
  slot: number;
}

export interface Found {
  seed: number;
  index: number;
  divergence: Divergence;
  /** Under fail-fast timing: the stream passes when header rules are decided on the whole header. */
  failFastOnly: boolean;
  stream: Stream;
  shrunk: Stream;
  shrunkDivergence: Divergence;
}

export type WorkerMessage =
  | { type: "found"; found: Found }
  | {
      type: "done";
      streams: number;
      bytes: number;
      counts: Record<string, number>;
      failFastOnly: number;
      leaked: number;
    };

// Under a deadline, each seed gives this many streams before the next random seed.
const STREAMS_PER_SEED = 100_000;

export const cores = [
  { name: "simd", core: createCore("simd") },
  { name: "scalar", core: createCore("scalar") },
];

/** One stream on both builds against the reference decoder. */
export function check(stream: Stream, timing: Timing): Divergence | undefined {
  return checkStream(stream, cores, timing);
}

// Shrinking stops after this long, well before run.ts would take the worker for hung.
const SHRINK_MS = 3000;

/**
 * A smaller stream with the same divergence (by signature()): drops the partner, runs of whole
 * frames, then runs of bytes (halving the run each pass), then merges chunks, while that holds and
 * time is left.
 */
export function shrink(stream: Stream, divergence: Divergence, timing: Timing): Stream {
  const deadline = Date.now() + SHRINK_MS;
  const want = signature(divergence);
  const holds = (s: Stream): boolean => {
    if (Date.now() >= deadline) return false;
    const d = check(s, timing);
    return d !== undefined && signature(d) === want;
  };
  const frames = (s: Stream): number[] => [
    ...new Decoder({ ...s, timing }).pushAll(s.bytes).frameStarts,
    s.bytes.length,
  ];
  const bytes = (s: Stream): number[] => Array.from({ length: s.bytes.length + 1 }, (_, i) => i);
  const alone = { ...stream, partner: undefined };
  let best = stream.partner && holds(alone) ? alone : stream;
  best = dropRuns(dropRuns(best, frames, holds), bytes, holds);
  for (let i = 0; i + 1 < best.chunks.length && Date.now() < deadline; ) {
    const chunks = [...best.chunks];
    chunks.splice(i, 2, chunks[i] + chunks[i + 1]);
    const candidate = { ...best, chunks };
    if (holds(candidate)) best = candidate;
    else i++;
  }
  return best;
}

/** What makes two divergences the same for shrinking: the comparison and the error codes named. */
function signature(d: Divergence): string {
  return [d.kind, ...(d.detail.split("\n")[0].match(/WS_ERR_\w+/g) ?? [])].join(" ");
}

/** Removes runs of consecutive units (`units` gives their boundaries) while `holds` stays true. */
function dropRuns(s: Stream, units: (s: Stream) => number[], holds: (s: Stream) => boolean): Stream {
  let cuts = units(s);
  for (let k = Math.max(1, (cuts.length - 1) >> 1); ; k >>= 1) {
    for (let i = 0; i + k < cuts.length; ) {
      const candidate = without(s, cuts[i], cuts[i + k] - cuts[i]);
      if (holds(candidate)) {
        s = candidate;
        cuts = units(s);
      } else i += k;
    }
    if (k === 1) return s;
  }
}

/** The stream without bytes [at, at + size), its chunk boundaries kept where they still fall. */
function without(s: Stream, at: number, size: number): Stream {
  const bytes = new Uint8Array(s.bytes.length - size);
  bytes.set(s.bytes.subarray(0, at));
  bytes.set(s.bytes.subarray(at + size), at);
  const chunks: number[] = [];
  let start = 0;
  for (const n of s.chunks) {
    const end = start + n;
    const kept = Math.max(0, Math.min(end, at + size) - Math.max(start, at));
    if (n - kept > 0) chunks.push(n - kept);
    start = end;
  }
  return { ...s, bytes, chunks };
}

function main(job: Job): void {
  // Session raises an error object for every failing stream, and capturing their stack traces took a
  // tenth of the run. An exception is checked again with traces before it is reported.
  Error.stackTraceLimit = 0;
  const progress = new Int32Array(job.progress);
  const base = job.slot * 3;
  const counts: Record<string, number> = {};
  let done = 0;
  let bytes = 0;
  let reported = 0;
  let failFastOnly = 0;
  const before = cores.map((c) => c.core.exports.sessionCount());
  const one = (seed: number, index: number): void => {
    Atomics.store(progress, base + 1, seed | 0);
    Atomics.store(progress, base + 2, index);
    const stream = generate(seed, index);
    bytes += stream.bytes.length;
    let divergence = check(stream, job.timing);
    if (divergence?.kind === "exception") {
      Error.stackTraceLimit = 10;
      divergence = check(stream, job.timing) ?? divergence;
      Error.stackTraceLimit = 0;
    }
    if (divergence) {
      counts[divergence.kind] = (counts[divergence.kind] ?? 0) + 1;
      const onlyTiming = job.timing === "byte" && check(stream, "header") === undefined;
      if (onlyTiming) failFastOnly++;
      if (reported++ < job.detailLimit) {
        const shrunk = shrink(stream, divergence, job.timing);
        const shrunkDivergence = check(shrunk, job.timing) ?? divergence;
        const found: Found = {
          seed,
          index,
          divergence,
          failFastOnly: onlyTiming,
          stream,
          shrunk,
          shrunkDivergence,
        };
        parentPort!.postMessage({ type: "found", found } satisfies WorkerMessage);
      }
    }
    Atomics.store(progress, base, ++done);
  };
  if (job.seed !== undefined) {
    for (let i = job.offset; i < job.streams; i += job.step) one(job.seed, i);
  } else {
    while (Date.now() < job.deadline) {
      const seed = crypto.getRandomValues(new Uint32Array(1))[0];
      for (let i = 0; i < STREAMS_PER_SEED && Date.now() < job.deadline; i++) one(seed, i);
    }
  }
  const leaked = cores.reduce((n, c, i) => n + c.core.exports.sessionCount() - before[i], 0);
  parentPort!.postMessage({
    type: "done",
    streams: done,
    bytes,
    counts,
    failFastOnly,
    leaked,
  } satisfies WorkerMessage);
}

if (parentPort && workerData) main(workerData as Job);
