// Fan-out: one publisher and N subscribers on one topic (path /t), 64-byte binary messages;
// deliveries per second summed over subscribers. Every delivery is the same 66-byte frame
// (82 40 + payload), so subscribers count bytes instead of parsing; the first frame each
// subscriber receives is checked byte for byte.
// The publisher keeps at most LAG × N deliveries unreceived, summed over the N subscribers.
import type { Socket } from "node:net";
import { maskedFrame, OP_BINARY } from "../frames.ts";
import { openWebSocket } from "../handshake.ts";
import { rssKiB } from "../proc.ts";
import { startCpuMeter } from "./cpu-meter.ts";
import { type Result, type Scenario, sleep, type Target, type Timing } from "./scenario.ts";

const SIZE = 64;
const FRAME = 2 + SIZE;
const BATCH = 8;
// Messages a subscriber may be behind the publisher, on average: the same at every N, so a server
// can join as many messages per write at 10,000 subscribers as at 1,000 (a fixed total would let it
// join a tenth as many). 17 MB of frames in flight at 1,000 subscribers, 169 MB at 10,000.
const LAG = 256;
const OPEN_CONCURRENCY = 128;

export interface FanoutTarget {
  /** Where the publisher connects. */
  publishPort: number;
  /** Where subscribers connect (the same server, or another process sharing the topic). */
  subscribePort: number;
  /** Server processes whose RSS is summed. */
  pids: number[];
}

/** Counts what a subscriber receives; `first` holds the start of its first delivery. */
interface Counted {
  socket: Socket;
  bytes: number;
  first: Buffer;
}

// Subscribers read with Node's onread (one shared buffer, no stream events), so at 10,000 of them
// the generator's core is not what limits the server.
async function openMany(
  port: number,
  count: number,
  onBytes: (c: Counted, n: number) => void,
): Promise<Counted[]> {
  const held: Counted[] = [];
  let next = 0;
  const worker = async () => {
    while (next < count) {
      next++;
      const c: Counted = { socket: undefined as never, bytes: 0, first: Buffer.alloc(0) };
      const onread = (buffer: Buffer, n: number) => {
        if (c.first.length < FRAME)
          c.first = Buffer.concat([c.first, buffer.subarray(0, Math.min(n, FRAME))]);
        c.bytes += n;
        onBytes(c, n);
      };
      const { socket, rest } = await openWebSocket(port, 20_000, { path: "/t", onread });
      if (rest.length > 0) throw new Error("fanout: bytes before the first publish");
      c.socket = socket;
      held.push(c);
    }
  };
  await Promise.all(Array.from({ length: Math.min(OPEN_CONCURRENCY, count) }, worker));
  return held;
}

/** One measurement; `settle` waits for subscriptions to reach the publisher's process (Redis). */
export async function measureFanout(
  target: FanoutTarget,
  subscribers: number,
  timing: Timing,
  settleMs = 0,
): Promise<Result & { rssMiB: number }> {
  let bytes = 0;
  let sent = 0;
  let stopped = false;
  // Paced on every subscriber's deliveries together, so none can fall behind without bound.
  const window = LAG * subscribers;
  const pump = () => {
    while (!stopped && (sent + BATCH) * subscribers - Math.floor(bytes / FRAME) <= window) {
      publisher.write(batch);
      sent += BATCH;
    }
  };
  const subs = await openMany(target.subscribePort, subscribers, (_, n) => {
    bytes += n;
    pump();
  });
  const { socket: publisher } = await openWebSocket(target.publishPort, 20_000, { path: "/t" });
  const payload = new Uint8Array(SIZE).fill(0x5a);
  const batch = Buffer.concat(Array.from({ length: BATCH }, () => maskedFrame(OP_BINARY, payload)));
  const expected = Buffer.concat([Buffer.from([0x82, SIZE]), payload]);
  let failure: string | undefined;
  for (const { socket } of subs) {
    socket.on("close", () => stopped || (failure ??= "server closed a subscriber"));
    socket.on("error", () => {});
  }
  publisher.on("data", () => {
    failure ??= "the publisher received its own message";
  });
  await sleep(settleMs);
  pump();
  await sleep(timing.warmupS * 1000);
  const before = bytes;
  const t0 = performance.now();
  const meter = startCpuMeter(target.pids[0]);
  await sleep(timing.durationS * 1000);
  const after = bytes;
  const seconds = (performance.now() - t0) / 1000;
  const cpu = meter.stop();
  const rssMiB = target.pids.reduce((sum, pid) => sum + rssKiB(pid), 0) / 1024;
  stopped = true;
  await sleep(200);
  for (const s of [publisher, ...subs.map((c) => c.socket)]) s.resetAndDestroy();
  if (subs.some((c) => c.bytes > 0 && !c.first.subarray(0, FRAME).equals(expected)))
    failure ??= "a delivery is not the published frame";
  if (failure !== undefined) throw new Error(`fanout: ${failure}`);
  if (after === before) throw new Error("fanout: nothing delivered while measuring");
  return { value: (after - before) / FRAME / seconds, rssMiB, ...cpu };
}

export function fanout(subscribers: number): Scenario {
  return {
    name: `fanout-${subscribers >= 1000 ? `${subscribers / 1000}k` : subscribers}`,
    group: "fanout",
    kind: "pubsub",
    unit: "deliveries/s",
    higherIsBetter: true,
    describe: `1 publisher, ${subscribers} subscribers on one topic, 64 B binary; server RSS at the end`,
    run: (target: Target, timing: Timing) =>
      measureFanout(
        { publishPort: target.port, subscribePort: target.port, pids: [target.pid] },
        subscribers,
        timing,
      ),
  };
}
