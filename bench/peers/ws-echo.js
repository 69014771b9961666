// Peer echo server for the benchmark: ws 8 with bufferutil, limits lifted like our echo example.
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { WebSocketServer } from "ws";

const require = createRequire(import.meta.url);

// ws loads bufferutil silently and falls back to JS if it fails; a fallback would flatter us.
function assertBufferUtilActive() {
  const wsDir = dirname(require.resolve("ws"));
  const wsBufferUtil = require(join(wsDir, "lib", "buffer-util.js"));
  const native = require("bufferutil");
  const fallback = require(join(dirname(require.resolve("bufferutil")), "fallback.js"));
  const used = wsBufferUtil.unmask.toString().includes("bufferUtil.unmask");
  if (native.unmask === fallback.unmask || !used) {
    console.error("ws-echo: bufferutil is not active in ws (native build missing or WS_NO_BUFFER_UTIL set)");
    process.exit(1);
  }
}

function portArg() {
  const i = process.argv.indexOf("--port");
  const port = Number(process.argv[i + 1]);
  if (i < 0 || !Number.isInteger(port)) {
    console.error("usage: node bench/peers/ws-echo.js --port N");
    process.exit(2);
  }
  return port;
}

assertBufferUtilActive();
const wss = new WebSocketServer({
  host: "127.0.0.1",
  port: portArg(),
  maxPayload: 64 * 1024 * 1024,
  perMessageDeflate: false,
});
wss.on("connection", (ws) => {
  ws.on("message", (data, isBinary) => ws.send(data, { binary: isBinary }));
  ws.on("error", () => {});
});
