// The echo scenarios' load: every connection keeps a window of messages in flight, refilled a
// pre-built batch at a time as a counter sees echoes come back; counted over a measured interval.
import type { Opened } from "../handshake.ts";
import { type CpuUse, startCpuMeter } from "./cpu-meter.ts";
import { sleep, type Target, type Timing } from "./scenario.ts";

/** Reads one connection's echoes; FrameReader subclasses and the ceiling's RawEchoCounter are ones. */
export interface EchoReader {
  /** Returns false once the stream is invalid; `error` says why. */
  feed(chunk: Buffer): boolean;
  readonly messages: number;
  readonly closed: boolean;
  readonly error: string | undefined;
}

export interface Flow {
  /** Messages in flight per connection. */
  window: number;
  /** Messages per write. */
  batch: number;
  /** The bytes of one write: `batch` messages. */
  bytes: Buffer;
}

export interface Measured<T> {
  before: T;
  after: T;
  seconds: number;
  cpu: CpuUse;
}

/**
 * Drives `opened` for the warm-up and the measured interval, then resets them (RST: no client-side
 * TIME_WAIT left to later runs). `totals` sums what the caller reports over all counters.
 */
export async function pumpEchoes<C extends EchoReader, T>(
  name: string,
  opened: Opened[],
  reader: () => C,
  flow: Flow,
  totals: (counters: readonly C[]) => T,
  target: Target,
  timing: Timing,
): Promise<Measured<T>> {
  const counters: C[] = [];
  let stopped = false;
  let failure: string | undefined;
  const fail = (why: string) => {
    failure ??= why;
    stopped = true;
  };
  for (const { socket, rest } of opened) {
    const counter = reader();
    counters.push(counter);
    let outstanding = 0;
    let seen = 0;
    const pump = () => {
      while (!stopped && outstanding + flow.batch <= flow.window) {
        socket.write(flow.bytes);
        outstanding += flow.batch;
      }
    };
    const onData = (chunk: Buffer) => {
      if (!counter.feed(chunk)) return fail(counter.error!);
      if (counter.closed) return fail("server sent close during the test");
      outstanding -= counter.messages - seen;
      seen = counter.messages;
      pump();
    };
    socket.on("data", onData);
    socket.on("error", (e) => fail(e.message));
    socket.on("close", () => stopped || fail("server closed the connection"));
    if (rest.length > 0) onData(rest);
    pump();
  }

  await sleep(timing.warmupS * 1000);
  const before = totals(counters);
  const t0 = performance.now();
  const meter = startCpuMeter(target.pid);
  await sleep(timing.durationS * 1000);
  const after = totals(counters);
  const seconds = (performance.now() - t0) / 1000;
  const cpu = meter.stop();
  stopped = true;
  for (const { socket } of opened) socket.resetAndDestroy();
  if (failure !== undefined) throw new Error(`${name}: ${failure}`);
  return { before, after, seconds, cpu };
}
