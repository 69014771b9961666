// The benchmark harness's pure parts: the reference servers' 101, the ceiling's byte counter, and the
// report's floor and ceiling figures.
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { maskedFrame, OP_TEXT } from "../bench/frames.ts";
import { GUID, parseUpgrade } from "../bench/peers/raw-upgrade.js";
import {
  type Cell,
  ceilingBound,
  formatFraction,
  formatOverFloor,
  kernelShares,
  ofCeiling,
  overFloor,
  type Row,
  ratioPerServerCpu,
  ratioPerServerUserCpu,
  table,
} from "../bench/report.ts";
import { RawEchoCounter } from "../bench/scenarios/ceiling.ts";
import type { Result, Scenario } from "../bench/scenarios/scenario.ts";
import { REFERENCES, SERVERS, withV8Flags } from "../bench/servers.ts";

const cell = (server: string, ...values: number[]): Cell => ({
  server,
  results: values.map((value) => ({ value })),
  errors: [],
});

const scenario = (name: string, unit: string, higherIsBetter: boolean): Scenario => ({
  name,
  unit,
  higherIsBetter,
  describe: name,
  run: () => Promise.reject(new Error("not run")),
});

const memory: Row = {
  scenario: scenario("memory", "KiB/conn", false),
  cells: [cell("wasmsock-node", 6.2, 6.3, 6.4), cell("ws", 5.7)],
  floor: cell("node-floor", 5.8, 5.9),
};
const small: Row = {
  scenario: scenario("small", "msg/s", true),
  cells: [cell("wasmsock-node", 400_000), cell("ws", 40_000)],
  ceiling: cell("ceiling", 1_000_000),
};

describe("RFC 6455 section 4.2.2: the reference servers' 101", () => {
  // The sample key of section 1.3 and its accept value.
  const request =
    "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n";

  it("takes the key and answers 101 with the accept it is given", () => {
    const upgrade = parseUpgrade(request)!;
    expect(upgrade.key).toBe("dGhlIHNhbXBsZSBub25jZQ==");
    const accept = createHash("sha1")
      .update(upgrade.key + GUID)
      .digest("base64");
    expect(accept).toBe("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    expect(upgrade.response(accept)).toBe(
      "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
        "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n",
    );
  });

  it("refuses a request that is no WebSocket upgrade", () => {
    expect(parseUpgrade(request.replace("Upgrade: websocket", "Upgrade: h2c"))).toBeUndefined();
    expect(parseUpgrade(request.replace("Sec-WebSocket-Key", "X-Key"))).toBeUndefined();
  });

  it("RFC 7692 7.1: with --deflate, accepts permessage-deflate with the no_context_takeover it was offered", () => {
    const offer = `${request}Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits; server_no_context_takeover, x-other\r\n`;
    expect(parseUpgrade(offer, true)!.response("A")).toContain(
      "\r\nSec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover\r\n",
    );
    expect(parseUpgrade(offer, false)!.response("A")).not.toContain("Extensions");
  });
});

describe("the ceiling's byte counter", () => {
  const frame = maskedFrame(OP_TEXT, Buffer.from("hello, ceiling!!"));

  it("counts whole frames' worth of bytes, however the stream is cut", () => {
    const stream = Buffer.concat([frame, frame, frame]);
    const counter = new RawEchoCounter(frame, 16);
    for (let at = 0; at < stream.length; at += 5) {
      expect(counter.feed(stream.subarray(at, at + 5))).toBe(true);
      expect(counter.messages).toBe(Math.floor(Math.min(at + 5, stream.length) / frame.length));
    }
    expect(counter.messages).toBe(3);
    expect(counter.payloadBytes).toBe(48);
  });

  it("refuses an echo whose first frame differs from what was sent", () => {
    const counter = new RawEchoCounter(frame, 16);
    const wrong = Buffer.from(frame);
    wrong[frame.length - 1] ^= 1;
    expect(counter.feed(wrong.subarray(0, 10))).toBe(true);
    expect(counter.feed(wrong.subarray(10))).toBe(false);
    expect(counter.error).toMatch(/differs/);
  });
});

