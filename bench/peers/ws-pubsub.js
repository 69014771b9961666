// Peer pub/sub server for the fan-out benchmark: ws 8 with bufferutil, every message sent to every
// other client by a loop over the server's clients (what ws users write for a topic).
import { WebSocketServer } from "ws";

const i = process.argv.indexOf("--port");
const port = Number(process.argv[i + 1]);
if (i < 0 || !Number.isInteger(port)) {
  console.error("usage: node bench/peers/ws-pubsub.js --port N");
  process.exit(2);
}

const wss = new WebSocketServer({ host: "127.0.0.1", port, perMessageDeflate: false, clientTracking: true });
wss.on("connection", (ws) => {
  ws.on("message", (data, isBinary) => {
    for (const client of wss.clients) if (client !== ws) client.send(data, { binary: isBinary });
  });
  ws.on("error", () => {});
});
