// RFC 7692 permessage-deflate for the tester: the negotiation both ways, and the compressor and
// decompressor each end of a connection needs, honouring the negotiated windows and context takeover.
import { constants, deflateRawSync, inflateRawSync } from "node:zlib";

/** One permessage-deflate offer or answer, with the RFC's parameter names (7.1). */
export interface PmdParams {
  server_no_context_takeover?: true;
  client_no_context_takeover?: true;
  server_max_window_bits?: number;
  /** `true`: offered without a value (only an offer may do that). */
  client_max_window_bits?: number | true;
}

/** What both ends use once an answer is accepted: window sizes as base-2 logarithms. */
export interface Negotiated {
  serverNoContext: boolean;
  serverWindow: number;
  clientNoContext: boolean;
  clientWindow: number;
}

export const PMD = "permessage-deflate";
/** 7.2.1: the sender removes these four octets of a sync flush; the receiver appends them. */
const TAIL = Buffer.from([0x00, 0x00, 0xff, 0xff]);
const BITS = /^(8|9|1[0-5])$/;
const NAMES = [
  "server_no_context_takeover",
  "client_no_context_takeover",
  "server_max_window_bits",
  "client_max_window_bits",
];
/** A bomb guard for the tester's own inflater: no case sends more than a few MiB. */
const MAX_INFLATED = 256 * 1024 * 1024;

const bits = (v: number | true | undefined): number => (typeof v === "number" ? v : 15);

/** `permessage-deflate; a; b=9`, as one element of Sec-WebSocket-Extensions. */
export function formatPmd(p: PmdParams): string {
  const parts = [PMD];
  for (const name of NAMES) {
    const v = p[name as keyof PmdParams];
    if (v === undefined) continue;
    parts.push(v === true ? name : `${name}=${v}`);
  }
  return parts.join("; ");
}

export const formatOffers = (offers: PmdParams[]): string => offers.map(formatPmd).join(", ");

interface Element {
  name: string;
  params: PmdParams;
  problem?: string;
}

/** RFC 6455 9.1's extension list: `name; param; param=value, name2 ...` (values may be quoted). */
function parseElements(header: string, side: "offer" | "answer"): Element[] {
  return header
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)
    .map((element) => {
      const [name, ...parts] = element.split(";").map((s) => s.trim());
      const params: Record<string, number | true> = {};
      let problem: string | undefined;
      for (const part of parts) {
        if (!part) continue;
        const eq = part.indexOf("=");
        const key = (eq < 0 ? part : part.slice(0, eq)).trim().toLowerCase();
        let value: string | true = eq < 0 ? true : part.slice(eq + 1).trim();
        if (typeof value === "string" && /^".*"$/.test(value)) value = value.slice(1, -1);
        problem ??= paramProblem(key, value, side, key in params);
        params[key] = value === true ? true : Number(value);
      }
      return { name: name.toLowerCase(), params: params as PmdParams, problem };
    });
}

/** 7.1: why a parameter is not acceptable in an offer or an answer, if it is not. */
function paramProblem(
  key: string,
  value: string | true,
  side: string,
  repeated: boolean,
): string | undefined {
  if (repeated) return `parameter ${key} appears twice`;
  if (!NAMES.includes(key)) return `unknown parameter ${key}`;
  if (key.endsWith("_no_context_takeover"))
    return value === true ? undefined : `${key} takes no value (got ${value})`;
  // client_max_window_bits may come without a value in an offer only (7.1.2.2).
  if (value === true && key === "client_max_window_bits" && side === "offer") return undefined;
  if (value === true || !BITS.test(value)) return `${key} needs a value from 8 to 15 (got ${value})`;
  return undefined;
}

/** Why `a` cannot be the server's answer to offer `o` (7.1.1, 7.1.2), if it can be. */
function answerMismatch(o: PmdParams, a: PmdParams): string | undefined {
  if (o.server_no_context_takeover && !a.server_no_context_takeover)
    return "server_no_context_takeover was offered, so an answer must include it (7.1.1.1)";
  if (o.server_max_window_bits !== undefined) {
    if (a.server_max_window_bits === undefined)
      return `server_max_window_bits=${o.server_max_window_bits} was offered, so an answer must include it (7.1.2.1)`;
    if (a.server_max_window_bits > o.server_max_window_bits)
      return `server_max_window_bits=${a.server_max_window_bits} exceeds the offered ${o.server_max_window_bits} (7.1.2.1)`;
  }
  if (a.client_max_window_bits !== undefined) {
    if (o.client_max_window_bits === undefined)
      return "client_max_window_bits was not offered, so an answer must not include it (7.1.2.2)";
    if (bits(a.client_max_window_bits) > bits(o.client_max_window_bits))
      return `client_max_window_bits=${a.client_max_window_bits} exceeds the offered ${o.client_max_window_bits} (7.1.2.2)`;
  }
  return undefined;
}

