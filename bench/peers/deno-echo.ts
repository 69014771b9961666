// Peer echo server for the benchmark: Deno's native WebSocket (Deno.serve + Deno.upgradeWebSocket).
// Run with: deno run -A bench/peers/deno-echo.ts --port N

// Minimal declarations so the repo's Node-typed tsc accepts this Deno-only file.
declare const Deno: {
  args: string[];
  exit(code: number): never;
  serve(
    options: { hostname: string; port: number; onListen?: () => void },
    handler: (req: Request) => Response,
  ): unknown;
  upgradeWebSocket(
    req: Request,
    options?: { idleTimeout?: number },
  ): { socket: WebSocket; response: Response };
};

const i = Deno.args.indexOf("--port");
const port = Number(Deno.args[i + 1]);
if (i < 0 || !Number.isInteger(port)) {
  console.error("usage: deno run -A bench/peers/deno-echo.ts --port N");
  Deno.exit(2);
}

Deno.serve({ hostname: "127.0.0.1", port, onListen: () => {} }, (req) => {
  if (req.headers.get("upgrade")?.toLowerCase() !== "websocket") return new Response("echo", { status: 426 });
  // idleTimeout 0: no ping/pong heartbeat during a measurement.
  const { socket, response } = Deno.upgradeWebSocket(req, { idleTimeout: 0 });
  socket.binaryType = "arraybuffer";
  socket.onmessage = (e) => socket.send(e.data);
  return response;
});
