// A ceiling for the throughput scenarios on node:net (bun-ceiling.ts, the default, drove more here):
// a 101 with node:crypto's SHA-1, then every byte received is written back unchanged, no WebSocket work. The echoes are the client's
// own masked frames, which no WebSocket server may send (RFC 6455 section 5.1): the generator counts
// them by bytes in its ceiling run (bench/scenarios/ceiling.ts) instead of parsing them.
// Run with: node bench/peers/tcp-ceiling.js [--deflate] [--close] --port N
// --deflate: a permessage-deflate offer is accepted in the 101 (the compressed frames come back as sent).
// --close: the handshakes scenario's responder: the first bytes after the 101 are answered with a close
//          frame (status 1000) and the end of TCP, as section 7.1.1 asks of a server.
import { createHash } from "node:crypto";
import { createServer } from "node:net";
import { GUID, portArg, readHead } from "./raw-upgrade.js";

const port = portArg(process.argv, "node bench/peers/tcp-ceiling.js [--deflate] [--close] --port N");
const deflate = process.argv.includes("--deflate");
const closing = process.argv.includes("--close");
const CLOSE = Buffer.from([0x88, 0x02, 0x03, 0xe8]);

// The generator's handshakes reuse a pool of 64 keys: remembered accepts keep SHA-1 off the ceiling.
const accepts = new Map();
function accept(key) {
  let value = accepts.get(key);
  if (value === undefined) {
    value = createHash("sha1")
      .update(key + GUID)
      .digest("base64");
    if (accepts.size < 1024) accepts.set(key, value);
  }
  return value;
}

function echo(chunk) {
  this.write(chunk);
}

function answerClose() {
  this.end(CLOSE);
}

const ignore = () => {};

createServer({ noDelay: true }, (socket) => {
  readHead(socket, deflate, (upgrade, early) => {
    socket.write(upgrade.response(accept(upgrade.key)));
    if (closing) {
      if (early) socket.end(CLOSE);
      else socket.once("data", answerClose);
    } else {
      socket.on("data", echo);
      if (early) socket.write(early);
    }
  });
  socket.on("error", ignore);
}).listen(port, "127.0.0.1");
