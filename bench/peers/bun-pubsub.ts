// Peer pub/sub server for the fan-out benchmark: Bun's native topics (uWebSockets): ws.publish
// sends to every subscriber but the sender. Run with: bun bench/peers/bun-pubsub.ts --port N

// Minimal declarations so the repo's Node-typed tsc accepts this Bun-only file.
interface BunSocket {
  subscribe(topic: string): void;
  publish(topic: string, data: string | ArrayBufferView | ArrayBuffer): number;
}
declare const Bun: {
  argv: string[];
  serve(options: {
    hostname: string;
    port: number;
    fetch(req: Request, server: { upgrade(req: Request): boolean }): Response | undefined;
    websocket: {
      backpressureLimit: number;
      closeOnBackpressureLimit: boolean;
      idleTimeout: number;
      perMessageDeflate: boolean;
      open(ws: BunSocket): void;
      message(ws: BunSocket, message: string | ArrayBufferView): void;
    };
  }): unknown;
};

const i = Bun.argv.indexOf("--port");
const port = Number(Bun.argv[i + 1]);
if (i < 0 || !Number.isInteger(port)) {
  console.error("usage: bun bench/peers/bun-pubsub.ts --port N");
  process.exit(2);
}

Bun.serve({
  hostname: "127.0.0.1",
  port,
  fetch(req, server) {
    if (server.upgrade(req)) return undefined;
    return new Response("pubsub", { status: 426 });
  },
  websocket: {
    // As our example: nothing closed or dropped for being slow during a measurement.
    backpressureLimit: 1024 * 1024 * 1024,
    closeOnBackpressureLimit: false,
    idleTimeout: 0,
    perMessageDeflate: false,
    open(ws) {
      ws.subscribe("t");
    },
    message(ws, message) {
      ws.publish("t", message);
    },
  },
});
