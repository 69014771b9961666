// wss:// on every runtime's native TLS (node:tls, Deno.listenTls/connectTls, Bun's tls): the
// runtime's server and client talk to each other, and ws from Node talks to that server.
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { afterAll, expect, it } from "vitest";
import WsClient from "ws";
import { RUNTIMES } from "./helpers/runtimes.ts";

const dir = mkdtempSync(join(tmpdir(), "wasmsock-tls-"));
const file = (name: string) => join(dir, name);
const openssl = (...args: string[]) => execFileSync("openssl", args, { stdio: "ignore" });
const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
// A CA and a leaf it signed: rustls (Deno) refuses a self-signed CA as the server's certificate and
// reads the name from subjectAltName only.
openssl(
  "req",
  "-x509",
  ...ec,
  "-days",
  "1",
  "-subj",
  "/CN=wasmsock test CA",
  "-keyout",
  file("ca-key"),
  "-out",
  file("ca"),
);
openssl("req", ...ec, "-subj", "/CN=localhost", "-keyout", file("key"), "-out", file("csr"));
writeFileSync(file("ext"), "subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n");
openssl(
  ...["x509", "-req", "-in", file("csr"), "-CA", file("ca"), "-CAkey", file("ca-key"), "-CAcreateserial"],
  ...["-days", "1", "-extfile", file("ext"), "-out", file("cert")],
);
const [ca, cert, key] = ["ca", "cert", "key"].map((name) => readFileSync(file(name), "utf8"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

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
