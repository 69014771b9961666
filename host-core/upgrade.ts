// The handler's upgrade hook: the WHATWG Request it is shown, and the refusal a Response it returns
// becomes. Built only for handlers that have an upgrade or reject callback.
import * as abi from "./abi.ts";
import { WebSocketError, wsError } from "./errors.ts";
import { acceptResponse, type HeaderFields, httpResponse, type UpgradeRequest } from "./handshake.ts";
import type { Negotiated } from "./permessage-deflate.ts";

/** What the server knows of a connection besides its request. */
export interface UpgradeInfo {
  remoteAddress: string;
  /**
   * The request-target exactly as received (upgrade hook only): Request.url is normalized (dot
   * segments and their percent-encodings removed), this is not.
   */
  target?: string;
}

/** upgrade()'s answer to accept a request. */
export interface UpgradeAccept<T> {
  /** Becomes ws.data before open runs. */
  data?: T;
  /** Extra fields for the 101 response; CR, LF or NUL in one refuses the request with 500. */
  headers?: HeaderFields;
  /** One of the subprotocols the client offered (else 500); default: the `protocols` option's choice. */
  protocol?: string;
}

/** Nothing (accept), an UpgradeAccept, or a Response to refuse the request with. */
export type UpgradeResult<T> = undefined | UpgradeAccept<T> | Response;

// Heads the core stopped reading before their header fields were complete.
const incomplete = new Set(
  [abi.ERR_HS_MALFORMED, abi.ERR_HS_TOO_LARGE, abi.ERR_HS_TOO_MANY_HEADERS].map(
    (id) => WebSocketError.fromCore(id).code,
  ),
);

/**
 * The request as a WHATWG Request: `url` is http(s)://HOST/PATH?QUERY, `headers` every field.
 * Undefined when the head did not get that far, or a field is one a Headers cannot hold.
 */
export function toRequest(req: UpgradeRequest, secure: boolean): Request | undefined {
  if (req.status === 0 || !req.host || !req.method || (req.error && incomplete.has(req.error.code)))
    return undefined;
  try {
    // Pairs, not the record: Node's Request drops a record's `__proto__` field; pairs are also
    // cheaper than append() calls on Deno.
    return new Request(`${secure ? "https" : "http"}://${req.host}${req.path}`, {
      method: req.method,
      headers: Object.entries(req.headers),
    });
  } catch {
    return undefined;
  }
}

/** An accepting answer, ready to go: the 101, the protocol it names, the user's data. */
export interface Acceptance<T> {
  response: Uint8Array;
  protocol: string | undefined;
  deflate: Negotiated | undefined;
  data: T | undefined;
}

/** What an answer other than a Response means; an error when its 101 cannot be sent. */
export function acceptance<T>(
  req: UpgradeRequest,
  result: unknown,
  chosen: string | undefined,
  deflate: Negotiated | undefined,
): Acceptance<T> | WebSocketError {
  if (result != null && typeof result !== "object")
    return wsError("WS_ERR_HANDSHAKE_HOOK", `upgrade() returned a ${typeof result}`);
  const { data, headers, protocol = chosen } = (result ?? {}) as UpgradeAccept<T>;
  // 4.2.2 item 5.3: only a protocol the client offered.
  if (protocol !== undefined && !req.protocols.includes(protocol))
    return WebSocketError.fromCore(abi.ERR_HS_PROTOCOL, 0, protocol);
  try {
    const response = acceptResponse({ accept: req.accept, protocol, extensions: deflate?.header, headers });
    return { response, protocol, deflate, data };
  } catch (err) {
    return err instanceof WebSocketError ? err : wsError("WS_ERR_HANDSHAKE_HOOK", "", err);
  }
}

export function isResponse(value: unknown): value is Response {
  return typeof Response === "function" && value instanceof Response;
}

/** A Response as the bytes of a refusal: its status, fields and body, then the connection ends. */
export async function refusalOf(response: Response): Promise<Uint8Array> {
  const body = new Uint8Array(await response.arrayBuffer());
  return httpResponse(response.status, response.statusText, response.headers, body);
}

/** A Response nobody will send: its body is released. */
export function discard(value: unknown): void {
  if (isResponse(value)) value.body?.cancel().catch(() => {});
}
