// Server options and the checks a request must pass beyond RFC 6455 4.2.1: which paths and
// origins are served, how many connections, which subprotocol. Defaults protect the process.
import * as abi from "./abi.ts";
import { type HostErrorCode, WebSocketError, wsError } from "./errors.ts";
import { DEFAULT_MAX_HEADER_BYTES, type UpgradeRequest } from "./handshake.ts";
import {
  type Negotiated,
  negotiateServer,
  type PerMessageDeflateOptions,
  resolveDeflate,
} from "./permessage-deflate.ts";

export interface ServerOptions {
  /** Largest message in bytes; beyond it the connection closes with 1009. 0 = unlimited. Default 16 MiB. */
  maxPayload?: number;
  /** Open connections allowed; a handshake beyond it gets 503 (or evicts, see `evict`). 0 = unlimited. Default 10000. */
  maxConnections?: number;
  /**
   * At maxConnections, admit the new connection and close another with 1001 "evicted": the one
   * open longest ("oldest") or the least recently active ("idle": nothing received for longest).
   * Default: refuse the new one with 503.
   */
  evict?: "oldest" | "idle";
  /**
   * Bytes per second per connection, each way (token buckets with a second's burst, refilled on the
   * server's shared timer). Inbound, reading pauses, so the peer's TCP window holds the rest;
   * outbound, writes wait in the socket's buffer (bufferedAmount). Nothing is dropped.
   */
  throttle?: { in?: number; out?: number };
  /**
   * Milliseconds from accepting a connection until its handshake is answered: past it a request
   * head still incomplete is dropped (TCP destroyed), an upgrade hook still running gets 503.
   * Default 10 s.
   */
  handshakeTimeout?: number;
  /**
   * Milliseconds of silence after which a connection is closed (1001). Halfway through a ping is
   * sent, so a live peer's pong keeps it open. 0 = off. Default 120 s.
   */
  idleTimeout?: number;
  /** Milliseconds to wait for the peer's answer to our close frame before destroying TCP. Default 5 s. */
  closeTimeout?: number;
  /** Largest request head in bytes (431 beyond it). Default 8 KiB. */
  maxHeaderBytes?: number;
  /**
   * Paths served (the request target without its query): `*` in a string matches any characters; a
   * RegExp is tested as it is (anchor it yourself). Default all.
   */
  path?: string | RegExp | (string | RegExp)[];
  /**
   * Origins allowed, e.g. `https://*.example.com` (403 otherwise). Default all. A request without
   * Origin is not from a browser, so it is let through: origin checks protect browsers' cookies.
   */
  origins?: string[];
  /**
   * Subprotocols we speak, a chooser that returns one of the offered ones (or none), or a handler per
   * subprotocol: the client's first offer that has one serves the connection.
   */
  protocols?: string[] | ((offered: string[]) => string | undefined) | Record<string, object>;
  /** Deliver text as a string (default) or as its validated UTF-8 bytes. */
  textAs?: "string" | "bytes";
  /**
   * Lend messages as bytes to the handler: valid until it returns, then reused for later messages,
   * so large messages do not each fill a fresh buffer. Sending or publishing one keeps its buffer out
   * of reuse (no copy); anything else needed later must be copied (`data.slice()`). Default false.
   */
  borrow?: boolean;
  /** send() returns false once this many bytes are buffered. Default 1 MiB. */
  highWaterMark?: number;
  /**
   * Buffered bytes a send() may not take a connection past: such a message is not queued. Default
   * 16 MiB; 0 = unlimited.
   */
  backpressureLimit?: number;
  /**
   * At backpressureLimit, close the connection with 1008 after what is queued (default), or drop
   * the message (send() returns false and ws.dropped counts it).
   */
  closeOnBackpressureLimit?: boolean;
  /**
   * RFC 7692 compression, in the core. Off by default; `true` accepts a client's offer without
   * context takeover in either direction, so an idle connection keeps no compression state.
   */
  perMessageDeflate?: boolean | PerMessageDeflateOptions;
}

export interface Policy {
  maxPayload: number;
  maxConnections: number;
  evict: "oldest" | "idle" | undefined;
  throttleIn: number;
  throttleOut: number;
  handshakeTimeout: number;
  idleTimeout: number;
  closeTimeout: number;
  maxHeaderBytes: number;
  textAs: "string" | "bytes";
  borrow: boolean;
  highWaterMark: number;
  backpressureLimit: number;
  closeOnBackpressureLimit: boolean;
  paths: RegExp[] | null;
  origins: RegExp[] | null;
  protocols: string[] | ((offered: string[]) => string | undefined) | undefined;
  deflate: Required<PerMessageDeflateOptions> | null;
}

