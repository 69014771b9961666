// RFC 7692 negotiation: the offers in a Sec-WebSocket-Extensions header, the server's choice and
// answer, the client's offer and its check of the answer. Compression itself is the core's.
import { type WebSocketError, wsError } from "./errors.ts";

export interface PerMessageDeflateOptions {
  /**
   * We start every message with an empty window (RFC 7692 7.1.1.1): no compressor state is kept
   * per connection. Default true.
   */
  serverNoContextTakeover?: boolean;
  /**
   * The client must start every message with an empty window (7.1.1.2): no decompressor state is
   * kept per connection. Default true.
   */
  clientNoContextTakeover?: boolean;
  /** Our compressor's window, 8..15 (7.1.2.1). Default 15. */
  serverMaxWindowBits?: number;
  /**
   * The window we ask a client to compress with, 9..15 (7.1.2.2; zlib-based clients cannot do 8).
   * A smaller window makes a connection's decompressor smaller when the client keeps context.
   * Default 15.
   */
  clientMaxWindowBits?: number;
  /** Messages shorter than this many bytes go uncompressed. Default 1024. */
  threshold?: number;
  /** 1 (fastest, the default) to 9 (smallest). */
  level?: number;
}

/** What both ends agreed on, from our side: how we compress and how the peer does. */
export interface Negotiated {
  /** The Sec-WebSocket-Extensions value of the agreement. */
  header: string;
  /** We keep our compressor's window across messages. */
  ownContext: boolean;
  ownWindowBits: number;
  /** The peer keeps its window across messages, so we keep a decompressor per connection. */
  peerContext: boolean;
  peerWindowBits: number;
  threshold: number;
  level: number;
}

export const EXTENSION = "permessage-deflate";
const DEFAULT_THRESHOLD = 1024;
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

type Params = Map<string, string | true>;

/**
 * RFC 7230 7 and RFC 6455 9.1: the list of extensions, each a name and its parameters (a value is
 * a token or a quoted string). Null when the header is not well-formed.
 */
export function parseExtensions(header: string): { name: string; params: Params }[] | null {
  const out: { name: string; params: Params }[] = [];
  let i = 0;
  const n = header.length;
  const ows = () => {
    while (i < n && (header[i] === " " || header[i] === "\t")) i++;
  };
  const token = () => {
    const start = i;
    while (i < n && TOKEN.test(header[i])) i++;
    return header.slice(start, i);
  };
  while (i < n) {
    ows();
    // RFC 7230 7: empty list elements are allowed and ignored.
    if (header[i] === ",") {
      i++;
      continue;
    }
    const name = token().toLowerCase();
    if (!name) return null;
    const params: Params = new Map();
    ows();
    while (header[i] === ";") {
      i++;
      ows();
      const key = token().toLowerCase();
      if (!key || params.has(key)) return null;
      ows();
      let value: string | true = true;
      if (header[i] === "=") {
        i++;
        ows();
        if (header[i] === '"') {
          let v = "";
          for (i++; i < n && header[i] !== '"'; i++) v += header[i] === "\\" ? header[++i] : header[i];
          if (i >= n) return null;
          i++;
          value = v;
        } else value = token();
        // RFC 6455 9.1: a quoted value must still be a token.
        if (!TOKEN.test(value)) return null;
        ows();
      }
      params.set(key, value);
    }
    if (i < n && header[i] !== ",") return null;
    i++;
    out.push({ name, params });
  }
  return out;
}

/** Options checked once, when the server or client is made. */
export function resolveDeflate(
  option: boolean | PerMessageDeflateOptions | undefined,
  isServer: boolean,
): Required<PerMessageDeflateOptions> | null {
  if (!option) return null;
  const o = option === true ? {} : option;
  const resolved = {
    serverNoContextTakeover: o.serverNoContextTakeover ?? isServer,
    clientNoContextTakeover: o.clientNoContextTakeover ?? isServer,
    serverMaxWindowBits: o.serverMaxWindowBits ?? 15,
    clientMaxWindowBits: o.clientMaxWindowBits ?? 15,
    threshold: o.threshold ?? DEFAULT_THRESHOLD,
    level: o.level ?? 1,
  };
  const bad = (what: string) => {
    throw new RangeError(`perMessageDeflate.${what}`);
  };
  if (!bits(resolved.serverMaxWindowBits, 8)) bad("serverMaxWindowBits must be an integer from 8 to 15");
  if (!bits(resolved.clientMaxWindowBits, 9)) bad("clientMaxWindowBits must be an integer from 9 to 15");
  if (!(resolved.threshold >= 0)) bad("threshold must be a number of bytes");
  if (!Number.isInteger(resolved.level) || resolved.level < 1 || resolved.level > 9)
    bad("level must be an integer from 1 to 9");
  return resolved;
}

function bits(v: number, min: number): boolean {
  return Number.isInteger(v) && v >= min && v <= 15;
}

// 7.1.2: a window-bits value is 1*DIGIT from 8 to 15, without leading zeros.
function windowBits(v: string | true | undefined): number | undefined {
  return typeof v === "string" && /^(8|9|1[0-5])$/.test(v) ? Number(v) : undefined;
}

const KNOWN = new Set([
  "server_no_context_takeover",
  "client_no_context_takeover",
  "server_max_window_bits",
  "client_max_window_bits",
]);

/**
 * The server's side (7.1): the first permessage-deflate offer we can accept, and our answer to it.
 * Undefined when there is none: the connection opens without compression.
 */
