// Fan-out: one publisher and N subscribers on one topic (path /t), 64-byte binary messages;
// deliveries per second summed over subscribers. Every delivery is the same 66-byte frame
// (82 40 + payload), so subscribers count bytes instead of parsing; the first frame each
// subscriber receives is checked byte for byte.
// The publisher keeps IN_FLIGHT / N messages ahead of the last subscriber to connect.
import type { Socket } from "node:net";
import { maskedFrame, OP_BINARY } from "../frames.ts";
import { openWebSocket } from "../handshake.ts";
import { rssKiB } from "../proc.ts";
import { startCpuMeter } from "./cpu-meter.ts";
import { type Result, type Scenario, sleep, type Target, type Timing } from "./scenario.ts";

const SIZE = 64;
const FRAME = 2 + SIZE;
const BATCH = 8;
// Deliveries in flight, whatever N: enough to keep the server busy, about 17 MB of frames.
const IN_FLIGHT = 256_000;
const OPEN_CONCURRENCY = 128;

export interface FanoutTarget {
  /** Where the publisher connects. */
  publishPort: number;
  /** Where subscribers connect (the same server, or another process sharing the topic). */
  subscribePort: number;
  /** Server processes whose RSS is summed. */
  pids: number[];
}

async function openMany(port: number, count: number): Promise<Socket[]> {
  const held: Socket[] = [];
  let next = 0;
  const worker = async () => {
    while (next < count) {
      next++;
      const { socket, rest } = await openWebSocket(port, 20_000, { path: "/t" });
      if (rest.length > 0) throw new Error("fanout: bytes before the first publish");
      held.push(socket);
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
  const subs = await openMany(target.subscribePort, subscribers);
  const { socket: publisher } = await openWebSocket(target.publishPort, 20_000, { path: "/t" });
  const payload = new Uint8Array(SIZE).fill(0x5a);
  const batch = Buffer.concat(Array.from({ length: BATCH }, () => maskedFrame(OP_BINARY, payload)));
  const expected = Buffer.concat([Buffer.from([0x82, SIZE]), payload]);
  let bytes = 0;
  let failure: string | undefined;
  const witness = subs[subs.length - 1];
  let witnessBytes = 0;
  let sent = 0;
  let stopped = false;
  const window = Math.max(2 * BATCH, IN_FLIGHT / subscribers);
  const pump = () => {
    while (!stopped && sent - Math.floor(witnessBytes / FRAME) + BATCH <= window) {
      publisher.write(batch);
      sent += BATCH;
    }
  };
  for (const s of subs) {
    let head: Buffer | undefined = Buffer.alloc(0);
    s.on("data", (chunk: Buffer) => {
      bytes += chunk.length;
      if (head !== undefined) {
        head = Buffer.concat([head, chunk]);
        if (head.length >= FRAME) {
          if (!head.subarray(0, FRAME).equals(expected)) failure ??= "a delivery is not the published frame";
          head = undefined;
        }
      }
      if (s === witness) {
        witnessBytes += chunk.length;
        pump();
      }
    });
    s.on("close", () => stopped || (failure ??= "server closed a subscriber"));
    s.on("error", () => {});
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
  for (const s of [publisher, ...subs]) s.resetAndDestroy();
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
