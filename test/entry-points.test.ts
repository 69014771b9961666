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

it("the inlined builds decode to the built .wasm files where neither fromBase64 nor Buffer exists", () => {
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
      "const built = ['wasmsock.wasm', 'wasmsock-scalar.wasm'].map((f) => readFileSync(`node_modules/wasmsock/build/${f}`));",
      "console.log(bytes.map((b, i) => NodeBuffer.compare(b, built[i]) === 0).join(' '));",
    ].join("\n"),
  );
  expect(run(["node"], "inline.js")).toBe("true true");
});
