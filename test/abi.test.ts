// The seam between the core and host-core is checked, not trusted: host-core/abi.ts is what the
// generator makes of assembly/abi.ts, CoreExports lists exactly what each build exports, and every
// error id the core can report has a name.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import * as abi from "../host-core/abi.ts";
import { WebSocketError } from "../host-core/errors.ts";

const read = (path: string) => readFileSync(new URL(`../${path}`, import.meta.url), "utf8");

describe("the ABI seam", () => {
  it("host-core/abi.ts is generated from assembly/abi.ts as it is now", () => {
    const fresh = execFileSync("node", ["scripts/gen-abi.mjs", "--print"], { encoding: "utf8" });
    expect(read("host-core/abi.ts")).toBe(fresh);
  });

  it("every constant of assembly/abi.ts has the same value in host-core", () => {
    const source = read("assembly/abi.ts");
    const names = [...source.matchAll(/^export const (\w+)/gm)].map((m) => m[1]);
    expect(names.length).toBeGreaterThan(50);
    expect(Object.keys(abi).sort()).toEqual([...names].sort());
  });

  it.each(["build/wasmsock.wasm", "build/wasmsock-scalar.wasm"])(
    "CoreExports lists what %s exports",
    (file) => {
      const module = new WebAssembly.Module(readFileSync(new URL(`../${file}`, import.meta.url)));
      const exported = WebAssembly.Module.exports(module).map((e) => e.name);
      const declared = [...read("host-core/exports.ts").matchAll(/^ {2}(\w+)[(:]/gm)].map((m) => m[1]);
      expect(declared.sort()).toEqual(exported.sort());
    },
  );

  it("every error id the core reports has a stable WS_ERR_ code", () => {
    const ids = Object.entries(abi).filter(([name]) => name.startsWith("ERR_"));
    expect(ids.length).toBeGreaterThan(30);
    for (const [name, id] of ids)
      expect(WebSocketError.fromCore(id).code, name).toMatch(/^WS_ERR_[A-Z0-9_]+$/);
    expect(WebSocketError.fromCore(9999).code).toBe("WS_ERR_UNKNOWN");
  });

  it("host-core names error ids and event fields instead of writing their numbers", () => {
    for (const file of [
      "session.ts",
      "handshake.ts",
      "client-handshake.ts",
      "server-policy.ts",
      "client.ts",
    ]) {
      const text = read(`host-core/${file}`);
      expect(text, file).not.toMatch(/fromCore\(\d/);
      expect(text, file).not.toMatch(/\be \+= \d/);
    }
  });
});
