// Sections 12 and 13 (permessage-deflate, RFC 7692) proved against peers known to compress correctly:
// ws's server and client, and python3-websockets' server; and shown to catch peers broken on purpose.
import { describe, expect, it } from "vitest";
import { answerOffers, checkAnswer, DeflateSession, deflateStatic } from "./conformance/deflate.ts";
import { startFuzzingServer } from "./conformance/fuzzing-server.ts";
import { startMutatingProxy } from "./conformance/mutating-proxy.ts";
import { hasPythonWebsockets, startPythonEchoServer } from "./conformance/python-echo-server.ts";
import { formatReport } from "./conformance/report.ts";
import { runServerSuite } from "./conformance/server-tester.ts";
import type { CaseResult } from "./conformance/types.ts";
import { hex } from "./conformance/wire.ts";
import { runWsClient } from "./conformance/ws-client-driver.ts";
import { startWsEchoServer } from "./conformance/ws-echo-server.ts";

const DEFLATE = "12.*,13.*";
const fails = (results: CaseResult[]) => results.filter((r) => r.verdict === "FAIL");
const verdicts = (results: CaseResult[]) => results.map((r) => [r.id, r.verdict]);

describe("deflate: the RFC's own examples and negotiation rules", () => {
  it('7.2.3.1: "Hello" compresses to f2 48 cd c9 c9 07 00', () => {
    expect(deflateStatic(Buffer.from("Hello"))).toEqual(hex("f248cdc9c90700"));
  });

  it("7.2.3.2: a second 'Hello' sharing the window (f2 00 11 00 00) inflates with context takeover only", () => {
    const n = { serverNoContext: false, serverWindow: 15, clientNoContext: false, clientWindow: 15 };
    const rx = new DeflateSession(n, "client");
    expect(rx.inflate(hex("f248cdc9c90700")).toString()).toBe("Hello");
    expect(rx.inflate(hex("f200110000")).toString()).toBe("Hello");
    const fresh = new DeflateSession({ ...n, serverNoContext: true }, "client");
    fresh.inflate(hex("f248cdc9c90700"));
    expect(() => fresh.inflate(hex("f200110000"))).toThrow(/distance too far back/);
    // The tester's compressor takes over context the same way: the second message is shorter.
    const tx = new DeflateSession(n, "client");
    const first = tx.compress(Buffer.from("Hello, Hello, Hello"));
    expect(tx.compress(Buffer.from("Hello, Hello, Hello")).length).toBeLessThan(first.length);
  });

  it("7.1: answers must stay within the offer", () => {
    const nine = [{ server_max_window_bits: 9, client_max_window_bits: 9 }];
    expect(checkAnswer(nine, "permessage-deflate; server_max_window_bits=9")).toMatchObject({
      negotiated: { serverWindow: 9, clientWindow: 9 },
    });
    expect(checkAnswer(nine, "permessage-deflate; server_max_window_bits=10")).toHaveProperty("problem");
    expect(checkAnswer(nine, "permessage-deflate")).toHaveProperty("problem");
    expect(checkAnswer([{}], "permessage-deflate; client_max_window_bits=10")).toHaveProperty("problem");
    expect(checkAnswer([{}], "permessage-deflate; server_no_context_takeover=1")).toHaveProperty("problem");
    expect(checkAnswer([{}], "permessage-deflate; server_max_window_bits=12")).toMatchObject({
      negotiated: { serverWindow: 12 },
    });
    // Several offers: the answer may fit a later one.
    const two = [{ server_no_context_takeover: true as const }, {}];
    expect(checkAnswer(two, "permessage-deflate")).toMatchObject({ offer: 1 });
  });

  it("7.1: the fuzzing server answers as the case asks, or says why it cannot", () => {
    const offer = "permessage-deflate; client_max_window_bits";
    expect(answerOffers(offer, [{ server_max_window_bits: 9, client_max_window_bits: 9 }])).toMatchObject({
      kind: "accepted",
      answer: "permessage-deflate; client_max_window_bits=9",
      negotiated: { serverWindow: 9, clientWindow: 9 },
    });
    expect(answerOffers("permessage-deflate", [{ client_max_window_bits: 9 }])).toMatchObject({
      kind: "unsatisfiable",
    });
    expect(answerOffers(undefined, [{}])).toEqual({ kind: "none" });
    expect(answerOffers("permessage-deflate; foo", [{}])).toMatchObject({ kind: "invalid" });
  });
});

describe("sections 12 and 13 against reference peers", () => {
  it("ws's server (perMessageDeflate, threshold 0): all PASS", { timeout: 120_000 }, async () => {
    const server = await startWsEchoServer(0, { perMessageDeflate: { threshold: 0 } });
    try {
      const report = await runServerSuite({ url: `ws://127.0.0.1:${server.port}/`, cases: DEFLATE });
      console.log(formatReport(`ws server, deflate: ${report.durationMs} ms`, report.results));
      expect(fails(report.results)).toEqual([]);
      expect(report.counts.PASS).toBe(report.results.length);
      expect(report.results.length).toBeGreaterThan(240);
    } finally {
      await server.close();
    }
  });

  it("ws's client (perMessageDeflate, threshold 0): all PASS", { timeout: 120_000 }, async () => {
    const server = await startFuzzingServer({ port: 0, cases: DEFLATE });
    try {
      const reported = server.waitForReport("ws");
      await runWsClient(server.url, "ws");
      const results = await reported;
      console.log(formatReport("ws client, deflate", results));
      expect(results).toHaveLength(server.caseIds.length);
      expect(fails(results)).toEqual([]);
      expect(results.every((r) => r.verdict === "PASS")).toBe(true);
    } finally {
      await server.close();
    }
  });

  it("python3-websockets' server: no FAIL", { timeout: 120_000 }, async (ctx) => {
    if (!(await hasPythonWebsockets())) return ctx.skip();
    const server = await startPythonEchoServer();
    try {
      const report = await runServerSuite({ url: `ws://127.0.0.1:${server.port}/`, cases: DEFLATE });
      console.log(formatReport(`python websockets, deflate: ${report.durationMs} ms`, report.results));
      expect(fails(report.results)).toEqual([]);
      expect(report.counts.INFORMATIONAL).toBe(0);
      // websockets fails undecodable data with 1002, not 1007: the one NON-STRICT.
      expect(report.results.filter((r) => r.verdict === "NON-STRICT").map((r) => r.id)).toEqual(["12.0.14"]);
    } finally {
      server.close();
    }
  });
});

