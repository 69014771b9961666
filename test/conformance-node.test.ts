// The conformance suite against the echo example, run as benchmarks run it: `node dist/examples/echo.js`.
import { type ChildProcess, spawn } from "node:child_process";
import { afterAll, beforeAll, expect, it } from "vitest";
import { runServerSuite, summaryLine } from "./conformance/index.ts";

let child: ChildProcess;
let url: string;

beforeAll(async () => {
  child = spawn(process.execPath, ["dist/examples/echo.js", "--port", "0"], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const line = await new Promise<string>((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`echo exited with ${code}; run npm run build first`)));
    child.stdout!.on("data", (b: Buffer) => resolve(b.toString()));
  });
  url = line.match(/ws:\/\/\S+/)![0];
});

afterAll(() => {
  child?.kill();
});

it("the echo example passes the server suite", async () => {
  const report = await runServerSuite({ url, timeoutMs: 5000 });
  console.log(summaryLine(report.counts));
  for (const r of report.results) if (r.verdict === "FAIL") console.log(r);
  expect(report.counts.FAIL).toBe(0);
}, 600_000);
