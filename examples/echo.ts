// The measuring instrument (DESIGN.md): echoes every message unchanged, as the same type, without
// decoding text; every limit that would distort a measurement is lifted, but not to infinity:
// frames and messages up to 1 GiB, so a peer announcing 1 TiB is still refused with 1009.
// --deflate accepts any permessage-deflate offer, with context takeover unless the client declines it.
import { serve } from "../host-auto/index.ts";

const at = process.argv.indexOf("--port");
const port = at > 0 ? Number(process.argv[at + 1]) : 9001;
const deflate = process.argv.includes("--deflate");

const server = await serve({
  port,
  host: "127.0.0.1",
  textAs: "bytes",
  maxPayload: 1024 * 1024 * 1024,
  maxConnections: 0,
  idleTimeout: 0,
  backpressureLimit: 0,
  perMessageDeflate: deflate && { serverNoContextTakeover: false, clientNoContextTakeover: false },
  handler: {
    message: (ws, data, isBinary) => ws.send(data, { binary: isBinary }),
  },
});
console.log(`echo on ws://127.0.0.1:${server.port}`);