export type AnswerCheck = { negotiated: Negotiated; offer: number } | { problem: string };

/** Server mode: is `header` (the server's Sec-WebSocket-Extensions) a valid answer to one of `offers`? */
export function checkAnswer(offers: PmdParams[], header: string): AnswerCheck {
  const elements = parseElements(header, "answer");
  if (elements.length !== 1 || elements[0].name !== PMD)
    return { problem: `answer "${header}" is not one permessage-deflate element (nothing else was offered)` };
  const [{ params: a, problem }] = elements;
  if (problem) return { problem: `answer "${header}": ${problem}` };
  const why: string[] = [];
  for (const [i, o] of offers.entries()) {
    const mismatch = answerMismatch(o, a);
    if (mismatch) {
      why.push(offers.length > 1 ? `offer ${i + 1}: ${mismatch}` : mismatch);
      continue;
    }
    return {
      offer: i,
      negotiated: {
        serverNoContext: a.server_no_context_takeover === true,
        serverWindow: bits(a.server_max_window_bits),
        // 7.1.1.2: offering client_no_context_takeover promises it, whatever the answer says.
        clientNoContext: a.client_no_context_takeover === true || o.client_no_context_takeover === true,
        clientWindow: Math.min(bits(o.client_max_window_bits), bits(a.client_max_window_bits)),
      },
    };
  }
  return { problem: `answer "${header}" fits no offer: ${why.join("; ")}` };
}

export type ServerNegotiation =
  | { kind: "accepted"; answer: string; negotiated: Negotiated }
  /** The client offered no permessage-deflate at all. */
  | { kind: "none" }
  /** Every permessage-deflate offer of the client is malformed. */
  | { kind: "invalid"; problem: string }
  /** Valid offers, none of which lets the server answer as the case asks. */
  | { kind: "unsatisfiable"; why: string };

/**
 * Client mode: answer the client's offers (`header`) with the first of the case's `targets` that one
 * of them allows, trying targets in order and, for each, the client's offers in its order of preference.
 * A target reads like an offer: what the case wants both ends to use.
 */
export function answerOffers(header: string | undefined, targets: PmdParams[]): ServerNegotiation {
  const elements = parseElements(header ?? "", "offer").filter((e) => e.name === PMD);
  if (elements.length === 0) return { kind: "none" };
  const valid = elements.filter((e) => !e.problem).map((e) => e.params);
  if (valid.length === 0)
    return { kind: "invalid", problem: `offer "${header}": ${elements.map((e) => e.problem).join("; ")}` };
  for (const t of targets)
    for (const o of valid) {
      const a = answerFor(o, t);
      if (a) return { kind: "accepted", ...a };
    }
  return {
    kind: "unsatisfiable",
    why: `the client's offer "${header}" has no client_max_window_bits, so the server cannot ask for a smaller client window (7.1.2.2: offering it is optional)`,
  };
}

function answerFor(o: PmdParams, t: PmdParams): { answer: string; negotiated: Negotiated } | undefined {
  const a: PmdParams = {};
  if (o.server_no_context_takeover || t.server_no_context_takeover) a.server_no_context_takeover = true;
  if (t.client_no_context_takeover) a.client_no_context_takeover = true;
  // The server may always use a smaller window than it announces; it answers the parameter only when
  // offered, since a client may refuse an unrequested one (7.1.2.1).
  const serverWindow = Math.min(bits(o.server_max_window_bits), bits(t.server_max_window_bits));
  if (o.server_max_window_bits !== undefined) a.server_max_window_bits = serverWindow;
  if (typeof t.client_max_window_bits === "number") {
    if (o.client_max_window_bits === undefined) {
      if (t.client_max_window_bits < 15) return undefined;
    } else a.client_max_window_bits = Math.min(bits(o.client_max_window_bits), t.client_max_window_bits);
  }
  return {
    answer: formatPmd(a),
    negotiated: {
      serverNoContext: a.server_no_context_takeover === true,
      serverWindow,
      clientNoContext: a.client_no_context_takeover === true,
      clientWindow: Math.min(bits(o.client_max_window_bits), bits(a.client_max_window_bits)),
    },
  };
}

interface Direction {
  /** log2 of the LZ77 window. */
  window: number;
  noContext: boolean;
}

