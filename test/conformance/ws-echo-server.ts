// The reference peer: a minimal `ws` echo server. Run directly: npx tsx test/conformance/ws-echo-server.ts [port]
import { fileURLToPath } from "node:url";
import { type PerMessageDeflateOptions, WebSocketServer } from "ws";

export interface EchoServer {
  port: number;
  close(): Promise<void>;
}

export function startWsEchoServer(
  port = 0,
  /** `perMessageDeflate` as ws takes it: e.g. `{ threshold: 0 }` to compress every message. */
  options: { skipUTF8Validation?: boolean; perMessageDeflate?: boolean | PerMessageDeflateOptions } = {},
): Promise<EchoServer> {
  return new Promise((resolve, reject) => {
    const wss = new WebSocketServer({ host: "127.0.0.1", port, maxPayload: 64 * 1024 * 1024, ...options });
    wss.on("connection", (ws) => {
      ws.on("message", (data, isBinary) => ws.send(data, { binary: isBinary }));
      ws.on("error", () => {}); // protocol errors are what the suite provokes
    });
    wss.once("error", reject);
    wss.once("listening", () => {
      const address = wss.address();
      resolve({
        port: typeof address === "object" && address ? address.port : port,
        close: () =>
          new Promise<void>((done) => {
            for (const c of wss.clients) c.terminate();
            wss.close(() => done());
          }),
      });
    });
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const s = await startWsEchoServer(Number(process.argv[2] ?? 9001));
  console.log(`ws echo server on ws://127.0.0.1:${s.port}`);
}
