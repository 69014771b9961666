// Mode 2: test any WebSocket client. Speaks Autobahn's fuzzing-server protocol:
//   /getCaseCount                   one text message with the number of cases, then a normal close
//   /getCaseInfo?case=N             one text message {"id","description"}, then a normal close
//   /runCase?case=N&agent=A         case N (1-based) played from the server side; the client echoes
//   /updateReports?agent=A          a normal close; the agent's results are then final
import { createServer, type Socket } from "node:net";
import { frameCases, select } from "./cases/index.ts";
import { answerOffers, DeflateSession } from "./deflate.ts";
import { acceptFor, readHead, requestProblem } from "./http.ts";
import { TesterConn } from "./peer.ts";
import { playCase, resultOf } from "./play.ts";
import type { CaseResult, FrameCase } from "./types.ts";
import { Op } from "./wire.ts";

export interface FuzzingServerOptions {
  /** Default 9001; 0 picks a free port. Listens on 127.0.0.1 only. */
  port?: number;
  /** Case id patterns, as for runServerSuite; default every frame case. */
  cases?: string | string[];
  /** Per-case wait for an expected reply; default 5000 ms. */
  timeoutMs?: number;
  /** Called when a client asks for /updateReports. */
  onUpdateReports?: (agent: string, results: CaseResult[]) => void;
}

export interface FuzzingServer {
  port: number;
  url: string;
  /** Case ids in /runCase order: case=1 is caseIds[0]. */
  caseIds: string[];
  /** Every verdict recorded for `agent`, in catalogue order (a case run twice keeps its last verdict). */
  results(agent: string): CaseResult[];
  agents(): string[];
  /** Resolves with the agent's results once it calls /updateReports; rejects after `timeoutMs`. */
  waitForReport(agent: string, timeoutMs?: number): Promise<CaseResult[]>;
  close(): Promise<void>;
}

export async function startFuzzingServer(opts: FuzzingServerOptions = {}): Promise<FuzzingServer> {
  const cases = select(frameCases, opts.cases);
  const timeoutMs = opts.timeoutMs ?? 5000;
  const byAgent = new Map<string, Map<string, CaseResult>>();
  const reportWaiters = new Map<string, Array<() => void>>();
  const sockets = new Set<Socket>();

  const results = (agent: string): CaseResult[] => {
    const m = byAgent.get(agent);
    return m ? cases.flatMap((c) => m.get(c.id) ?? []) : [];
  };
  const record = (agent: string, r: CaseResult) => {
    if (!byAgent.has(agent)) byAgent.set(agent, new Map());
    byAgent.get(agent)!.set(r.id, r);
  };

  async function onConnection(socket: Socket): Promise<void> {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => {});
    const head = await readHead(socket, timeoutMs).catch(() => undefined);
    if (!head) return void socket.destroy();
    const target = new URL(head.startLine.split(" ")[1] ?? "/", "http://127.0.0.1");
    const agent = target.searchParams.get("agent") ?? "unknown";
    const n = Number(target.searchParams.get("case"));
    const theCase: FrameCase | undefined = Number.isInteger(n) ? cases[n - 1] : undefined;
    const problem = requestProblem(head);
    if (problem || (target.pathname === "/runCase" && !theCase)) {
      if (problem && theCase) record(agent, handshakeFailure(theCase, problem));
      socket.end(`HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n${problem ?? "no such case"}\n`);
      return;
    }
    // Sections 12/13: answer the client's permessage-deflate offer as the case asks (RFC 7692 7.1);
    // every other case (and path) declines extensions by answering none.
    const started = performance.now();
    const offers = target.pathname === "/runCase" ? (theCase?.deflate?.offers ?? []) : [];
    const negotiation = offers.length
      ? answerOffers(head.headers["sec-websocket-extensions"], offers)
      : undefined;
    const accepted = negotiation?.kind === "accepted" ? negotiation : undefined;
    const declined = negotiation?.kind === "accepted" ? undefined : negotiation;
    socket.write(
      "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
        `Sec-WebSocket-Accept: ${acceptFor(head.headers["sec-websocket-key"])}\r\n` +
        (accepted ? `Sec-WebSocket-Extensions: ${accepted.answer}\r\n` : "") +
        "\r\n",
    );
    const session = accepted && new DeflateSession(accepted.negotiated, "server");
    const conn = new TesterConn(socket, "server", head.rest, session);
    switch (target.pathname) {
      case "/runCase":
        if (declined) {
          // A client with no offer at all cannot compress: a FAIL for a compression section, as
          // browsers offer permessage-deflate. An offer this case cannot use is only recorded.
          const [verdict, why] =
            declined.kind === "none"
              ? (["FAIL", "the client did not offer permessage-deflate"] as const)
              : declined.kind === "invalid"
                ? (["FAIL", `the client's offer is invalid (RFC 7692 7.1): ${declined.problem}`] as const)
                : (["INFORMATIONAL", declined.why] as const);
          await say(conn);
          record(agent, resultOf(theCase!, verdict, why, started));
          return;
        }
        record(agent, await playCase(conn, theCase!, timeoutMs));
        return;
      case "/getCaseCount":
        return say(conn, String(cases.length));
      case "/getCaseInfo":
        return say(
          conn,
          JSON.stringify(theCase ? { id: theCase.id, description: theCase.description } : null),
        );
      case "/updateReports":
        await say(conn);
        opts.onUpdateReports?.(agent, results(agent));
        for (const w of reportWaiters.get(agent) ?? []) w();
        reportWaiters.delete(agent);
        return;
      default:
        return void conn.sendClose(1008, "unknown path").then(() => conn.destroy());
    }
  }

  /** Send an optional text message, close normally, and give the client `timeoutMs` to answer. */
  async function say(conn: TesterConn, message?: string): Promise<void> {
    if (message !== undefined) await conn.send([{ op: Op.text, payload: Buffer.from(message) }]);
    await conn.sendClose(1000);
    await conn.waitFor(() => conn.peerGone, timeoutMs);
    conn.socket.end();
    await conn.waitFor(() => conn.tcpClosed, 1000);
    conn.destroy();
  }

  const server = createServer((s) =>
    onConnection(s).catch(() => {
      s.destroy();
    }),
  );
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 9001, "127.0.0.1", () => resolve());
  });
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : (opts.port ?? 9001);

  return {
    port,
    url: `ws://127.0.0.1:${port}`,
    caseIds: cases.map((c) => c.id),
    results,
    agents: () => [...byAgent.keys()],
    waitForReport(agent, ms = 120_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`agent ${agent} did not call /updateReports in ${ms} ms`)),
          ms,
        );
        const done = () => {
          clearTimeout(timer);
          resolve(results(agent));
        };
        reportWaiters.set(agent, [...(reportWaiters.get(agent) ?? []), done]);
      });
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

function handshakeFailure(c: FrameCase, problem: string): CaseResult {
  return {
    id: c.id,
    description: c.description,
    expectation: c.expectation,
    verdict: "FAIL",
    reason: `the client's opening handshake is invalid (RFC 6455 4.1): ${problem}`,
    durationMs: 0,
  };
}
