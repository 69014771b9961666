// Peer echo server for the benchmark: ws 8 with bufferutil, limits lifted like our echo example.
// Run with: node bench/peers/ws-echo.js [--deflate] --port N
// --deflate is what a ws user gets with `perMessageDeflate: true`: zlib's default level, a 1024-byte
// threshold (ws's default, the same as ours), context takeover unless the client declines it, zlib
// work on libuv's thread pool (at most 10 jobs at once); the pinning to one core covers those threads.
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
    console.error("usage: node bench/peers/ws-echo.js [--deflate] --port N");
    process.exit(2);
  }
  return port;
}

assertBufferUtilActive();
const wss = new WebSocketServer({
  host: "127.0.0.1",
  port: portArg(),
  maxPayload: 64 * 1024 * 1024,
  perMessageDeflate: process.argv.includes("--deflate"),
});
wss.on("connection", (ws) => {
  ws.on("message", (data, isBinary) => ws.send(data, { binary: isBinary }));
  ws.on("error", () => {});
});
