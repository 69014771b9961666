// Plays one opening-handshake case: raw request bytes in, the response judged against RFC 6455 4.2.
import { connect } from "node:net";
import { asResponse, newKey, readHead } from "./http.ts";
import { TesterConn } from "./peer.ts";
import type { CaseResult, HandshakeCase, Verdict } from "./types.ts";
import { encodeFrame } from "./wire.ts";

export interface Target {
  hostname: string;
  port: number;
  /** Host header value. */
  host: string;
  path: string;
}

export async function playHandshake(c: HandshakeCase, t: Target, timeoutMs: number): Promise<CaseResult> {
  const started = performance.now();
  const key = newKey();
  const socket = connect({ host: t.hostname, port: t.port });
  socket.on("error", () => {});
  const result = (verdict: Verdict, reason?: string): CaseResult => ({
    id: c.id,
    description: c.description,
    expectation: c.expectation,
    verdict,
    reason,
    durationMs: Math.round(performance.now() - started),
  });
  try {
    const request = Buffer.from(c.request({ host: t.host, path: t.path, key }), "latin1");
    const trailing = (c.trailing ?? []).map((f) => encodeFrame(f, true));
    socket.write(Buffer.concat([request, ...trailing]));
    const head = await readHead(socket, timeoutMs).catch((e: Error) => e);
    if (head instanceof Error) {
      // A server may refuse by closing without a response: a rejection, if a terse one.
      if (c.expect.status === "reject" && !/within/.test(head.message))
        return result("NON-STRICT", `closed without an HTTP response (${head.message})`);
      return result("FAIL", head.message);
    }
    const res = asResponse(head);
    const e = c.expect;
    if (e.status === 101 && res.status !== 101) return result("FAIL", `status ${res.status} ${res.reason}`);
    if (e.status === "reject" && (res.status < 400 || res.status > 499)) {
      const why = `status ${res.status} ${res.reason}, expected a 4xx rejection`;
      return result(e.lenient ? "NON-STRICT" : "FAIL", e.lenient ? `${e.lenient} (${why})` : why);
    }
    const problem = e.check?.(res, { key });
    if (problem) return result("FAIL", problem);
    if (e.echo?.length) {
      const conn = new TesterConn(socket, "client", head.rest);
      const arrived = await conn.waitFor(
        () => conn.events.length >= e.echo!.length || conn.peerGone,
        timeoutMs,
      );
      const got = conn.events.map((x) => `${x.type}:${Buffer.from(x.payload).toString()}`).join(", ");
      const want = e.echo.map((x) => `${x.type}:${Buffer.from(x.payload).toString()}`).join(", ");
      if (!arrived || got !== want)
        return result("FAIL", `expected ${want} right after the 101, got ${got || "nothing"}`);
    }
    if (e.preferStatus && res.status !== e.preferStatus)
      return result("NON-STRICT", `status ${res.status}, the RFC suggests ${e.preferStatus}`);
    return result("PASS");
  } finally {
    socket.destroy();
  }
}
