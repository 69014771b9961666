// Node 22, for what Node 20 lacks (listen({ reusePort }) came in 22.12): the official binary as the
// npm registry ships it (node-<platform>-<arch>), installed on first use under node_modules/.cache.
import { execFileSync } from "node:child_process";
import { existsSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";

const VERSION = "22.23.3";
const PREFIX = join("node_modules", ".cache", `node-${VERSION}`);
const PACKAGE = `node-${process.platform}-${process.arch}`;
const binIn = (prefix: string) => join(prefix, "node_modules", PACKAGE, "bin", "node");

/** The path of a Node 22 binary, installed from the npm registry when it is not there yet. */
export function node22(): string {
  const bin = binIn(PREFIX);
  if (!existsSync(bin)) {
    // Test files run in parallel workers: each installs into a folder of its own, and the first
    // to rename it into place wins.
    const mine = `${PREFIX}.${process.pid}`;
    const npm = process.platform === "win32" ? "npm.cmd" : "npm";
    const args = [
      "install",
      "--prefix",
      mine,
      "--no-save",
      "--no-audit",
      "--no-fund",
      "--loglevel=error",
      `${PACKAGE}@${VERSION}`,
    ];
    execFileSync(npm, args, { stdio: "inherit" });
    try {
      renameSync(mine, PREFIX);
    } catch {
      rmSync(mine, { recursive: true, force: true });
    }
  }
  const version = execFileSync(bin, ["--version"], { encoding: "utf8" }).trim();
  if (version !== `v${VERSION}`) throw new Error(`${bin} is ${version}, not v${VERSION}`);
  return bin;
}
