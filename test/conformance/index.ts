// The suite's public surface, for tests that run it against wasmsock's own server and client.
export { allCases, frameCases, handshakeCases, SECTIONS, select } from "./cases/index.ts";
export { type FuzzingServer, type FuzzingServerOptions, startFuzzingServer } from "./fuzzing-server.ts";
export { formatReport, summaryLine, type Tally, tally } from "./report.ts";
export { runServerSuite, type ServerSuiteOptions, type SuiteReport } from "./server-tester.ts";
export type { CaseResult, Verdict } from "./types.ts";
