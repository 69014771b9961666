// Small whole messages in the default mode, in every runtime (test/runtime/small-messages-fixture.ts):
// on Bun, where a copy is cheaper than a view, each of up to 64 bytes comes in an array of its own;
// elsewhere as a view of the chunk's copy. Either way every message keeps its bytes after later
// chunks. Needs `npm run build`.
import { spawn } from "node:child_process";
import { expect, it } from "vitest";
import { RUNTIMES } from "./helpers/runtimes.ts";

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

it.each(RUNTIMES)("small messages hold their own bytes on %s", { timeout: 30_000 }, async (name, command) => {
  const child = spawn(command[0], [...command.slice(1), "dist/test/runtime/small-messages-fixture.js"], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  let out = "";
  child.stdout!.on("data", (d: Buffer) => (out += d));
  const code = await new Promise((resolve) => child.on("exit", resolve));
  expect(code).toBe(0);
  expect(JSON.parse(out)).toEqual({ messages: 162, wrong: [], own: name === "bun" ? range(1, 64) : [] });
});
