// Mode 1: test any WebSocket echo server at ws://host:port/path, one raw TCP connection per case.
import { connect } from "node:net";
import { allCases, isHandshake, select } from "./cases/index.ts";
import { asResponse, newKey, readHead, responseProblem, upgradeRequest } from "./http.ts";
import { TesterConn } from "./peer.ts";
import { playCase } from "./play.ts";
import { playHandshake, type Target } from "./play-handshake.ts";
import { type Tally, tally } from "./report.ts";
import type { CaseResult, FrameCase } from "./types.ts";

export interface ServerSuiteOptions {
  /** ws://127.0.0.1:PORT/path of an echo server. */
  url: string;
  /** Case id patterns, e.g. "1.*,6.4" or ["7.7.1"]; default all. */
  cases?: string | string[];
  /** Per-case wait for an expected reply; a case is cut off at twice this. Default 5000 ms. */
  timeoutMs?: number;
  /** Called as each case finishes, for progress output. */
  onResult?: (r: CaseResult) => void;
}

export interface SuiteReport {
  url: string;
  results: CaseResult[];
  counts: Tally;
  durationMs: number;
}

export async function runServerSuite(opts: ServerSuiteOptions): Promise<SuiteReport> {
  const started = performance.now();
  const u = new URL(opts.url);
  if (u.protocol !== "ws:") throw new Error(`only ws:// URLs are supported, got ${opts.url}`);
  const target: Target = {
    hostname: u.hostname.replace(/^\[|\]$/g, ""),
    port: Number(u.port || 80),
    host: u.host,
    path: `${u.pathname}${u.search}`,
  };
  const timeoutMs = opts.timeoutMs ?? 5000;
  const results: CaseResult[] = [];
  for (const c of select(allCases, opts.cases)) {
    const r = isHandshake(c)
      ? await playHandshake(c, target, timeoutMs)
      : await playFrameCase(c, target, timeoutMs);
    results.push(r);
    opts.onResult?.(r);
  }
  return {
    url: opts.url,
    results,
    counts: tally(results),
    durationMs: Math.round(performance.now() - started),
  };
}

async function playFrameCase(c: FrameCase, t: Target, timeoutMs: number): Promise<CaseResult> {
  const started = performance.now();
  const opened = await open(t, timeoutMs).catch((e: Error) => e);
  if (opened instanceof Error)
    return {
      id: c.id,
      description: c.description,
      expectation: c.expectation,
      verdict: "FAIL",
      reason: `opening handshake failed: ${opened.message}`,
      durationMs: Math.round(performance.now() - started),
    };
  return playCase(opened, c, timeoutMs);
}

/** Connect and upgrade; the connection is ready for frames. */
async function open(t: Target, timeoutMs: number): Promise<TesterConn> {
  const socket = connect({ host: t.hostname, port: t.port });
  socket.on("error", () => {});
  const key = newKey();
  socket.write(upgradeRequest(t.host, t.path, key));
  try {
    const head = await readHead(socket, timeoutMs);
    const problem = responseProblem(asResponse(head), key);
    if (problem) throw new Error(problem);
    return new TesterConn(socket, "client", head.rest);
  } catch (e) {
    socket.destroy();
    throw e;
  }
}