export function negotiateServer(
  header: string | undefined,
  o: Required<PerMessageDeflateOptions>,
): Negotiated | undefined {
  if (!header) return undefined;
  const offers = parseExtensions(header);
  if (!offers) return undefined;
  for (const { name, params } of offers) {
    if (name !== EXTENSION) continue;
    const answer = answerOffer(params, o);
    if (answer) return answer;
  }
  return undefined;
}

function answerOffer(p: Params, o: Required<PerMessageDeflateOptions>): Negotiated | undefined {
  for (const [key, value] of p) {
    if (!KNOWN.has(key)) return undefined;
    // 7.1.1: the no_context_takeover parameters have no value.
    if (key.endsWith("takeover") && value !== true) return undefined;
  }
  const serverBitsOffered = p.get("server_max_window_bits");
  const clientBitsOffered = p.get("client_max_window_bits");
  // 7.1.2.1 needs a value; 7.1.2.2 allows none (the client only says it supports the parameter).
  if (serverBitsOffered !== undefined && windowBits(serverBitsOffered) === undefined) return undefined;
  if (
    clientBitsOffered !== undefined &&
    clientBitsOffered !== true &&
    windowBits(clientBitsOffered) === undefined
  )
    return undefined;
  const ownContext = !o.serverNoContextTakeover && !p.has("server_no_context_takeover");
  const ownWindowBits = Math.min(o.serverMaxWindowBits, windowBits(serverBitsOffered) ?? 15);
  const peerContext = !o.clientNoContextTakeover;
  let peerWindowBits = windowBits(clientBitsOffered) ?? 15;
  let askClientBits = false;
  if (o.clientMaxWindowBits < peerWindowBits) {
    // We cannot ask a client that did not say it supports the parameter: decline, as ws does.
    if (clientBitsOffered === undefined) return undefined;
    peerWindowBits = o.clientMaxWindowBits;
    askClientBits = true;
  }
  let header: string = EXTENSION;
  if (!ownContext) header += "; server_no_context_takeover";
  if (!peerContext) header += "; client_no_context_takeover";
  if (serverBitsOffered !== undefined || ownWindowBits < 15)
    header += `; server_max_window_bits=${ownWindowBits}`;
  if (askClientBits || typeof clientBitsOffered === "string")
    header += `; client_max_window_bits=${peerWindowBits}`;
  return agreement({
    header,
    ownContext,
    ownWindowBits,
    peerContext,
    peerWindowBits,
    threshold: o.threshold,
    level: o.level,
  });
}

// Connections that agree alike share one frozen agreement: nothing per connection.
const agreements = new Map<string, Negotiated>();
function agreement(n: Negotiated): Negotiated {
  const key = `${n.header}|${n.peerWindowBits}|${n.threshold}|${n.level}|${n.peerContext}`;
  let shared = agreements.get(key);
  if (!shared) {
    shared = Object.freeze(n);
    if (agreements.size < 1024) agreements.set(key, shared);
  }
  return shared;
}

/** The client's offer: one permessage-deflate with what the options ask of the server. */
export function clientOffer(o: Required<PerMessageDeflateOptions>): string {
  let offer = `${EXTENSION}; client_max_window_bits`;
  if (o.clientMaxWindowBits < 15) offer += `=${o.clientMaxWindowBits}`;
  if (o.serverNoContextTakeover) offer += "; server_no_context_takeover";
  if (o.clientNoContextTakeover) offer += "; client_no_context_takeover";
  if (o.serverMaxWindowBits < 15) offer += `; server_max_window_bits=${o.serverMaxWindowBits}`;
  return offer;
}

/**
 * The client's check of the server's answer (7.1): one permessage-deflate, only parameters it may
 * send, within what we offered. Undefined without the extension; an error fails the connection.
 */
export function acceptClientAnswer(
  header: string,
  o: Required<PerMessageDeflateOptions>,
): Negotiated | undefined | WebSocketError {
  if (!header) return undefined;
  const list = parseExtensions(header);
  const invalid = (detail: string) => wsError("WS_ERR_HANDSHAKE_DEFLATE", detail);
  if (!list) return invalid("malformed Sec-WebSocket-Extensions");
  if (list.length !== 1 || list[0].name !== EXTENSION) return invalid("more than one extension");
  const p = list[0].params;
  for (const [key, value] of p) {
    if (!KNOWN.has(key)) return invalid(`unknown parameter ${key}`);
    if (key.endsWith("takeover") && value !== true) return invalid(`${key} with a value`);
  }
  const serverBits = p.get("server_max_window_bits");
  const clientBits = p.get("client_max_window_bits");
  const peerWindowBits = serverBits === undefined ? 15 : windowBits(serverBits);
  const ownWindowBits = clientBits === undefined ? o.clientMaxWindowBits : windowBits(clientBits);
  if (peerWindowBits === undefined || peerWindowBits > o.serverMaxWindowBits)
    return invalid("server_max_window_bits beyond the offer");
  if (ownWindowBits === undefined || ownWindowBits > o.clientMaxWindowBits)
    return invalid("client_max_window_bits beyond the offer");
  return {
    header,
    ownContext: !o.clientNoContextTakeover && !p.has("client_no_context_takeover"),
    ownWindowBits,
    peerContext: !p.has("server_no_context_takeover"),
    peerWindowBits,
    threshold: o.threshold,
    level: o.level,
  };
}
