// Peer pub/sub server for the fan-out benchmark: Deno.serve + Deno.upgradeWebSocket, every message
// sent to every other socket of the topic by a loop.
// Run with: deno run -A bench/peers/deno-pubsub.ts --port N

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
  console.error("usage: deno run -A bench/peers/deno-pubsub.ts --port N");
  Deno.exit(2);
}

const topic = new Set<WebSocket>();
Deno.serve({ hostname: "127.0.0.1", port, onListen: () => {} }, (req) => {
  if (req.headers.get("upgrade")?.toLowerCase() !== "websocket")
    return new Response("pubsub", { status: 426 });
  const { socket, response } = Deno.upgradeWebSocket(req, { idleTimeout: 0 });
  socket.binaryType = "arraybuffer";
  socket.onopen = () => topic.add(socket);
  socket.onclose = () => topic.delete(socket);
  socket.onmessage = (e) => {
    for (const other of topic) if (other !== socket) other.send(e.data);
  };
  return response;
});
