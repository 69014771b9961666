// Our client's browser behaviours in every runtime: test/runtime/client-fixture.ts runs in node, deno
// and bun against a ws server here, which records the bytes it receives. Needs `npm run build`.
import { spawn } from "node:child_process";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, expect, it } from "vitest";
import { WebSocketServer } from "ws";
import { RUNTIMES } from "./helpers/runtimes.ts";

const hex = (data: string | Uint8Array) => Buffer.from(data).toString("hex");

let wss: WebSocketServer;
/** What each `/echo` connection received, in order of connection. */
let received: string[][] = [];

beforeAll(async () => {
  wss = new WebSocketServer({ port: 0, host: "127.0.0.1" });
  wss.on("connection", (peer, req) => {
    if (req.url === "/paused") {
      const socket = (peer as unknown as { _socket: { pause(): void; resume(): void } })._socket;
      socket.pause();
      setTimeout(() => socket.resume(), 300);
      return;
    }
    const seen: string[] = [];
    received.push(seen);
    peer.on("message", (data, isBinary) => {
      seen.push(`${isBinary ? "binary" : "text"} ${hex(data as Buffer)}`);
      peer.send(data, { binary: isBinary });
    });
  });
  await new Promise((resolve) => wss.on("listening", resolve));
});
afterAll(() => new Promise((resolve) => wss.close(resolve)));

it.each(RUNTIMES)(
  "our client behaves as the standard says on %s",
  { timeout: 30_000 },
  async (name, command) => {
    received = [];
    const child = spawn(command[0], [...command.slice(1), "dist/test/runtime/client-fixture.js"], {
      env: { ...process.env, WS_URL: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}` },
      stdio: ["ignore", "pipe", "inherit"],
    });
    let out = "";
    child.stdout!.on("data", (d: Buffer) => (out += d));
    const code = await new Promise((resolve) => child.on("exit", resolve));
    expect(code).toBe(0);
    const syntax = "DOMException SyntaxError";
    expect(JSON.parse(out)).toEqual({
      binaryType: "blob",
      blob: "010203",
      bogus: "blob",
      nodebuffer: "nodebuffer", // every runtime here has a global Buffer
      // 6 bytes of UTF-8, then 8, 2, 2 and 14: payload only, no framing.
      buffered: [6, 14, 16, 18, 32],
      sendNumber: "TypeError TypeError",
      closeCode: "DOMException InvalidAccessError",
      closeReason: syntax,
      replies: ["text héllo", "binary 0201040306050807", "binary 0807", "binary b1b2", "text after the blob"],
      drained: 0,
      afterClose: 10,
      // Deno and Bun (host-core's WriteQueue) report the bytes the kernel took of a write; Node whole chunks.
      paused: { held: true, partly: name !== "node" },
      badUrls: [syntax, syntax, syntax],
      badHeader: syntax,
      refused: { code: "WS_ERR_TRANSPORT", cause: true, readyState: 3 },
    });
    expect(received[1]).toEqual([
      `text ${hex("héllo")}`,
      "binary 0201040306050807",
      "binary 0807",
      "binary b1b2",
      `text ${hex("after the blob")}`,
    ]);
  },
);
