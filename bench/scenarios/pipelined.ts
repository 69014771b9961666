// Echo throughput: each connection keeps a window of messages in flight, written in pre-built batches.
import { EchoCounter, frameBatch, maskedFrame } from "../frames.ts";
import { openWebSocket } from "../handshake.ts";
import { RawEchoCounter } from "./ceiling.ts";
import { type EchoReader, pumpEchoes } from "./echo-pump.ts";
import type { Result, Scenario, Target, Timing } from "./scenario.ts";

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

const sum = (counters: readonly (EchoReader & { payloadBytes: number })[]): Totals => {
  let messages = 0;
  let bytes = 0;
  for (const c of counters) {
    messages += c.messages;
    bytes += c.payloadBytes;
  }
  return { messages, bytes };
};

export function pipelined(o: PipelineOptions): Scenario {
  let frame: Buffer | undefined;
  let batch: Buffer | undefined;
  const measure = async (
    target: Target,
    timing: Timing,
    reader: () => EchoReader & { payloadBytes: number },
  ): Promise<Result> => {
    const opened = await Promise.all(Array.from({ length: o.connections }, () => openWebSocket(target.port)));
    const flow = { window: o.window, batch: o.batch, bytes: batch! };
    const { before, after, seconds, cpu } = await pumpEchoes(
      o.name,
      opened,
      reader,
      flow,
      sum,
      target,
      timing,
    );
    if (after.messages === before.messages) throw new Error(`${o.name}: no echo completed while measuring`);
    const value =
      o.unit === "msg/s"
        ? (after.messages - before.messages) / seconds
        : (after.bytes - before.bytes) / seconds / 1e6;
    return { value, ...cpu };
  };
  const prepare = () => {
    frame ??= maskedFrame(o.opcode, o.payload(o.size));
    batch ??= frameBatch(frame, o.batch);
  };
  return {
    name: o.name,
    unit: o.unit,
    higherIsBetter: true,
    describe: o.describe,
    run(target, timing) {
      prepare();
      return measure(target, timing, () => new EchoCounter(o.opcode, o.size));
    },
    ceiling: {
      run(target, timing) {
        prepare();
        return measure(target, timing, () => new RawEchoCounter(frame!, o.size));
      },
    },
  };
}
