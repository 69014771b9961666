// Connection churn: open, handshake (101 + accept checked), close handshake, TCP gone.
import { closeFrame } from "../frames.ts";
import { openWebSocket } from "../handshake.ts";
import { startCpuMeter } from "./cpu-meter.ts";
import { type Result, type Scenario, sleep, type Target, type Timing } from "./scenario.ts";

const CLOSE = closeFrame();
const STEP_TIMEOUT_MS = 10_000;
const SERVER_FIN_WAIT_MS = 1000;

/**
 * Sends a close, waits for the server's close frame (RFC 6455 section 5.5.1) and for the server to
 * end TCP first (section 7.1.1), so TIME_WAIT stays on the server side and the generator's
 * ephemeral ports do not run out.
 */
async function closeHandshake(port: number): Promise<void> {
  const { socket, rest } = await openWebSocket(port, STEP_TIMEOUT_MS);
  await new Promise<void>((resolve, reject) => {
    let gotClose = false;
    let timer = setTimeout(() => done(new Error("no close frame from server")), STEP_TIMEOUT_MS);
    const done = (err?: Error) => {
      clearTimeout(timer);
      if (err === undefined) socket.destroy();
      else socket.resetAndDestroy();
      if (err === undefined) resolve();
      else reject(err);
    };
    const check = (chunk: Buffer) => {
      if (chunk.length === 0 || gotClose) return;
      if (chunk[0] !== 0x88) return done(new Error(`expected a close frame, got 0x${chunk[0].toString(16)}`));
      gotClose = true;
      clearTimeout(timer);
      // A server that keeps TCP open only costs itself time; reset rather than wait longer.
      timer = setTimeout(() => {
        socket.resetAndDestroy();
        resolve();
      }, SERVER_FIN_WAIT_MS);
    };
    socket.on("data", check);
    socket.on("end", () => (gotClose ? done() : done(new Error("server ended TCP without a close frame"))));
    socket.on("error", done);
    check(rest);
    socket.write(CLOSE);
  });
}

export function handshakes(concurrency: number): Scenario {
  const run = async (target: Target, timing: Timing): Promise<Result> => {
    let completed = 0;
    let failure: Error | undefined;
    const end = performance.now() + (timing.warmupS + timing.durationS) * 1000;
    const worker = async () => {
      while (failure === undefined && performance.now() < end) {
        try {
          await closeHandshake(target.port);
          completed++;
        } catch (e) {
          failure ??= e as Error;
        }
      }
    };
    const workers = Array.from({ length: concurrency }, worker);
    await sleep(timing.warmupS * 1000);
    const before = completed;
    const t0 = performance.now();
    const meter = startCpuMeter(target.pid);
    await sleep(timing.durationS * 1000);
    const value = (completed - before) / ((performance.now() - t0) / 1000);
    const cpu = meter.stop();
    await Promise.all(workers);
    if (failure !== undefined) throw new Error(`handshakes: ${failure.message}`);
    return { value, ...cpu };
  };
  return {
    name: "handshakes",
    unit: "conn/s",
    higherIsBetter: true,
    describe: `${concurrency} in flight: connect, upgrade, close handshake`,
    run,
    // The ceiling answers the 101 (accepts remembered) and the close, and ends TCP: the same checks pass.
    ceiling: { serverArgs: ["--close"], run },
  };
}
