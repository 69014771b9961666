// wss:// on every runtime's native TLS (node:tls, Deno.listenTls/connectTls, Bun's tls): the
// runtime's server and client talk to each other, and ws from Node talks to that server.
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { afterAll, expect, it } from "vitest";
import WsClient from "ws";
import { makeCerts } from "./helpers/certs.ts";
import { RUNTIMES } from "./helpers/runtimes.ts";

const certs = makeCerts();
const { ca, cert, key } = certs;
afterAll(() => certs.remove());

function wsEcho(port: number, message: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const ws = new WsClient(`wss://localhost:${port}/`, { ca });
    ws.once("open", () => ws.send(message));
    ws.once("message", (data) => {
      resolve(String(data));
      ws.close();
    });
    ws.once("error", reject);
  });
}

it.each(RUNTIMES)(
  "%s serves wss:// and its client connects over TLS",
  { timeout: 30_000 },
  async (_name, command) => {
    const child = spawn(command[0], [...command.slice(1), "dist/test/runtime/tls-fixture.js"], {
      env: { ...process.env, CA_PEM: ca, CERT_PEM: cert, KEY_PEM: key },
      stdio: ["ignore", "pipe", "inherit"],
    });
    try {
      const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
      const { port } = JSON.parse((await lines.next()).value);
      expect(await wsEcho(port, "from ws over tls")).toBe("from ws over tls");
      expect(JSON.parse((await lines.next()).value)).toEqual({
        replies: ["hello over tls", [1, 2, 3, 255]],
        code: 1000,
        reason: "",
        wasClean: true,
      });
    } finally {
      child.kill();
    }
  },
);
