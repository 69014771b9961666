// The vocabulary shared by the case catalogue, the two testers and the report.
import type { PmdParams } from "./deflate.ts";
import type { FrameSpec } from "./wire.ts";

export type Verdict = "PASS" | "NON-STRICT" | "FAIL" | "INFORMATIONAL";

/** What the tester saw arrive from the peer, in order (pings are answered, not recorded). */
export interface Observed {
  type: "text" | "binary" | "pong";
  payload: Uint8Array;
}

/** One step the tester performs on the wire. */
export type Action =
  /** Write frames; `chop` splits their bytes: a size in bytes, or "frames" for one write per frame. */
  | { do: "send"; frames: FrameSpec[]; chop?: number | "frames"; delayMs?: number }
  /** Write part of one frame: its payload bytes [from, to), plus the header when `from` is 0. */
  | { do: "slice"; frame: FrameSpec; from: number; to?: number }
  | { do: "sleep"; ms: number }
  /** Fail fast: by now (waiting at most `ms`) the peer must already have failed the connection. */
  | { do: "checkpoint"; ms: number }
  /** Send `frame`, wait for the echo, `times` times over (a round-trip loop). */
  | { do: "exchange"; frame: FrameSpec; times: number }
  /**
   * Send each message compressed with the negotiated permessage-deflate parameters and wait for its
   * echo before the next; `fragment` splits the compressed bytes into frames of that many octets.
   */
  | { do: "compressed"; messages: Observed[]; fragment?: number };

/** How the connection must end. Codes: `null` means a close frame without a status code. */
export interface Expect {
  /** Messages and pongs that must arrive, in order, before the peer closes. */
  events: Observed[];
  /** Other outcomes accepted as NON-STRICT: these events, and (if given) a close with one of `codes`. */
  nonStrict?: { events: Observed[]; reason: string; codes?: (number | null)[] }[];
  /** "normal": the tester closes with 1000 (unless it already sent a close); "fail": the peer must fail. */
  close: "normal" | "fail";
  /** Close codes the peer may send; default [1000] for "normal", [1002] for "fail". */
  codes?: (number | null)[];
  nonStrictCodes?: { codes: (number | null)[]; reason: string };
}

export interface Script {
  actions: Action[];
  expect: Expect;
}

export interface FrameCase {
  id: string;
  description: string;
  /** What must happen, in words, for the report. */
  expectation: string;
  /** Built lazily so section 9's megabytes exist only while their case runs. */
  build(): Script;
  /** Recorded, never judged (the RFC leaves the behaviour open). */
  informational?: string;
  timeoutMs?: number;
  /** Sections 12/13: the case runs over a permessage-deflate connection (RFC 7692). */
  deflate?: DeflateSpec;
}

/**
 * What a compression case negotiates. Each entry reads like an offer: the parameters the case wants
 * both ends to use. Server mode offers them all, in order, in one header, and the server's answer must
 * fit one; client mode answers the client's offer with the first entry it allows. `[]` negotiates
 * nothing (the tester neither offers nor accepts the extension).
 */
export interface DeflateSpec {
  offers: PmdParams[];
}

/** An opening-handshake case (RFC 6455 section 4.2): only meaningful against a server. */
export interface HandshakeCase {
  id: string;
  description: string;
  expectation: string;
  /** The request head, given the target's host, path and a fresh valid key. */
  request(t: { host: string; path: string; key: string }): string;
  /** Frames written in the same packet as the request (masked, as a client must). */
  trailing?: FrameSpec[];
  expect: {
    /** 101, or "reject" for any 4xx status. */
    status: 101 | "reject";
    /** A stricter status ("such as 426"): any other rejection then is NON-STRICT. */
    preferStatus?: number;
    /** Returns why the response is wrong, if it is. */
    check?(res: HttpHead, t: { key: string }): string | undefined;
    /** Messages that must be echoed after a 101. */
    echo?: Observed[];
    /** If the status is wrong, downgrade to NON-STRICT with this reason instead of FAIL. */
    lenient?: string;
  };
}

export interface HttpHead {
  status: number;
  reason: string;
  /** Lower-case names; repeated headers joined with ", ". */
  headers: Record<string, string>;
}

export type Case = FrameCase | HandshakeCase;

export interface CaseResult {
  id: string;
  description: string;
  expectation: string;
  verdict: Verdict;
  /** Why the verdict is not PASS (or what was observed, for INFORMATIONAL). */
  reason?: string;
  durationMs: number;
  /** The peer's close code: a number, null for an empty close frame, undefined when none arrived. */
  closeCode?: number | null;
}
