// Plays one frame case over an open connection, then judges what the peer did, the Autobahn way.
import type { TesterConn } from "./peer.ts";
import type { CaseResult, Expect, FrameCase, Observed, Verdict } from "./types.ts";

const DEFAULT_TIMEOUT = 5000;
/** How long a case expecting nothing waits for something unwanted to show up. */
const QUIET_MS = 50;
/** How long a server gets to close TCP after the closing handshake (7.1.1: it should do so first). */
const TCP_CLOSE_MS = 1000;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export async function playCase(
  conn: TesterConn,
  c: FrameCase,
  defaultTimeout = DEFAULT_TIMEOUT,
): Promise<CaseResult> {
  const started = performance.now();
  const timeoutMs = c.timeoutMs ?? defaultTimeout;
  // Hard bound: whatever hangs, the socket goes and every wait ends.
  let timedOut = false;
  const guard = setTimeout(() => {
    timedOut = true;
    conn.destroy();
  }, timeoutMs * 2);
  try {
    const { actions, expect } = c.build();
    let failedInTime: boolean | undefined;
    for (const a of actions) {
      if (a.do === "send") await conn.send(a.frames, a.chop, a.delayMs);
      else if (a.do === "slice") await conn.sendSlice(a.frame, a.from, a.to);
      else if (a.do === "sleep") await sleep(a.ms);
      else if (a.do === "checkpoint") failedInTime = await conn.waitFor(() => conn.peerGone, a.ms);
      else if (a.do === "compressed")
        for (const m of a.messages) {
          if (conn.peerGone || conn.closeSent) break;
          const before = conn.events.length;
          await conn.sendCompressed(m, a.fragment);
          if (!(await conn.waitFor(() => conn.events.length > before || conn.peerGone, timeoutMs))) break;
        }
      else
        for (let i = 0; i < a.times && !conn.peerGone; i++) {
          const before = conn.events.length;
          await conn.send([a.frame]);
          if (!(await conn.waitFor(() => conn.events.length > before || conn.peerGone, timeoutMs))) break;
        }
    }
    if (expect.close === "normal") {
      const want = expect.events.length;
      // With nothing expected, linger briefly so that anything unwanted can still show up.
      const enough = () => (want ? conn.events.length >= want : conn.events.length > 0) || conn.peerGone;
      await conn.waitFor(enough, want ? timeoutMs : QUIET_MS);
      if (!conn.closeSent && !conn.peerGone) await conn.sendClose(1000);
    }
    await conn.waitFor(() => conn.peerGone, timeoutMs);
    if (conn.peerClose && conn.role === "client") await conn.waitFor(() => conn.tcpClosed, TCP_CLOSE_MS);
    const judged = c.informational
      ? { verdict: "INFORMATIONAL" as const, reason: `${c.informational}; observed: ${describe(conn)}` }
      : judge(expect, conn, failedInTime, timedOut);
    return {
      id: c.id,
      description: c.description,
      expectation: c.expectation,
      ...judged,
      durationMs: Math.round(performance.now() - started),
      closeCode: conn.peerClose?.code,
    };
  } catch (e) {
    // A bug in a case or the tester must show up as a result, not end the whole run.
    return {
      id: c.id,
      description: c.description,
      expectation: c.expectation,
      verdict: "FAIL",
      reason: `tester error: ${(e as Error).message}`,
      durationMs: Math.round(performance.now() - started),
    };
  } finally {
    clearTimeout(guard);
    conn.destroy();
  }
}

interface Judged {
  verdict: Verdict;
  reason?: string;
}

