// The pub/sub example's behaviour with what its contract leaves out, for test/runtime/pubsub-suite.ts:
//   --port N [--redis URL] [--client redis|ioredis] [--reuse-port] [--backpressure-limit BYTES]
// A client at /NAME is in topic NAME and what it sends is published to NAME. Prints one JSON line
// {"ready":true,"port":N,"pid":P} once listening (or {"failed":message} if serve() rejects), then
// {"open":PID} per connection and {"redisError":message} per error the backplane reports.
import { serve } from "../../host-auto/index.ts";
import { redisBackplane } from "../../redis/index.ts";

const NAME = /^\/([A-Za-z0-9_-]{1,64})$/;
const log = (line: Record<string, unknown>) => console.log(JSON.stringify(line));

function arg(name: string): string | undefined {
  const at = process.argv.indexOf(name);
  return at > 0 ? process.argv[at + 1] : undefined;
}

async function backplane(url: string) {
  const onError = (err: Error) => log({ redisError: err.message || err.name });
  if (arg("--client") === "ioredis") {
    const { Redis } = await import("ioredis");
    const publisher = new Redis(url);
    publisher.on("error", () => {});
    return redisBackplane({ publisher, onError });
  }
  const { createClient } = await import("redis");
  const publisher = createClient({ url });
  publisher.on("error", () => {});
  await publisher.connect();
  return redisBackplane({ publisher, onError });
}

const url = arg("--redis");
const limit = arg("--backpressure-limit");
try {
  const server = await serve<string>({
    port: Number(arg("--port") ?? 0),
    host: "127.0.0.1",
    reusePort: process.argv.includes("--reuse-port"),
    maxConnections: 0,
    idleTimeout: 0,
    backpressureLimit: limit === undefined ? 0 : Number(limit),
    backplane: url ? await backplane(url) : undefined,
    handler: {
      upgrade(request) {
        const name = NAME.exec(new URL(request.url).pathname)?.[1];
        return name ? { data: name } : new Response("no such topic", { status: 404 });
      },
      open(ws) {
        ws.subscribe(ws.data);
        log({ open: process.pid });
      },
      message: (ws, data, isBinary) => void ws.publish(ws.data, data, { binary: isBinary }),
    },
  });
  log({ ready: true, port: server.port, pid: process.pid });
} catch (err) {
  log({ failed: (err as Error).message });
  process.exit(1);
}
