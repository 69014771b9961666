// permessage-deflate echo throughput: like pipelined, but the connections offer RFC 7692 compression,
// the server is started with --deflate, and what counts is the uncompressed payload echoed.
import { compress, compressedFrame, DEFLATE_OFFER, DeflateEchoCounter, deflateRefusal } from "../deflate.ts";
import { frameBatch } from "../frames.ts";
import { openWebSocket } from "../handshake.ts";
import { RawEchoCounter } from "./ceiling.ts";
import { pumpEchoes } from "./echo-pump.ts";
import type { Result, Scenario, Target, Timing } from "./scenario.ts";

export interface DeflateOptions {
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
  /** The first echo of every connection, then one in this many, is inflated and compared. */
  sampleEvery: number;
}

export function deflateEcho(o: DeflateOptions): Scenario {
  let sent: Uint8Array | undefined;
  let frame: Buffer | undefined;
  let batch: Buffer | undefined;
  let sentRatio = 0;
  const prepare = () => {
    if (sent !== undefined) return;
    sent = o.payload(o.size);
    sentRatio = o.size / compress(sent).length;
    frame = compressedFrame(o.opcode, sent);
    batch = frameBatch(frame, o.batch);
  };
  /** Connections that agreed to DEFLATE_OFFER, or an error naming what the server answered instead. */
  const open = async (port: number) => {
    const opened = await Promise.all(
      Array.from({ length: o.connections }, () => openWebSocket(port, 10_000, { extensions: DEFLATE_OFFER })),
    );
    const refusal = opened.map(({ head }) => deflateRefusal(head)).find((why) => why !== undefined);
    if (refusal !== undefined) {
      for (const { socket } of opened) socket.resetAndDestroy();
      throw new Error(`${o.name}: ${refusal}`);
    }
    return opened;
  };
  const flow = () => ({ window: o.window, batch: o.batch, bytes: batch! });
  return {
    name: o.name,
    unit: "MB/s",
    higherIsBetter: true,
    describe: o.describe,
    serverArgs: ["--deflate"],
    async run(target: Target, timing: Timing): Promise<Result> {
      prepare();
      const opened = await open(target.port);
      const totals = (counters: readonly DeflateEchoCounter[]) => {
        let messages = 0;
        let wire = 0;
        let checked = 0;
        for (const c of counters) {
          messages += c.messages;
          wire += c.wireBytes;
          checked += c.checked;
        }
        return { messages, wire, checked };
      };
      const reader = () => new DeflateEchoCounter(o.opcode, sent!, o.sampleEvery);
      const m = await pumpEchoes(o.name, opened, reader, flow(), totals, target, timing);
      const messages = m.after.messages - m.before.messages;
      if (messages === 0) throw new Error(`${o.name}: no echo completed while measuring`);
      const echoRatio = (messages * o.size) / (m.after.wire - m.before.wire);
      return {
        value: (messages * o.size) / m.seconds / 1e6,
        ...m.cpu,
        detail:
          `echoes deflated ${echoRatio.toFixed(2)}:1 (we sent ${sentRatio.toFixed(2)}:1), ` +
          `${m.after.checked} inflated and compared`,
      };
    },
    ceiling: {
      serverArgs: ["--deflate"],
      // Our compressed frames come back as sent; what counts is the payload they stand for.
      async run(target: Target, timing: Timing): Promise<Result> {
        prepare();
        const opened = await open(target.port);
        const totals = (counters: readonly RawEchoCounter[]) => counters.reduce((n, c) => n + c.messages, 0);
        const reader = () => new RawEchoCounter(frame!, o.size);
        const m = await pumpEchoes(o.name, opened, reader, flow(), totals, target, timing);
        if (m.after === m.before) throw new Error(`${o.name}: no echo completed while measuring`);
        return { value: ((m.after - m.before) * o.size) / m.seconds / 1e6, ...m.cpu };
      },
    },
  };
}
