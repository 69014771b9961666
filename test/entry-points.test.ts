// The bare `wasmsock` import picks the host by export condition in each runtime, and Deno also
// takes `npm:wasmsock/deno`; checked from a project that depends on the package.
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, expect, it } from "vitest";
import { RUNTIMES } from "./helpers/runtimes.ts";

const project = mkdtempSync(join(tmpdir(), "wasmsock-user-"));
mkdirSync(join(project, "node_modules"));
symlinkSync(resolve("."), join(project, "node_modules", "wasmsock"));
writeFileSync(join(project, "package.json"), '{ "type": "module", "dependencies": { "wasmsock": "*" } }');
writeFileSync(join(project, "bare.js"), 'import { host } from "wasmsock"; console.log(host);');
writeFileSync(join(project, "npm.js"), 'import { host } from "npm:wasmsock/deno"; console.log(host);');
afterAll(() => rmSync(project, { recursive: true, force: true }));

function run(command: string[], file: string): string {
  const [bin, ...args] = command.map((c) => (c.startsWith("node_modules/") ? resolve(c) : c));
  return execFileSync(bin, [...args, file], { cwd: project, encoding: "utf8" }).trim();
}

it.each(RUNTIMES)("a bare import of wasmsock loads the %s host", (name, command) => {
  expect(run(command, "bare.js")).toBe(name);
});

it("deno loads npm:wasmsock/deno", () => {
  expect(run(RUNTIMES[1][1], "npm.js")).toBe("deno");
});

// Bun's TextDecoder("latin1") is windows-1252, as the Encoding standard says; Node's is ISO-8859-1.
it.each([RUNTIMES[0], RUNTIMES[2]])(
  "in %s without fromBase64 and Buffer: the inlined builds decode to the built .wasm files, header bytes to ISO-8859-1",
  (_, command) => {
    writeFileSync(
      join(project, "inline.js"),
      [
        "import { readFileSync } from 'node:fs';",
        "const NodeBuffer = Buffer;",
        "const bytes = [];",
        "const { Module } = WebAssembly;",
        "WebAssembly.Module = function (b) { bytes.push(NodeBuffer.from(b)); return new Module(b); };",
        "delete Uint8Array.fromBase64;",
        "globalThis.Buffer = undefined;",
        "const { createCore } = await import('wasmsock/internal');",
        "createCore('simd');",
        "createCore('scalar');",
        "const built = ['wasmsock.wasm', 'wasmsock-scalar.wasm'].map((f) => readFileSync('node_modules/wasmsock/build/' + f));",
        "console.log(bytes.map((b, i) => NodeBuffer.compare(b, built[i]) === 0).join(' '));",
        "const { parseUpgrade } = await import('wasmsock/core');",
        "const key = 'GET / HTTP/1.1\\r\\nHost: a\\r\\nUpgrade: websocket\\r\\nConnection: Upgrade\\r\\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\\r\\nSec-WebSocket-Version: 13\\r\\nx-long: ';",
        "const value = Array.from({ length: 5000 }, (_, i) => [0x80, 0x9f, 0xe9, 0x41][i % 4]);",
        "const req = parseUpgrade(new Uint8Array([...new TextEncoder().encode(key), ...value, 13, 10, 13, 10]));",
        "console.log(req.status, [...req.headers['x-long']].every((c, i) => c.charCodeAt(0) === value[i]));",
      ].join("\n"),
    );
    expect(run(command, "inline.js")).toBe("true true\n101 true");
  },
);