/**
 * One end's compression state. Context takeover is a preset dictionary: the last 2^window bytes of the
 * messages before, which is exactly what a receiver keeps in its window between messages. Each message
 * is then one synchronous zlib call, so the tester stays synchronous; the bytes differ from those of a
 * long-lived deflate stream only in the Huffman codes, never in what a receiver must be able to resolve.
 */
export class DeflateSession {
  private txHistory: Buffer = Buffer.alloc(0);
  private rxHistory: Buffer = Buffer.alloc(0);
  /** Messages that arrived compressed, and their bytes on the wire and inflated. */
  readonly stats = { messages: 0, wire: 0, inflated: 0 };
  readonly tx: Direction;
  readonly rx: Direction;

  constructor(
    readonly negotiated: Negotiated,
    /** The tester's role: "client" compresses with the client's parameters. */
    role: "client" | "server",
  ) {
    const client = { window: negotiated.clientWindow, noContext: negotiated.clientNoContext };
    const server = { window: negotiated.serverWindow, noContext: negotiated.serverNoContext };
    this.tx = role === "client" ? client : server;
    this.rx = role === "client" ? server : client;
  }

  /** 7.2.1: deflate, sync-flush, drop the trailing 00 00 ff ff. */
  compress(payload: Uint8Array): Buffer {
    const out = deflateRawSync(payload, {
      // zlib refuses an 8-bit window for raw deflate (Node quietly uses 9); a 9-bit zlib window never
      // reaches back more than 250 bytes (2^9 - 262), so it keeps within an 8-bit window too.
      windowBits: Math.max(this.tx.window, 9),
      finishFlush: constants.Z_SYNC_FLUSH,
      ...(this.tx.noContext || this.txHistory.length === 0 ? {} : { dictionary: this.txHistory }),
    });
    if (!this.tx.noContext) this.txHistory = keep(this.txHistory, payload, 1 << this.tx.window);
    if (!out.subarray(-4).equals(TAIL)) throw new Error("zlib's sync flush did not end in 00 00 ff ff");
    return out.subarray(0, out.length - 4);
  }

  /**
   * 7.2.2: append 00 00 ff ff and inflate, with exactly the negotiated window and context. zlib resolves
   * a distance against its window plus the current output chunk, so a small chunk makes a sender that
   * reaches beyond the negotiated window fail here (to within the 64-byte chunk), and a sender that
   * takes over context it agreed not to fail on its first reference into the previous message.
   */
  inflate(wire: Uint8Array): Buffer {
    const w = this.rx.window;
    const out = inflateRawSync(Buffer.concat([wire, TAIL]), {
      windowBits: w,
      finishFlush: constants.Z_SYNC_FLUSH,
      maxOutputLength: MAX_INFLATED,
      ...(w < 15 ? { chunkSize: 64 } : {}),
      ...(this.rx.noContext || this.rxHistory.length === 0 ? {} : { dictionary: this.rxHistory }),
    });
    if (!this.rx.noContext) this.rxHistory = keep(this.rxHistory, out, 1 << w);
    this.stats.messages++;
    this.stats.wire += wire.length;
    this.stats.inflated += out.length;
    return out;
  }

  /** The receiving direction, for messages: "window 2^9, no context takeover". */
  describeRx(): string {
    return `window 2^${this.rx.window}${this.rx.noContext ? ", no context takeover" : ", context takeover"}`;
  }
}

/** The last `n` bytes of history followed by `more`. */
function keep(history: Buffer, more: Uint8Array, n: number): Buffer {
  if (more.length >= n) return Buffer.from(more.subarray(more.length - n));
  const joined = Buffer.concat([history, more]);
  return joined.length > n ? joined.subarray(joined.length - n) : joined;
}

/**
 * A fixed compressed payload for hand-built frames (section 12.0): no preset dictionary and a 9-bit
 * window, so any receiver can inflate it whatever was negotiated. `final` ends it with a BFINAL block
 * instead of a sync flush (7.2.3.4); `stored` uses a block with no compression (7.2.3.3).
 */
export function deflateStatic(payload: Uint8Array, opts: { final?: boolean; stored?: boolean } = {}): Buffer {
  const out = deflateRawSync(payload, {
    windowBits: 9,
    level: opts.stored ? 0 : constants.Z_DEFAULT_COMPRESSION,
    finishFlush: opts.final ? constants.Z_FINISH : constants.Z_SYNC_FLUSH,
  });
  return opts.final ? out : out.subarray(0, out.length - 4);
}
