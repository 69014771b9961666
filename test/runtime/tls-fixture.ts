// wss:// in one runtime, run unchanged by node, deno and bun: serves an echo over TLS with the PEM
// certificate and key from CERT_PEM and KEY_PEM, prints its port, then connects its own client to
// itself (trusting the CA in CA_PEM) and prints what came back.
import { env } from "node:process";
import { connect, serve } from "../../host-auto/index.ts";

const cert = env.CERT_PEM!;
const key = env.KEY_PEM!;
const ca = env.CA_PEM!;
const server = await serve({
  host: "127.0.0.1",
  port: 0,
  tls: { cert, key },
  handler: { message: (ws, data, isBinary) => ws.send(data, { binary: isBinary }) },
});
console.log(JSON.stringify({ port: server.port }));

// Each runtime reads its own way to trust a certificate: Node's and Bun's tls.ca, Deno's caCerts.
const trust = { tls: { ca }, caCerts: [ca] };
const ws = await connect(`wss://localhost:${server.port}/tls`, trust);
ws.binaryType = "arraybuffer";
const replies: unknown[] = [];
const closed = new Promise<{ code: number; reason: string; wasClean: boolean }>((resolve) =>
  ws.addEventListener("close", (e) =>
    resolve(e as unknown as { code: number; reason: string; wasClean: boolean }),
  ),
);
const twoReplies = new Promise<void>((resolve) =>
  ws.addEventListener("message", (e) => {
    const data = (e as MessageEvent).data;
    replies.push(typeof data === "string" ? data : [...new Uint8Array(data as ArrayBuffer)]);
    if (replies.length === 2) resolve();
  }),
);
ws.send("hello over tls");
ws.send(new Uint8Array([1, 2, 3, 255]));
await twoReplies;
ws.close(1000, "done");
const { code, reason, wasClean } = await closed;
console.log(JSON.stringify({ replies, code, reason, wasClean }));
