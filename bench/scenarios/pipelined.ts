// Echo throughput: each connection keeps a window of messages in flight, written in pre-built batches.
import { EchoCounter, frameBatch, maskedFrame } from "../frames.ts";
import { openWebSocket } from "../handshake.ts";
import { startCpuMeter } from "./cpu-meter.ts";
import { type Result, type Scenario, sleep, type Target, type Timing } from "./scenario.ts";

export interface PipelineOptions {
  name: string;
  describe: string;
  connections: number;
  opcode: number;
  size: number;
  payload: (size: number) => Uint8Array;
  /** Messages in flight per connection. */
  window: number;
  /** Messages per write; the window refills a batch at a time. */
  batch: number;
  unit: "msg/s" | "MB/s";
}

interface Totals {
  messages: number;
  bytes: number;
}

export function pipelined(o: PipelineOptions): Scenario {
  let batch: Buffer | undefined;
  return {
    name: o.name,
    unit: o.unit,
    higherIsBetter: true,
    describe: o.describe,
    async run(target: Target, timing: Timing): Promise<Result> {
      batch ??= frameBatch(maskedFrame(o.opcode, o.payload(o.size)), o.batch);
      const opened = await Promise.all(
        Array.from({ length: o.connections }, () => openWebSocket(target.port)),
      );
      const counters: EchoCounter[] = [];
      let stopped = false;
      let failure: string | undefined;
      const fail = (why: string) => {
        failure ??= why;
        stopped = true;
      };
      for (const { socket, rest } of opened) {
        const counter = new EchoCounter(o.opcode, o.size);
        counters.push(counter);
        let outstanding = 0;
        let seen = 0;
        const pump = () => {
          while (!stopped && outstanding + o.batch <= o.window) {
            socket.write(batch!);
            outstanding += o.batch;
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
      const totals = (): Totals => {
        let messages = 0;
        let bytes = 0;
        for (const c of counters) {
          messages += c.messages;
          bytes += c.payloadBytes;
        }
        return { messages, bytes };
      };

      await sleep(timing.warmupS * 1000);
      const before = totals();
      const t0 = performance.now();
      const meter = startCpuMeter(target.pid);
      await sleep(timing.durationS * 1000);
      const after = totals();
      const seconds = (performance.now() - t0) / 1000;
      const cpu = meter.stop();
      stopped = true;
      // RST: no client-side TIME_WAIT left to later runs.
      for (const { socket } of opened) socket.resetAndDestroy();

      if (failure !== undefined) throw new Error(`${o.name}: ${failure}`);
      if (after.messages === before.messages) throw new Error(`${o.name}: no echo completed while measuring`);
      const value =
        o.unit === "msg/s"
          ? (after.messages - before.messages) / seconds
          : (after.bytes - before.bytes) / seconds / 1e6;
      return { value, ...cpu };
    },
  };
}