describe("sections 12 and 13 catch broken peers", () => {
  /** ws's compressing echo behind a proxy with `m`'s mutations, run on `cases`. */
  async function mutatedServer(cases: string, m: Parameters<typeof startMutatingProxy>[1]) {
    const server = await startWsEchoServer(0, { perMessageDeflate: { threshold: 0 } });
    const proxy = await startMutatingProxy(server.port, m);
    try {
      const report = await runServerSuite({ url: `ws://127.0.0.1:${proxy.port}/`, cases, timeoutMs: 1000 });
      return report.results;
    } finally {
      await proxy.close();
      await server.close();
    }
  }

  it("a server that answers server_max_window_bits beyond the offer", { timeout: 30_000 }, async () => {
    const results = await mutatedServer("13.3.1", {
      response: (h) => h.replace("server_max_window_bits=9", "server_max_window_bits=10"),
    });
    expect(verdicts(results)).toEqual([["13.3.1", "FAIL"]]);
    expect(results[0].reason).toMatch(/exceeds the offered 9/);
  });

  it("a server that announces a 2^9 window but compresses with 2^15", { timeout: 30_000 }, async () => {
    const results = await mutatedServer("13.3.7", {
      request: (h) => h.replace("; server_max_window_bits=9", ""),
      response: (h) => h.replace("permessage-deflate", "permessage-deflate; server_max_window_bits=9"),
    });
    expect(verdicts(results)).toEqual([["13.3.7", "FAIL"]]);
    expect(results[0].reason).toMatch(/does not inflate \(window 2\^9/);
  });

  it("a server that announces no context takeover but takes it over", { timeout: 30_000 }, async () => {
    const results = await mutatedServer("13.2.4", {
      request: (h) => h.replace("server_no_context_takeover; ", ""),
      response: (h) => h.replace("permessage-deflate", "permessage-deflate; server_no_context_takeover"),
    });
    expect(verdicts(results)).toEqual([["13.2.4", "FAIL"]]);
    expect(results[0].reason).toMatch(/no context takeover\): invalid distance too far back/);
  });

  it("a server that corrupts one compressed echo", { timeout: 30_000 }, async () => {
    const results = await mutatedServer("12.1.4,12.0.1", {
      serverFrame: (f, n) => {
        if (n !== 2 || !(f.rsv & 4)) return f;
        const payload = Buffer.from(f.payload);
        payload[payload.length >> 1] ^= 0x55;
        return { ...f, payload };
      },
    });
    expect(verdicts(results)).toEqual([
      ["12.0.1", "PASS"],
      ["12.1.4", "FAIL"],
    ]);
  });

  it("a server without compression: declined cases are INFORMATIONAL, RSV1 is refused", {
    timeout: 30_000,
  }, async () => {
    const server = await startWsEchoServer(0);
    try {
      const url = `ws://127.0.0.1:${server.port}/`;
      const report = await runServerSuite({ url, cases: "12.0.1,12.0.16,13.1.1" });
      expect(verdicts(report.results)).toEqual([
        ["12.0.1", "INFORMATIONAL"],
        ["12.0.16", "PASS"],
        ["13.1.1", "INFORMATIONAL"],
      ]);
    } finally {
      await server.close();
    }
  });

  it("a client that does not offer permessage-deflate fails sections 12/13", {
    timeout: 30_000,
  }, async () => {
    const server = await startFuzzingServer({ port: 0, cases: "12.0.1,12.0.16,12.1.1,13.7.1" });
    try {
      const reported = server.waitForReport("plain");
      await runWsClient(server.url, "plain", { perMessageDeflate: false });
      expect(verdicts(await reported)).toEqual([
        ["12.0.1", "FAIL"],
        ["12.0.16", "PASS"],
        ["12.1.1", "FAIL"],
        ["13.7.1", "FAIL"],
      ]);
    } finally {
      await server.close();
    }
  });

  it("a client told not to take over context that takes it over", { timeout: 30_000 }, async () => {
    const fuzz = await startFuzzingServer({ port: 0, cases: "13.2.4", timeoutMs: 1000 });
    // The client never sees client_no_context_takeover in the answer, so it keeps its context.
    const proxy = await startMutatingProxy(fuzz.port, {
      response: (h) => h.replace("; client_no_context_takeover", ""),
    });
    try {
      const reported = fuzz.waitForReport("ws");
      await runWsClient(`ws://127.0.0.1:${proxy.port}`, "ws");
      const results = await reported;
      expect(verdicts(results)).toEqual([["13.2.4", "FAIL"]]);
      expect(results[0].reason).toMatch(/no context takeover\): invalid distance too far back/);
    } finally {
      await proxy.close();
      await fuzz.close();
    }
  });
});
