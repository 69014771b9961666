// The generator's ceiling for the throughput scenarios, on the fastest raw TCP API measured here
// (Bun.listen over node:net: a higher ceiling in every paired run, and node:net's echo saturated its
// core first): a 101 with Bun.CryptoHasher's SHA-1, then every byte received is written back
// unchanged, with no WebSocket work. The echoes are the client's own masked frames, which no
// WebSocket server may send (RFC 6455 section 5.1): the generator counts them by bytes in its ceiling
// run (bench/scenarios/ceiling.ts) instead of parsing them. tcp-ceiling.js is the node:net one.
// Run with: bun bench/peers/bun-ceiling.ts [--deflate] [--close] --port N
// --deflate: a permessage-deflate offer is accepted in the 101 (the compressed frames come back as sent).
// --close: the handshakes scenario's responder: the first bytes after the 101 are answered with a close
//          frame (status 1000) and the end of TCP, as section 7.1.1 asks of a server.
import { BAD_REQUEST, completeHead, GUID, portArg, TOO_LARGE } from "./raw-upgrade.js";

// Minimal declarations so the repo's Node-typed tsc accepts this Bun-only file.
interface CeilingSocket {
  /** The request head so far (undefined once upgraded), and bytes a short write left over. */
  data: { head: string | undefined; queue: Uint8Array[] };
  /** Writes what the socket takes now and returns how much; Bun keeps nothing back. */
  write(data: string | Uint8Array): number;
  end(data?: string | Uint8Array): void;
}
declare const Bun: {
  argv: string[];
  listen(options: {
    hostname: string;
    port: number;
    socket: {
      open(socket: CeilingSocket): void;
      data(socket: CeilingSocket, chunk: Uint8Array): void;
      drain(socket: CeilingSocket): void;
      error(socket: CeilingSocket, error: Error): void;
    };
  }): unknown;
  CryptoHasher: new (
    algorithm: "sha1",
  ) => {
    update(data: string): { digest(encoding: "base64"): string };
  };
};

const port = portArg(Bun.argv, "bun bench/peers/bun-ceiling.ts [--deflate] [--close] --port N");
const deflate = Bun.argv.includes("--deflate");
const closing = Bun.argv.includes("--close");
const CLOSE = Uint8Array.of(0x88, 0x02, 0x03, 0xe8);
const latin1 = new TextDecoder("latin1");

// The generator's handshakes reuse a pool of 64 keys: remembered accepts keep SHA-1 off the ceiling.
const accepts = new Map<string, string>();
function accept(key: string): string {
  let value = accepts.get(key);
  if (value === undefined) {
    value = new Bun.CryptoHasher("sha1").update(key + GUID).digest("base64");
    if (accepts.size < 1024) accepts.set(key, value);
  }
  return value;
}

/** Writes in order: what a short write leaves waits for drain (a copy: Bun reuses its read buffer). */
function send(socket: CeilingSocket, bytes: Uint8Array): void {
  const { queue } = socket.data;
  if (queue.length > 0) return void queue.push(bytes.slice());
  const n = socket.write(bytes);
  if (n < bytes.length) queue.push(bytes.slice(Math.max(n, 0)));
}

function afterUpgrade(socket: CeilingSocket, bytes: Uint8Array): void {
  if (closing) socket.end(CLOSE);
  else send(socket, bytes);
}

Bun.listen({
  hostname: "127.0.0.1",
  port,
  socket: {
    open(socket) {
      socket.data = { head: "", queue: [] };
    },
    data(socket, chunk) {
      const state = socket.data;
      if (state.head === undefined) return afterUpgrade(socket, chunk);
      state.head += latin1.decode(chunk);
      const done = completeHead(state.head, deflate);
      if (done === TOO_LARGE) return void socket.end();
      if (done === undefined) return;
      state.head = undefined;
      // Frame bytes that came with the head are the end of this chunk.
      const { upgrade, early } = done;
      if (upgrade === undefined) return void socket.end(BAD_REQUEST);
      socket.write(upgrade.response(accept(upgrade.key)));
      if (early > 0) afterUpgrade(socket, chunk.subarray(chunk.length - early));
    },
    drain(socket) {
      const { queue } = socket.data;
      while (queue.length > 0) {
        const n = socket.write(queue[0]);
        if (n < queue[0].length) {
          queue[0] = queue[0].subarray(Math.max(n, 0));
          return;
        }
        queue.shift();
      }
    },
    error() {},
  },
});
