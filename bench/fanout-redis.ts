// Fan-out across two processes through Redis: the publisher on server A, N subscribers on server B
// (both `dist/examples/pubsub.js --redis URL`, pinned to the server core), a redis-server of its own.
// Usage: npx tsx bench/fanout-redis.ts [--runtime node|deno|bun] [--subscribers N] [--rounds N] [--duration S]
import { type ChildProcess, spawn } from "node:child_process";
import { createServer } from "node:net";
import { parseArgs } from "node:util";
import { pinArgs, relaunchPinned } from "./launch.ts";
import { median, spread } from "./report.ts";
import { measureFanout } from "./scenarios/fanout.ts";
import { killAll, type Runtime, start } from "./servers.ts";

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = createServer().listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

async function startRedis(port: number): Promise<ChildProcess> {
  const args = ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"];
  const [pin, ...pinRest] = pinArgs("generator");
  const child = pin ? spawn(pin, [...pinRest, "redis-server", ...args]) : spawn("redis-server", args);
  await new Promise<void>((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`redis-server exited with ${code}`)));
    child.stdout!.on("data", (b: Buffer) => b.toString().includes("Ready to accept") && resolve());
  });
  return child;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      runtime: { type: "string", default: "node" },
      subscribers: { type: "string", default: "1000" },
      rounds: { type: "string", default: "3" },
      duration: { type: "string", default: "3" },
    },
  });
  const runtime = values.runtime as Runtime;
  const subscribers = Number(values.subscribers);
  const redisPort = await freePort();
  const redis = await startRedis(redisPort);
  const url = `redis://127.0.0.1:${redisPort}`;
  const argv = runtime === "deno" ? ["deno", "run", "-A"] : [runtime];
  const spec = { runtime, ours: true, argv: [...argv, "dist/examples/pubsub.js", "--redis", url], needs: "" };
  const results: number[] = [];
  try {
    for (let round = 1; round <= Number(values.rounds); round++) {
      const [a, b] = [await start("A", spec), await start("B", spec)];
      try {
        const timing = { warmupS: 0.5, durationS: Number(values.duration) };
        const r = await measureFanout(
          { publishPort: a.port, subscribePort: b.port, pids: [a.pid, b.pid] },
          subscribers,
          timing,
          500,
        );
        results.push(r.value);
        console.log(
          `[redis ${round}] ${Math.round(r.value)} deliveries/s  cpu srv ${r.serverCpu!.toFixed(2)} gen ${r.generatorCpu!.toFixed(2)} other ${r.otherCpu!.toFixed(2)}  rss A+B ${r.rssMiB.toFixed(1)} MiB`,
        );
      } finally {
        await a.stop();
        await b.stop();
      }
    }
  } finally {
    redis.kill("SIGKILL");
  }
  console.log(
    `${runtime}, ${subscribers} subscribers on B, publisher on A, through Redis: ` +
      `${Math.round(median(results)).toLocaleString("en-US")} deliveries/s ±${(spread(results) * 100).toFixed(1)}%`,
  );
}

if (relaunchPinned()) {
  process.on("exit", killAll);
  main().catch((e: unknown) => {
    console.error(e);
    killAll();
    process.exit(1);
  });
}
