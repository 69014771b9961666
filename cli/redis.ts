// --redis URL: the wasmsock/redis backplane over the user's node-redis, imported only when asked
// for (an optional peer dependency). Missing, it is a usage error: one line, status 2.
import type { Backplane } from "../host-core/pubsub.ts";
import { redisBackplane } from "../redis/index.ts";
import { UsageError } from "./args.ts";

interface NodeRedis {
  createClient(options: { url: string }): {
    on(event: "error", listener: (err: unknown) => void): unknown;
    connect(): Promise<unknown>;
    destroy(): void;
  };
}

// node-redis retries a connection forever: past this, startup fails instead of waiting unseen.
const CONNECT_MS = 5000;

export async function redisFor(url: string): Promise<{ backplane: Backplane; client: unknown }> {
  let redis: NodeRedis;
  try {
    redis = (await import("redis" as string)) as NodeRedis;
  } catch {
    throw new UsageError("--redis needs the npm package 'redis' (npm install redis)");
  }
  const publisher = redis.createClient({ url });
  let last: unknown;
  publisher.on("error", (err) => (last = err)); // once connected, the backplane reports each outage
  let timer: ReturnType<typeof setTimeout> | undefined;
  const gaveUp = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      publisher.destroy();
      const why = last instanceof Error ? `: ${last.message}` : "";
      reject(new Error(`cannot reach Redis at ${url} in ${CONNECT_MS / 1000} s${why}`));
    }, CONNECT_MS);
  });
  try {
    await Promise.race([publisher.connect(), gaveUp]);
  } finally {
    clearTimeout(timer);
  }
  return { backplane: redisBackplane({ publisher }), client: publisher };
}
