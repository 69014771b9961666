// The pub/sub example contract: a client at /NAME is subscribed to topic NAME, and each message it
// sends reaches every other subscriber of NAME as one message of the same type with the same bytes,
// in the order sent. With --redis URL (node-redis), processes started with the same URL share
// topics. Limits as the echo example.
import { serve } from "../host-auto/index.ts";
import { redisBackplane } from "../redis/index.ts";

// Matched by the server's path policy (other paths get 404), so no upgrade hook and no Request per
// handshake are needed.
const NAME = /^\/[A-Za-z0-9_-]{1,64}$/;

function arg(name: string): string | undefined {
  const at = process.argv.indexOf(name);
  return at > 0 ? process.argv[at + 1] : undefined;
}

async function redis(url: string) {
  const { createClient } = await import("redis");
  const publisher = createClient({ url });
  publisher.on("error", () => {}); // reported once per outage by the backplane
  await publisher.connect();
  return redisBackplane({ publisher });
}

const url = arg("--redis");
const server = await serve<string>({
  port: Number(arg("--port") ?? 9001),
  host: "127.0.0.1",
  textAs: "bytes",
  maxPayload: 1024 * 1024 * 1024,
  maxConnections: 0,
  idleTimeout: 0,
  backpressureLimit: 0,
  backplane: url ? await redis(url) : undefined,
  path: NAME,
  handler: {
    open(ws) {
      // The path without its "/" and its query.
      ws.data = ws.path.slice(1).split("?")[0];
      ws.subscribe(ws.data);
    },
    message: (ws, data, isBinary) => void ws.publish(ws.data, data, { binary: isBinary }),
  },
});
console.log(`pubsub on ws://127.0.0.1:${server.port}${url ? ` with ${url}` : ""}`);
