// The conformance suite against the echo example, started as benchmarks start it, in each runtime:
// `node|deno run -A|bun dist/examples/echo.js --port N`, each on its native host; and a second echo
// with `--deflate` (permessage-deflate accepted) for sections 12 and 13.
import { afterAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { formatReport, runServerSuite, summaryLine } from "./conformance/index.ts";
import { RUNTIMES } from "./helpers/runtimes.ts";
import { spawnEcho } from "./helpers/spawn-echo.ts";

describe.each(RUNTIMES)("%s", (name, command) => {
  let echo: Awaited<ReturnType<typeof spawnEcho>> | undefined;
  let deflateEcho: Awaited<ReturnType<typeof spawnEcho>> | undefined;
  afterAll(() => {
    echo?.stop();
    deflateEcho?.stop();
  });

  it("the echo example passes the server suite", async () => {
    echo = await spawnEcho(command);
    const report = await runServerSuite({ url: echo.url, timeoutMs: 5000 });
    console.log(summaryLine(report.counts));
    for (const r of report.results) if (r.verdict === "FAIL") console.log(r);
    expect(report.counts.FAIL).toBe(0);
    expect(report.counts["NON-STRICT"]).toBe(0);
  }, 600_000);

  it("lifts limits to 1 GiB, not to infinity: a 1 TiB frame announcement is refused with 1009", async () => {
    echo ??= await spawnEcho(command);
    const ws = new WebSocket(echo.url);
    await new Promise((resolve) => ws.once("open", resolve));
    const closed = new Promise<number>((resolve) => ws.once("close", resolve));
    // A masked binary frame header announcing 2^40 bytes, a zero mask, and the first payload bytes.
    const header = Buffer.concat([Buffer.from("82ff0000010000000000", "hex"), Buffer.alloc(4 + 64)]);
    (ws as unknown as { _socket: import("node:net").Socket })._socket.write(header);
    expect(await closed).toBe(1009);
  });

  it("the echo example with --deflate passes sections 12 and 13 (permessage-deflate)", async () => {
    deflateEcho = await spawnEcho(command, ["--deflate"]);
    const report = await runServerSuite({ url: deflateEcho.url, cases: "12.*,13.*", timeoutMs: 5000 });
    console.log(summaryLine(report.counts));
    if (report.counts.PASS !== report.results.length)
      console.log(formatReport(`echo --deflate on ${name}`, report.results));
    // It accepts every offer, so nothing is declined (INFORMATIONAL) and nothing may FAIL.
    expect(report.counts.FAIL).toBe(0);
    expect(report.counts.INFORMATIONAL).toBe(0);
    expect(report.counts["NON-STRICT"]).toBe(0);
  }, 300_000);
});