describe("the report's references", () => {
  it("subtracts the floor's median from each server's", () => {
    const [ours, ws] = overFloor(memory);
    expect(ours).toBeCloseTo(6.3 - 5.85);
    expect(ws).toBeCloseTo(5.7 - 5.85);
    expect(overFloor(small)).toEqual([undefined, undefined]);
  });

  it("divides each server's median by the ceiling's", () => {
    expect(ofCeiling(small)).toEqual([0.4, 0.04]);
    expect(ofCeiling({ ...small, ceiling: { ...cell("ceiling"), errors: ["failed"] } })).toEqual([
      undefined,
      undefined,
    ]);
  });

  it("formats the difference with its sign and the fraction as a percentage", () => {
    expect(formatOverFloor(0.45)).toBe("+0.45");
    expect(formatOverFloor(-0.15)).toBe("\u22120.15");
    expect(formatOverFloor(-0.001)).toBe("+0.00");
    expect(formatOverFloor(undefined)).toBe("-");
    expect(formatFraction(0.4)).toBe("40%");
    expect(formatFraction(0.042)).toBe("4.2%");
  });

  it("compares work per second of each server's own CPU, on throughput rows only", () => {
    const spent = (server: string, ...runs: [value: number, cpu: number][]): Cell => ({
      server,
      results: runs.map(([value, serverCpu]) => ({ value, serverCpu, generatorCpu: 1 })),
      errors: [],
    });
    const tied: Row = {
      scenario: small.scenario,
      cells: [spent("wasmsock-node", [100, 0.5], [90, 0.5], [120, 0.5]), spent("ws", [100, 1], [100, 0.8])],
    };
    expect(ratioPerServerCpu(tied)).toBeCloseTo(200 / 112.5);
    expect(ratioPerServerCpu(small)).toBeUndefined();
    expect(ratioPerServerCpu({ ...tied, scenario: memory.scenario })).toBeUndefined();
    expect(
      ratioPerServerCpu({ ...tied, cells: [tied.cells[0], { ...tied.cells[1], errors: ["x"] }] }),
    ).toBeUndefined();
    expect(table("node", [tied])).toMatch(/per srv cpu[\s\S]*\s1\.78\s/);
  });

  it("compares work per second of user-space CPU and prints each server's kernel share", () => {
    const spent = (server: string, ...runs: [value: number, cpu: number, system: number][]): Cell => ({
      server,
      results: runs.map(([value, serverCpu, serverSystemCpu]) => ({
        value,
        serverCpu,
        serverSystemCpu,
        generatorCpu: 1,
      })),
      errors: [],
    });
    // Tied in throughput and in CPU; ours spends 0.2 of a core in user space, ws 0.4.
    const row: Row = {
      scenario: small.scenario,
      cells: [spent("wasmsock-node", [100, 1, 0.8], [100, 1, 0.8]), spent("ws", [100, 1, 0.6])],
    };
    expect(ratioPerServerCpu(row)).toBeCloseTo(1);
    expect(ratioPerServerUserCpu(row)).toBeCloseTo(2);
    expect(kernelShares(row)).toEqual([0.8, 0.6]);
    expect(table("node", [row])).toMatch(/per srv user cpu[\s\S]*\s2\.00\s[\s\S]*\s80% \/ 60%/);
    // Readings without the split (an older result) give no user-space ratio.
    expect(ratioPerServerUserCpu({ ...row, cells: [spent("a", [100, 1, 0.8]), cell("b")] })).toBeUndefined();
  });

  it("says which core bounded the ceiling", () => {
    const run = (serverCore: number, generatorCore: number): Result => ({
      value: 1,
      serverCpu: 0.5,
      generatorCpu: 0.5,
      otherCpu: 0,
      serverCore,
      generatorCore,
    });
    const bound = (r: Result) => ceilingBound({ server: "ceiling", results: [r], errors: [] });
    expect(bound(run(0.7, 0.99))).toMatch(/^the generator's limit/);
    expect(bound(run(0.99, 0.7))).toMatch(/^the ceiling server's limit/);
    expect(bound(run(0.5, 0.5))).toMatch(/^neither core saturated/);
  });

  it("prints the floor and the ceiling beside the figures, and the floor target's verdict", () => {
    const out = table("node", [small, memory]);
    const [header, , smallLine, memoryLine] = out.trim().split("\n").slice(1);
    expect(header.split(/\s{2,}/)).toEqual([
      "scenario",
      "unit",
      "wasmsock-node",
      "ws",
      "wasmsock-node/ws",
      "node-floor",
      "over floor",
      "ceiling",
      "of ceiling",
      "cpu srv/gen wasmsock-node",
      "cpu srv/gen ws",
    ]);
    expect(smallLine).toMatch(/1,000,000 ±0\.0%\s+40% \/ 4\.0%$/);
    expect(memoryLine).toMatch(/5\.85 ±0\.9%\s+\+0\.45 \/ \u22120\.15$/);
    expect(out).toContain("memory: wasmsock-node \u2212 node-floor = +0.45 KiB/conn, target met");
  });
});

describe("V8 flags for a scenario's servers", () => {
  const capped = ["--max-semi-space-size=1"];

  it("go before the script on Node, into --v8-flags on Deno, and nowhere on Bun; none leaves argv alone", () => {
    expect(withV8Flags(SERVERS["wasmsock-node"], capped)).toEqual([...capped, "dist/examples/echo.js"]);
    expect(withV8Flags(REFERENCES["deno-floor"], capped)).toEqual([
      "run",
      "--v8-flags=--max-semi-space-size=1",
      "-A",
      "bench/peers/deno-floor.ts",
    ]);
    expect(withV8Flags(SERVERS.bun, capped)).toEqual(["bench/peers/bun-echo.ts"]);
    expect(withV8Flags(SERVERS.deno, [])).toEqual(["run", "-A", "bench/peers/deno-echo.ts"]);
  });
});
