// --redis URL: the wasmsock/redis backplane over the user's node-redis, imported only when asked
// for (an optional peer dependency). Missing, it is a usage error: one line, status 2.
import type { Backplane } from "../host-core/pubsub.ts";
import { redisBackplane } from "../redis/index.ts";
import { UsageError } from "./args.ts";

interface NodeRedis {
  createClient(options: { url: string }): {
    on(event: "error", listener: (err: unknown) => void): unknown;
    connect(): Promise<unknown>;
  };
}

export async function redisFor(url: string): Promise<{ backplane: Backplane; client: unknown }> {
  let redis: NodeRedis;
  try {
    redis = (await import("redis" as string)) as NodeRedis;
  } catch {
    throw new UsageError("--redis needs the npm package 'redis' (npm install redis)");
  }
  const publisher = redis.createClient({ url });
  publisher.on("error", () => {}); // reported once per outage by the backplane
  await publisher.connect();
  return { backplane: redisBackplane({ publisher }), client: publisher };
}