/** `routes` adds its patterns to the paths served; a protocol map becomes its chooser. */
export function resolvePolicy(
  o: ServerOptions = {},
  routes?: RegExp[],
  chooser?: (offered: string[]) => string | undefined,
): Policy {
  if (o.evict !== undefined && o.evict !== "oldest" && o.evict !== "idle")
    throw new TypeError(`evict must be "oldest" or "idle", not ${JSON.stringify(o.evict)}`);
  const paths =
    o.path === undefined ? undefined : (Array.isArray(o.path) ? o.path : [o.path]).map(pathPattern);
  return {
    maxPayload: o.maxPayload ?? 16 * 1024 * 1024,
    maxConnections: o.maxConnections ?? 10000,
    evict: o.evict,
    throttleIn: rate(o.throttle?.in),
    throttleOut: rate(o.throttle?.out),
    handshakeTimeout: o.handshakeTimeout ?? 10_000,
    idleTimeout: o.idleTimeout ?? 120_000,
    closeTimeout: o.closeTimeout ?? 5_000,
    maxHeaderBytes: o.maxHeaderBytes ?? DEFAULT_MAX_HEADER_BYTES,
    textAs: o.textAs ?? "string",
    borrow: o.borrow ?? false,
    highWaterMark: o.highWaterMark ?? 1024 * 1024,
    backpressureLimit:
      o.backpressureLimit === 0 ? Number.POSITIVE_INFINITY : (o.backpressureLimit ?? 16 << 20),
    closeOnBackpressureLimit: o.closeOnBackpressureLimit ?? true,
    paths: paths || routes ? [...(paths ?? []), ...(routes ?? [])] : null,
    origins: o.origins ? o.origins.map((s) => pattern(s.toLowerCase())) : null,
    protocols: chooser ?? (o.protocols as Policy["protocols"]),
    deflate: resolveDeflate(o.perMessageDeflate, true),
  };
}

export type Decision =
  | { status: 101; protocol: string | undefined; deflate: Negotiated | undefined }
  | { status: number; error: WebSocketError; message: string };

/** The answer to a parsed request (status not 0), given how many connections are open. */
export function decide(req: UpgradeRequest, policy: Policy, connections: number): Decision {
  // A path we do not serve is 404 even for plain HTTP, so a crawler learns nothing more.
  if (policy.paths && req.path && !matches(policy.paths, req.path.split("?")[0]))
    return refuse(404, "WS_ERR_HANDSHAKE_PATH");
  if (req.status !== 101) {
    const error = req.error ?? WebSocketError.fromCore(abi.ERR_HS_MALFORMED);
    return { status: req.status, error, message: error.message };
  }
  if (policy.origins && req.origin && !matches(policy.origins, req.origin.toLowerCase()))
    return refuse(403, "WS_ERR_HANDSHAKE_ORIGIN");
  if (policy.maxConnections > 0 && connections >= policy.maxConnections && !policy.evict)
    return refuse(503, "WS_ERR_HANDSHAKE_CAPACITY");
  return {
    status: 101,
    protocol: chooseProtocol(policy.protocols, req.protocols),
    deflate: policy.deflate ? negotiateServer(req.extensions, policy.deflate) : undefined,
  };
}

// 4.2.2 item 5.3: at most one of the client's offers, never another value.
function chooseProtocol(choice: Policy["protocols"], offered: string[]): string | undefined {
  if (!choice || offered.length === 0) return undefined;
  if (typeof choice === "function") {
    const chosen = choice(offered);
    return chosen !== undefined && offered.includes(chosen) ? chosen : undefined;
  }
  return offered.find((p) => choice.includes(p));
}

function refuse(status: number, code: HostErrorCode): Decision {
  const error = wsError(code);
  return { status, error, message: error.message };
}

/** A throttle rate in bytes per second; 0 = none. */
function rate(n: number | undefined): number {
  if (n === undefined || n === 0) return 0;
  if (!(n > 0) || !Number.isFinite(n)) throw new TypeError(`throttle rates are bytes per second, not ${n}`);
  return n;
}

export function pattern(glob: string): RegExp {
  const body = glob
    .split("*")
    .map((s) => s.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
    .join(".*");
  return new RegExp(`^${body}$`);
}

/** A `path` entry as a RegExp; one with the g or y flag is copied without it, as test() would move its lastIndex. */
function pathPattern(p: string | RegExp): RegExp {
  if (typeof p === "string") return pattern(p);
  if (!(p instanceof RegExp)) throw new TypeError(`path must be a string or a RegExp, not ${typeof p}`);
  return p.global || p.sticky ? new RegExp(p.source, p.flags.replace(/[gy]/g, "")) : p;
}

function matches(patterns: RegExp[], value: string): boolean {
  return patterns.some((p) => p.test(value));
}
