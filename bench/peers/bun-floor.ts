// Floor server for the idle-memory benchmark on Bun: Bun.listen, a 101 with Bun.CryptoHasher's SHA-1,
// then the socket is only held (bytes read and discarded, no framing). What a connection costs on this
// API before any WebSocket work: our server's memory figure minus this one is what our engine adds.
// Run with: bun bench/peers/bun-floor.ts [--deflate] --port N
// --deflate: a permessage-deflate offer is accepted in the 101, and nothing is ever inflated.
import { BAD_REQUEST, completeHead, GUID, portArg, TOO_LARGE } from "./raw-upgrade.js";

// Minimal declarations so the repo's Node-typed tsc accepts this Bun-only file.
interface FloorSocket {
  /** The request head so far; undefined once upgraded. */
  data: { head: string | undefined };
  write(data: string): number;
  end(data?: string): void;
}
declare const Bun: {
  argv: string[];
  listen(options: {
    hostname: string;
    port: number;
    socket: {
      open(socket: FloorSocket): void;
      data(socket: FloorSocket, chunk: Uint8Array): void;
      error(socket: FloorSocket, error: Error): void;
    };
  }): unknown;
  CryptoHasher: new (
    algorithm: "sha1",
  ) => {
    update(data: string): { digest(encoding: "base64"): string };
  };
};

const port = portArg(Bun.argv, "bun bench/peers/bun-floor.ts [--deflate] --port N");
const deflate = Bun.argv.includes("--deflate");
const latin1 = new TextDecoder("latin1");

Bun.listen({
  hostname: "127.0.0.1",
  port,
  socket: {
    open(socket) {
      socket.data = { head: "" };
    },
    data(socket, chunk) {
      const state = socket.data;
      if (state.head === undefined) return; // upgraded: read and discard
      state.head += latin1.decode(chunk);
      const done = completeHead(state.head, deflate);
      if (done === TOO_LARGE) return void socket.end();
      if (done === undefined) return;
      state.head = undefined;
      const { upgrade } = done;
      if (upgrade === undefined) return void socket.end(BAD_REQUEST);
      socket.write(
        upgrade.response(new Bun.CryptoHasher("sha1").update(upgrade.key + GUID).digest("base64")),
      );
    },
    error() {},
  },
});
