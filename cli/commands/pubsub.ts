// wasmsock pubsub: the pub/sub example contract. A client at /NAME ([A-Za-z0-9_-]{1,64}) is in
// topic NAME; each message it sends reaches every other subscriber of NAME, same type, same bytes,
// in order; other paths get 404. A subscriber that falls --backpressure-limit bytes behind (16 MiB)
// is closed with 1008. --redis URL shares topics with every process given the same URL.
import { serve } from "../../host-auto/index.ts";
import { type Command, withDefaults, wsUrl } from "../command.ts";
import { logged } from "../log.ts";
import { redisFor } from "../redis.ts";

// Matched by the server's path policy (other paths get 404): no upgrade hook, no Request per handshake.
const NAME = /^\/[A-Za-z0-9_-]{1,64}$/;

export const pubsub: Command = {
  name: "pubsub",
  summary: "a client at /NAME gets what every other client at /NAME sends",
  usage: "wasmsock pubsub [--port N] [--redis URL] [options]",
  options: [
    {
      name: "backpressure-limit",
      kind: "int",
      min: 0,
      value: "BYTES",
      help: "bytes queued to a slow subscriber before it is closed (1008); 0 = no limit. Default 16 MiB",
    },
  ],
  topics: true,
  async run({ opts, listen, log }) {
    const redis = opts.redis ? await redisFor(opts.redis as string) : undefined;
    const server = await serve<string>({
      ...withDefaults({ maxPayload: 1024 ** 3, maxConnections: 0, idleTimeout: 0 }, listen),
      textAs: "bytes",
      backpressureLimit: opts["backpressure-limit"] as number | undefined,
      backplane: redis?.backplane,
      path: NAME,
      handler: logged<string>(
        {
          open(ws) {
            // The path without its "/" and its query.
            ws.data = ws.path.slice(1).split("?")[0];
            ws.subscribe(ws.data);
          },
          message: (ws, data, isBinary) => void ws.publish(ws.data, data, { binary: isBinary }),
        },
        log,
      ),
    });
    return { url: wsUrl(listen, server.port, "/NAME"), close: () => server.close() };
  },
};
