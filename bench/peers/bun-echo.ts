// Peer echo server for the benchmark: Bun's native WebSocket (uWebSockets), limits lifted.
// Run with: bun bench/peers/bun-echo.ts [--deflate] --port N
// --deflate: `perMessageDeflate: true`, and every echo sent with compress = true (Bun's send does not
// compress unless asked, even when the extension was negotiated).

// Minimal declarations so the repo's Node-typed tsc accepts this Bun-only file.
interface BunSocket {
  send(data: string | ArrayBufferView | ArrayBuffer, compress?: boolean): number;
}
declare const Bun: {
  argv: string[];
  serve(options: {
    hostname: string;
    port: number;
    fetch(req: Request, server: { upgrade(req: Request): boolean }): Response | undefined;
    websocket: {
      maxPayloadLength: number;
      backpressureLimit: number;
      closeOnBackpressureLimit: boolean;
      idleTimeout: number;
      perMessageDeflate: boolean;
      message(ws: BunSocket, message: string | ArrayBufferView): void;
    };
  }): unknown;
};

const i = Bun.argv.indexOf("--port");
const port = Number(Bun.argv[i + 1]);
if (i < 0 || !Number.isInteger(port)) {
  console.error("usage: bun bench/peers/bun-echo.ts [--deflate] --port N");
  process.exit(2);
}
const deflate = Bun.argv.includes("--deflate");

Bun.serve({
  hostname: "127.0.0.1",
  port,
  fetch(req, server) {
    if (server.upgrade(req)) return undefined;
    return new Response("echo", { status: 426 });
  },
  websocket: {
    maxPayloadLength: 64 * 1024 * 1024,
    // A backpressure limit below the window of 16 MiB messages in flight would drop or close.
    backpressureLimit: 1024 * 1024 * 1024,
    closeOnBackpressureLimit: false,
    idleTimeout: 0,
    perMessageDeflate: deflate,
    message(ws, message) {
      ws.send(message, deflate);
    },
  },
});
