// The conformance suite against the echo example, started as benchmarks start it, in each runtime:
// `node|deno run -A|bun dist/examples/echo.js --port N`, each on its native host.
import { afterAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { runServerSuite, summaryLine } from "./conformance/index.ts";
import { RUNTIMES } from "./helpers/runtimes.ts";
import { spawnEcho } from "./helpers/spawn-echo.ts";

describe.each(RUNTIMES)("%s", (_name, command) => {
  let echo: Awaited<ReturnType<typeof spawnEcho>> | undefined;
  afterAll(() => echo?.stop());

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
    // A masked binary frame header announcing 2^40 bytes, and the first bytes of its payload.
    const header = Buffer.from("82ff0000010000000000" + "00000000" + "00".repeat(64), "hex");
    (ws as unknown as { _socket: import("node:net").Socket })._socket.write(header);
    expect(await closed).toBe(1009);
  });
});
