// Our client against a hostile server, on raw TCP: a server that floods pings and never reads
// cannot grow the client's memory (reading follows writing), and a server that breaks the protocol
// is dropped at once, not after closeTimeout.
import { createServer, type Server, type Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { WebSocket } from "../host-node/index.ts";
import { acceptFor, readHead } from "./conformance/http.ts";
import { FrameReader, hex, Op } from "./conformance/wire.ts";

let server: Server | undefined;
afterEach(() => server?.close());

/** A TCP server that answers the upgrade with a valid 101 and hands the socket to `run`. */
async function hostile(run: (socket: Socket) => void): Promise<string> {
  server = createServer(async (socket) => {
    socket.on("error", () => {});
    const head = await readHead(socket, 5000);
    const key = head.headers["sec-websocket-key"];
    socket.write(
      `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${acceptFor(key)}\r\n\r\n`,
    );
    run(socket);
  });
  await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
  return `ws://127.0.0.1:${(server!.address() as { port: number }).port}`;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("a server that floods pings and never reads", () => {
  it("fills its own TCP window, not the client's memory, and gets every pong in order once it reads", async () => {
    let sent = 0;
    let socket!: Socket;
    let flooding = true;
    const url = await hostile((s) => {
      socket = s;
      s.pause();
      // Pings carrying their index, written while the kernel takes them.
      const flood = () => {
        while (flooding) {
          const batch = Buffer.alloc(6 * 1024);
          for (let i = 0; i < 1024; i++) {
            batch[i * 6] = 0x80 | Op.ping;
            batch[i * 6 + 1] = 4;
            batch.writeUInt32BE(sent++, i * 6 + 2);
          }
          if (!s.write(batch)) return void s.once("drain", flood);
        }
      };
      flood();
    });
    const ws = new WebSocket(url);
    await new Promise((resolve) => ws.addEventListener("open", resolve));
    await sleep(1500);
    flooding = false;
    // Measured here: about 8 MB of pings paused, over 70 MB in the same time unpaused. Paused, the
    // kernel's buffers (a few MB each way) and the client's 1 MiB of pending pongs are all it takes.
    expect(sent * 6).toBeLessThan(20 * 1024 * 1024);
    const reader = new FrameReader();
    let pongs = 0;
    let inOrder = true;
    await new Promise<void>((resolve) => {
      socket.on("data", (chunk: Buffer) => {
        reader.push(chunk);
        for (let f = reader.next(); f; f = reader.next()) {
          if (f.op !== Op.pong) continue;
          inOrder &&= f.masked && f.payload.readUInt32BE(0) === pongs;
          if (++pongs === sent) resolve();
        }
      });
      socket.resume();
    });
    expect(inOrder).toBe(true);
    expect(pongs).toBe(sent);
    ws.close();
  }, 30_000);
});

describe("failing the connection (7.1.7)", () => {
  it("sends 1002, ends TCP and reports error and close at once, even if the server never closes", async () => {
    const seen: Buffer[] = [];
    let ended = false;
    const url = await hostile((s) => {
      s.on("data", (c: Buffer) => seen.push(c));
      s.on("end", () => (ended = true));
      // A masked frame from a server, and the server then keeps TCP open.
      s.write(hex("81 81 00 00 00 00 61"));
    });
    const ws = new WebSocket(url);
    const start = Date.now();
    const error = new Promise<string>((resolve) =>
      ws.addEventListener("error", (e) => resolve((e as unknown as { error: { code: string } }).error.code)),
    );
    const close = new Promise<{ code: number; wasClean: boolean }>((resolve) =>
      ws.addEventListener("close", (e) => resolve(e as unknown as { code: number; wasClean: boolean })),
    );
    expect(await error).toBe("WS_ERR_UNEXPECTED_MASK");
    expect(await close).toMatchObject({ code: 1006, wasClean: false });
    expect(Date.now() - start).toBeLessThan(1000);
    const reader = new FrameReader();
    reader.push(Buffer.concat(seen));
    const frame = reader.next();
    expect(frame?.op).toBe(Op.close);
    expect(frame?.payload.readUInt16BE(0)).toBe(1002);
    expect(ended).toBe(true);
  });
});