function judge(
  expect: Expect,
  conn: TesterConn,
  failedInTime: boolean | undefined,
  timedOut: boolean,
): Judged {
  const fails: string[] = [];
  const lax: string[] = [];
  if (timedOut) fails.push("case timed out");
  fails.push(...conn.violations);

  const pc = conn.peerClose;
  let codes = expect.codes ?? [expect.close === "fail" ? 1002 : 1000];
  if (!sameEvents(conn.events, expect.events)) {
    const alt = expect.nonStrict?.find(
      (n) => sameEvents(conn.events, n.events) && (!n.codes || (pc && n.codes.includes(pc.code))),
    );
    if (alt) lax.push(alt.reason);
    else
      fails.push(
        `expected ${summary(expect.events)}, got ${summary(conn.events)}${firstDifference(conn.events, expect.events)}`,
      );
    if (alt?.codes) codes = alt.codes;
  }

  if (pc) {
    if (!codes.includes(pc.code)) {
      if (expect.nonStrictCodes?.codes.includes(pc.code)) lax.push(expect.nonStrictCodes.reason);
      else
        fails.push(
          `close code ${pc.code ?? "(none)"}, expected ${codes.map((x) => x ?? "(none)").join(" or ")}`,
        );
    }
    if (pc.reason.length && !isUtf8(pc.reason)) fails.push("close reason is not valid UTF-8");
  } else if (expect.close === "fail" && conn.tcpClosed) {
    lax.push("failed by dropping TCP without a close frame (7.1.7: should send one)");
  } else if (expect.close === "fail") {
    fails.push("the peer did not fail the connection");
  } else {
    fails.push(conn.tcpClosed ? "TCP closed without a closing handshake" : "no close frame in reply");
  }

  if (failedInTime === false)
    lax.push("failed only after the rest of the message, not as soon as it was invalid");
  if (pc && conn.role === "client" && !conn.tcpClosed)
    lax.push("server kept TCP open after the closing handshake");

  if (fails.length) return { verdict: "FAIL", reason: fails.join("; ") };
  if (lax.length) return { verdict: "NON-STRICT", reason: lax.join("; ") };
  return { verdict: "PASS" };
}

function isUtf8(b: Uint8Array): boolean {
  try {
    new TextDecoder("utf-8", { fatal: true }).decode(b);
    return true;
  } catch {
    return false;
  }
}

function sameEvents(got: Observed[], want: Observed[]): boolean {
  return (
    got.length === want.length &&
    got.every((g, i) => g.type === want[i].type && Buffer.from(g.payload).equals(want[i].payload))
  );
}

/** Where two long event lists part: the first event that differs, when that says more than the summary. */
function firstDifference(got: Observed[], want: Observed[]): string {
  if (want.length <= 4) return "";
  const i = want.findIndex(
    (w, k) => !got[k] || got[k].type !== w.type || !Buffer.from(got[k].payload).equals(w.payload),
  );
  if (i < 0) return "";
  return `; first difference at #${i + 1}: expected ${summary([want[i]])}, got ${got[i] ? summary([got[i]]) : "nothing"}`;
}

/** A result decided before or instead of playing (a handshake that failed or declined). */
export function resultOf(c: FrameCase, verdict: Verdict, reason: string, started: number): CaseResult {
  return {
    id: c.id,
    description: c.description,
    expectation: c.expectation,
    verdict,
    reason,
    durationMs: Math.round(performance.now() - started),
  };
}

/** A short account of events for a report line: types, sizes and a taste of small payloads. */
export function summary(events: Observed[]): string {
  if (events.length === 0) return "nothing";
  const show = (e: Observed) => {
    const p = Buffer.from(e.payload);
    const taste = p.length <= 16 ? ` ${p.toString("hex")}` : "";
    return `${e.type}(${p.length}${taste})`;
  };
  const head = events.slice(0, 4).map(show).join(", ");
  return events.length > 4 ? `${head}, … ${events.length} in all` : `[${head}]`;
}

function describe(conn: TesterConn): string {
  const close = conn.peerClose
    ? `close ${conn.peerClose.code ?? "(none)"}`
    : conn.tcpClosed
      ? "TCP dropped"
      : "open";
  return `${summary(conn.events)}, ${close}`;
}
