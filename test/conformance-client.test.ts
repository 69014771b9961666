// Mode 2 of the conformance suite with wasmsock's own client in each runtime: the fuzzing server
// plays every case and our Autobahn driver (examples/autobahn-client.ts) must echo its way to no FAIL.
// That includes sections 12 and 13 (permessage-deflate): our client offers the extension by default,
// as browsers do, and a client that offers nothing fails them.
import { spawn } from "node:child_process";
import { expect, it } from "vitest";
import { formatReport, startFuzzingServer, tally } from "./conformance/index.ts";
import { RUNTIMES } from "./helpers/runtimes.ts";

it.each(RUNTIMES)(
  "the fuzzing server finds no FAIL in our client on %s",
  { timeout: 240_000 },
  async (name, command) => {
    const server = await startFuzzingServer({ port: 0 });
    const done = server.waitForReport(name, 230_000);
    const child = spawn(
      command[0],
      [...command.slice(1), "dist/examples/autobahn-client.js", "--url", server.url, "--agent", name],
      { stdio: "inherit" },
    );
    const exited = new Promise<never>((_, reject) =>
      child.on("exit", (code) => code !== 0 && reject(new Error(`driver exited with ${code}`))),
    );
    try {
      const results = await Promise.race([done, exited]);
      console.log(formatReport(`wasmsock client on ${name}`, results));
      console.log(tally(results));
      expect(results).toHaveLength(server.caseIds.length);
      expect(results.filter((r) => r.verdict === "FAIL")).toEqual([]);
      // Compression cases are never declined for want of an offer we can use.
      const compression = results.filter((r) => /^1[23]\./.test(r.id));
      expect(compression.length).toBeGreaterThan(240);
      expect(compression.filter((r) => r.verdict === "INFORMATIONAL")).toEqual([]);
    } finally {
      child.kill();
      await server.close();
    }
  },
);
