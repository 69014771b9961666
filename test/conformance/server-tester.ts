// Mode 1: test any WebSocket echo server at ws://host:port/path, one raw TCP connection per case.
import { connect } from "node:net";
import { allCases, isHandshake, select } from "./cases/index.ts";
import { checkAnswer, DeflateSession, formatOffers, type PmdParams } from "./deflate.ts";
import { asResponse, newKey, readHead, responseProblem, upgradeRequest } from "./http.ts";
import { TesterConn } from "./peer.ts";
import { playCase, resultOf } from "./play.ts";
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
  const offers = c.deflate?.offers ?? [];
  const opened = await open(t, timeoutMs, offers).catch((e: Error) => e);
  if (opened instanceof Error)
    return resultOf(c, "FAIL", `opening handshake failed: ${opened.message}`, started);
  if (offers.length && !opened.deflate) {
    // RFC 7692 is optional, and a server may decline any offer: nothing to judge.
    await opened.sendClose(1000);
    await opened.waitFor(() => opened.peerGone, Math.min(timeoutMs, 1000));
    opened.destroy();
    return resultOf(c, "INFORMATIONAL", `the server declined "${formatOffers(offers)}"`, started);
  }
  return playCase(opened, c, timeoutMs);
}

/** Connect and upgrade, offering `offers` (permessage-deflate); the connection is ready for frames. */
async function open(t: Target, timeoutMs: number, offers: PmdParams[] = []): Promise<TesterConn> {
  const socket = connect({ host: t.hostname, port: t.port });
  socket.on("error", () => {});
  const key = newKey();
  const extra = offers.length ? [`Sec-WebSocket-Extensions: ${formatOffers(offers)}`] : [];
  socket.write(upgradeRequest(t.host, t.path, key, extra));
  try {
    const head = await readHead(socket, timeoutMs);
    const res = asResponse(head);
    const problem = responseProblem(res, key, offers.length > 0);
    if (problem) throw new Error(problem);
    const answer = res.headers["sec-websocket-extensions"];
    let session: DeflateSession | undefined;
    if (answer) {
      const checked = checkAnswer(offers, answer);
      if ("problem" in checked)
        throw new Error(`invalid permessage-deflate answer (RFC 7692 7.1): ${checked.problem}`);
      session = new DeflateSession(checked.negotiated, "client");
    }
    return new TesterConn(socket, "client", head.rest, session);
  } catch (e) {
    socket.destroy();
    throw e;
  }
}
