// The shipped .d.ts files, as a user's project sees them: `tsc` with lib ES2022, @types/node, no DOM
// lib and no skipLibCheck, for the node and bun conditions; `deno check` for Deno. The package is
// copied into the project's node_modules the way npm installs it.
import { execFileSync } from "node:child_process";
import {
  copyFileSync,
  cpSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, expect, it } from "vitest";

const project = mkdtempSync(join(tmpdir(), "wasmsock-types-"));
mkdirSync(join(project, "node_modules", "@types"), { recursive: true });
// A copy, as npm installs it: Deno treats a symlink out of node_modules as local code, not a package.
const installed = join(project, "node_modules", "wasmsock");
cpSync(resolve("dist"), join(installed, "dist"), { recursive: true });
mkdirSync(join(installed, "build"));
for (const f of readdirSync("build").filter((f) => f.endsWith(".wasm")))
  copyFileSync(join("build", f), join(installed, "build", f));
copyFileSync("package.json", join(installed, "package.json"));
symlinkSync(resolve("node_modules/@types/node"), join(project, "node_modules", "@types", "node"));
symlinkSync(resolve("node_modules/undici-types"), join(project, "node_modules", "undici-types"));
writeFileSync(join(project, "package.json"), '{ "type": "module", "dependencies": { "wasmsock": "*" } }');
for (const file of ["node.ts", "bun.ts", "deno.ts"])
  copyFileSync(resolve("test/fixtures/consumer", file), join(project, file));
afterAll(() => rmSync(project, { recursive: true, force: true }));

function tsconfig(name: string, files: string[], conditions: string[] = []): string {
  const config = {
    compilerOptions: {
      target: "es2022",
      module: "nodenext",
      moduleResolution: "nodenext",
      lib: ["ES2022"],
      types: ["node"],
      strict: true,
      noEmit: true,
      customConditions: conditions,
    },
    files,
  };
  writeFileSync(join(project, name), JSON.stringify(config));
  return name;
}

function check(command: string, args: string[]): string {
  try {
    execFileSync(command, args, { cwd: project, encoding: "utf8", stdio: "pipe" });
    return "";
  } catch (e) {
    const { stdout, stderr } = e as { stdout: string; stderr: string };
    return `${stdout}${stderr}`;
  }
}

it("typechecks a Node user's code with tsc, lib ES2022 and @types/node, no DOM, no skipLibCheck", () => {
  expect(check(resolve("node_modules/.bin/tsc"), ["-p", tsconfig("tsconfig.node.json", ["node.ts"])])).toBe(
    "",
  );
});

it("types the bare import as the Bun host under the bun condition", () => {
  const config = tsconfig("tsconfig.bun.json", ["bun.ts"], ["bun"]);
  expect(check(resolve("node_modules/.bin/tsc"), ["-p", config])).toBe("");
});

it("types the bare import as the Deno host in deno check", () => {
  expect(check(resolve("node_modules/.bin/deno"), ["check", "deno.ts"])).toBe("");
});
