// permessage-deflate echo throughput: like pipelined, but the connections offer RFC 7692 compression,
// the server is started with --deflate, and what counts is the uncompressed payload echoed.
import { compress, compressedFrame, DEFLATE_OFFER, DeflateEchoCounter, deflateRefusal } from "../deflate.ts";
import { frameBatch } from "../frames.ts";
import { openWebSocket } from "../handshake.ts";
import { startCpuMeter } from "./cpu-meter.ts";
import { type Result, type Scenario, sleep, type Target, type Timing } from "./scenario.ts";

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
  let batch: Buffer | undefined;
  let sentRatio = 0;
  return {
    name: o.name,
    unit: "MB/s",
    higherIsBetter: true,
    describe: o.describe,
    serverArgs: ["--deflate"],
    async run(target: Target, timing: Timing): Promise<Result> {
      if (sent === undefined) {
        sent = o.payload(o.size);
        sentRatio = o.size / compress(sent).length;
        batch = frameBatch(compressedFrame(o.opcode, sent), o.batch);
      }
      const opened = await Promise.all(
        Array.from({ length: o.connections }, () =>
          openWebSocket(target.port, 10_000, { extensions: DEFLATE_OFFER }),
        ),
      );
      const refusal = deflateRefusal(opened[0].head);
      if (refusal !== undefined) {
        for (const { socket } of opened) socket.resetAndDestroy();
        throw new Error(`${o.name}: ${refusal}`);
      }
      const counters: DeflateEchoCounter[] = [];
      let stopped = false;
      let failure: string | undefined;
      const fail = (why: string) => {
        failure ??= why;
        stopped = true;
      };
      for (const { socket, rest, head } of opened) {
        const why = deflateRefusal(head);
        if (why !== undefined) fail(why);
        const counter = new DeflateEchoCounter(o.opcode, sent, o.sampleEvery);
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
      const totals = () => {
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
      const messages = after.messages - before.messages;
      if (messages === 0) throw new Error(`${o.name}: no echo completed while measuring`);
      const echoRatio = (messages * o.size) / (after.wire - before.wire);
      return {
        value: (messages * o.size) / seconds / 1e6,
        ...cpu,
        detail:
          `echoes deflated ${echoRatio.toFixed(2)}:1 (we sent ${sentRatio.toFixed(2)}:1), ` +
          `${after.checked} inflated and compared`,
      };
    },
  };
}
