// The conformance suite proved against a known-good peer, `ws`: as a server (mode 1) and as a client (mode 2).
import { describe, expect, it } from "vitest";
import WebSocket from "ws";
import { startFuzzingServer } from "./conformance/fuzzing-server.ts";
import { acceptFor } from "./conformance/http.ts";
import { formatReport } from "./conformance/report.ts";
import { runServerSuite } from "./conformance/server-tester.ts";
import { encodeFrame, FrameReader, hex, Op } from "./conformance/wire.ts";
import { startWsEchoServer } from "./conformance/ws-echo-server.ts";

describe("wire: the RFC's own examples", () => {
  it("4.2.2: key dGhlIHNhbXBsZSBub25jZQ== is accepted as s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", () => {
    expect(acceptFor("dGhlIHNhbXBsZSBub25jZQ==")).toBe("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
  });

  it('5.7: unmasked "Hello" is 81 05 48 65 6c 6c 6f', () => {
    expect(encodeFrame({ op: Op.text, payload: Buffer.from("Hello") }, false)).toEqual(
      hex("81 05 48656c6c6f"),
    );
  });

  it('5.7: "Hello" masked with 37 fa 21 3d is 81 85 37 fa 21 3d 7f 9f 4d 51 58', () => {
    const key = hex("37fa213d");
    const bytes = encodeFrame({ op: Op.text, payload: Buffer.from("Hello"), maskKey: key }, true);
    expect(bytes).toEqual(hex("81 85 37fa213d 7f9f4d5158"));
    const reader = new FrameReader();
    for (const b of bytes) reader.push(Buffer.from([b])); // one byte at a time
    expect(reader.next()).toMatchObject({
      fin: true,
      op: Op.text,
      masked: true,
      payload: Buffer.from("Hello"),
    });
  });

  it("5.7: a 256-byte binary frame uses the 16-bit length 7e 01 00", () => {
    expect(encodeFrame({ op: Op.binary, payload: Buffer.alloc(256) }, false).subarray(0, 4)).toEqual(
      hex("82 7e 0100"),
    );
  });
});

describe("server suite against the ws echo server", () => {
  it("runs every case with no FAIL", { timeout: 180_000 }, async () => {
    const server = await startWsEchoServer(0);
    try {
      const report = await runServerSuite({ url: `ws://127.0.0.1:${server.port}/` });
      console.log(formatReport(`ws ${server.port}: ${report.durationMs} ms`, report.results));
      expect(report.results.filter((r) => r.verdict === "FAIL")).toEqual([]);
      expect(report.counts.PASS).toBeGreaterThan(300);
    } finally {
      await server.close();
    }
  });

  it("catches a server that skips UTF-8 validation (6.x and 7.5.1 must FAIL)", {
    timeout: 30_000,
  }, async () => {
    const server = await startWsEchoServer(0, { skipUTF8Validation: true });
    try {
      const url = `ws://127.0.0.1:${server.port}/`;
      const report = await runServerSuite({ url, cases: "6.3.1,6.20.1,7.5.1,6.5.1", timeoutMs: 500 });
      expect(report.results.map((r) => [r.id, r.verdict])).toEqual([
        ["6.3.1", "FAIL"],
        ["6.5.1", "PASS"],
        ["6.20.1", "FAIL"],
        ["7.5.1", "FAIL"],
      ]);
    } finally {
      await server.close();
    }
  });

  it("fails every case cleanly when nothing listens", { timeout: 30_000 }, async () => {
    const report = await runServerSuite({ url: "ws://127.0.0.1:1/", cases: "0.1,1.1.1" });
    expect(report.counts.FAIL).toBe(2);
  });
});

/** A client driver for the fuzzing-server protocol, with `ws` as the client under test. */
function visit(base: string, path: string, echo: boolean): Promise<string | undefined> {
  return new Promise((resolve) => {
    const ws = new WebSocket(base + path);
    let first: string | undefined;
    ws.on("message", (data, isBinary) => {
      first ??= data.toString();
      if (echo) ws.send(data, { binary: isBinary });
    });
    ws.on("error", () => {}); // the failures each case provokes; "close" follows
    ws.on("close", () => resolve(first));
  });
}

describe("fuzzing server against a ws client", () => {
  it("plays every case to the ws client with no FAIL", { timeout: 180_000 }, async () => {
    const server = await startFuzzingServer({ port: 0 });
    try {
      const reported = server.waitForReport("ws");
      const count = Number(await visit(server.url, "/getCaseCount", false));
      expect(count).toBe(server.caseIds.length);
      for (let i = 1; i <= count; i++) await visit(server.url, `/runCase?case=${i}&agent=ws`, true);
      await visit(server.url, "/updateReports?agent=ws", false);
      const results = await reported;
      console.log(formatReport("ws client", results));
      expect(results).toHaveLength(count);
      expect(results.filter((r) => r.verdict === "FAIL")).toEqual([]);
    } finally {
      await server.close();
    }
  });

  it("records FAIL for a client that does not echo", { timeout: 30_000 }, async () => {
    const server = await startFuzzingServer({ port: 0, cases: "1.1.1,2.1", timeoutMs: 500 });
    try {
      for (const i of [1, 2]) await visit(server.url, `/runCase?case=${i}&agent=mute`, false);
      // 1.1.1 needs an echo the client never sends; 2.1's pong is automatic.
      expect(server.results("mute").map((r) => r.verdict)).toEqual(["FAIL", "PASS"]);
    } finally {
      await server.close();
    }
  });
});
