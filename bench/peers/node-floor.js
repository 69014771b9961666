// Floor server for the idle-memory benchmark on Node: node:net, a 101 with node:crypto's SHA-1, then
// the socket is only held (bytes read and discarded, no framing). What a connection costs on this
// API before any WebSocket work: our server's memory figure minus this one is what our engine adds.
// Run with: node bench/peers/node-floor.js [--deflate] --port N
// --deflate: a permessage-deflate offer is accepted in the 101, and nothing is ever inflated.
import { createHash } from "node:crypto";
import { createServer } from "node:net";
import { GUID, portArg, readHead } from "./raw-upgrade.js";

const port = portArg(process.argv, "node bench/peers/node-floor.js [--deflate] --port N");
const deflate = process.argv.includes("--deflate");

// One listener shared by every upgraded socket: a held connection keeps no closure of its own.
const discard = () => {};

createServer({ noDelay: true }, (socket) => {
  readHead(socket, deflate, (upgrade) => {
    socket.on("data", discard);
    const accept = createHash("sha1")
      .update(upgrade.key + GUID)
      .digest("base64");
    socket.write(upgrade.response(accept));
  });
  socket.on("error", discard);
}).listen(port, "127.0.0.1");
