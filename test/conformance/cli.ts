// npx tsx test/conformance/cli.ts server --url ws://127.0.0.1:9001 [--cases 1.*,5.*] [--timeout 5000] [--json out.json]
// npx tsx test/conformance/cli.ts fuzzingserver [--port 9001] [--cases ...] [--timeout 5000]
import { writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { startFuzzingServer } from "./fuzzing-server.ts";
import { formatReport, summaryLine, tally } from "./report.ts";
import { runServerSuite } from "./server-tester.ts";

const USAGE = `usage:
  cli.ts server --url ws://127.0.0.1:9001[/path] [--cases 1.*,5.*] [--timeout ms] [--json file]
  cli.ts fuzzingserver [--port 9001] [--cases 1.*,5.*] [--timeout ms]`;

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    url: { type: "string" },
    port: { type: "string" },
    cases: { type: "string" },
    timeout: { type: "string" },
    json: { type: "string" },
  },
});
const timeoutMs = values.timeout ? Number(values.timeout) : undefined;

if (positionals[0] === "server" && values.url) {
  const report = await runServerSuite({
    url: values.url,
    cases: values.cases,
    timeoutMs,
    onResult: (r) => r.verdict === "FAIL" && console.error(`FAIL ${r.id}: ${r.reason}`),
  });
  console.log(formatReport(`Server suite against ${values.url} (${report.durationMs} ms)`, report.results));
  if (values.json) writeFileSync(values.json, JSON.stringify(report, null, 2));
  process.exitCode = report.counts.FAIL > 0 ? 1 : 0;
} else if (positionals[0] === "fuzzingserver") {
  const server = await startFuzzingServer({
    port: values.port ? Number(values.port) : 9001,
    cases: values.cases,
    timeoutMs,
    onUpdateReports: (agent, results) => {
      console.log(formatReport(`Client suite, agent "${agent}"`, results));
      console.log(`agent ${agent}: ${summaryLine(tally(results))}`);
    },
  });
  console.log(`fuzzing server on ${server.url} with ${server.caseIds.length} cases; Ctrl-C to stop`);
  process.once("SIGINT", () => void server.close().then(() => process.exit(0)));
} else {
  console.error(USAGE);
  process.exitCode = 2;
}
