// Mounting inside fetch-style servers that never hand over the raw connection (Deno.serve,
// Bun.serve, a worker's fetch): the request passes the same policy, routes and upgrade hook as on
// our own listeners, then the runtime's own WebSocket carries the frames, and MountedDriver puts the
// same ServerWebSocket, codecs and topics on top of it. Each host adds only the runtime's upgrade call.
import * as abi from "./abi.ts";
import { WebSocketError, wsError } from "./errors.ts";
import type { HeaderFields, UpgradeRequest } from "./handshake.ts";
import { bytesOf, invalidPayload, type Payload } from "./payload.ts";
import type { Framed, Subscriber } from "./pubsub.ts";
import type { Route } from "./router.ts";
import type { ServerCore } from "./server.ts";
import { decide, type Policy } from "./server-policy.ts";
import { type Driver, dispatchMessage, logError, type ServerWebSocket, socketFor } from "./socket.ts";
import { CLOSED, CLOSING, OPEN, type ReadyState, WebSocketState } from "./state.ts";
import { isResponse, type UpgradeAccept, type UpgradeInfo } from "./upgrade.ts";

/** The runtime's server-side WebSocket, as much of it as the driver uses. */
export interface NativeSocket {
  /** A string goes as text, bytes as binary. */
  send(data: string | Uint8Array): void;
  close(code?: number, reason?: string): void;
  /** Bytes the runtime holds unsent (0 where it does not say). */
  readonly bufferedAmount: number;
  ping?(data: Uint8Array): void;
  terminate?(): void;
}

/** A request the server admitted: who serves it, and what the runtime's 101 must carry. */
export interface Admission<T> {
  route: Route<T>;
  path: string;
  protocol: string | undefined;
  data: T | undefined;
  headers: HeaderFields | undefined;
  remoteAddress: string;
}

const policies = new WeakMap<Policy, Policy>();

/**
 * Policy, routes and the upgrade hook for a WHATWG Request: an Admission, or the Response that
 * refuses it (what serve() would have answered, the hook's own Response, 500 or 503).
 */
export async function admitRequest<T>(
  core: ServerCore<T>,
  request: Request,
  remoteAddress = "",
): Promise<Admission<T> | Response> {
  const info: UpgradeInfo = { remoteAddress };
  const req = upgradeRequestOf(request);
  // The runtime negotiates (or not) extensions itself.
  let policy = policies.get(core.policy);
  if (!policy) policies.set(core.policy, (policy = { ...core.policy, deflate: null }));
  const d = decide(req, policy, core.load);
  const admitted = "protocol" in d ? core.admit(req.path, d.protocol) : d;
  if (!("handler" in admitted))
    return refuse(core, undefined, request, admitted.status, admitted.error, info);
  const route = admitted;
  const chosen = "protocol" in d ? d.protocol : undefined;
  const base = {
    route,
    path: req.path,
    protocol: chosen,
    data: undefined,
    headers: undefined,
    remoteAddress,
  };
  const hook = route.handler.upgrade;
  if (!hook) return base;
  core.upgrading++;
  let result: unknown;
  try {
    result = await withTimeout(hook.call(route.handler, request, info), core.policy.handshakeTimeout);
  } catch (thrown) {
    const timedOut = thrown === TIMEOUT;
    const error = timedOut
      ? wsError("WS_ERR_HANDSHAKE_TIMEOUT")
      : wsError("WS_ERR_HANDSHAKE_HOOK", "", thrown);
    return refuse(core, route, request, timedOut ? 503 : 500, error, info);
  } finally {
    core.upgrading--;
  }
  if (isResponse(result)) {
    const error = wsError("WS_ERR_HANDSHAKE_REFUSED", `status ${result.status}`, result);
    tellReject(core, route, request, error, info);
    return result;
  }
  if (result != null && typeof result !== "object") {
    const error = wsError("WS_ERR_HANDSHAKE_HOOK", `upgrade() returned a ${typeof result}`);
    return refuse(core, route, request, 500, error, info);
  }
  const { data, headers, protocol = chosen } = (result ?? {}) as UpgradeAccept<T>;
  // 4.2.2 item 5.3: only a protocol the client offered.
  if (protocol !== undefined && !req.protocols.includes(protocol))
    return refuse(core, route, request, 500, WebSocketError.fromCore(abi.ERR_HS_PROTOCOL, 0, protocol), info);
  return { ...base, protocol, data, headers };
}

/** Response fields for the runtime's 101: the hook's, and the chosen subprotocol. */
export function acceptHeaders(a: Admission<unknown>): Headers {
  const headers = new Headers(a.headers as HeadersInit | undefined);
  if (a.protocol !== undefined) headers.set("Sec-WebSocket-Protocol", a.protocol);
  return headers;
}

const TIMEOUT = Symbol("timeout");

function withTimeout<R>(value: R | Promise<R>, ms: number): Promise<R> {
  if (!(value instanceof Promise)) return Promise.resolve(value);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(TIMEOUT), ms);
  });
  return Promise.race([value, late]).finally(() => clearTimeout(timer));
}

function refuse<T>(
  core: ServerCore<T>,
  route: Route<T> | undefined,
  request: Request,
  status: number,
  error: WebSocketError,
  info: UpgradeInfo,
): Response {
  tellReject(core, route, request, error, info);
  const headers: Record<string, string> = { "Content-Type": "text/plain" };
  if (status === 426) headers["Sec-WebSocket-Version"] = "13";
  if (status === 405) headers.Allow = "GET";
  return new Response(error.message, { status, headers });
}

function tellReject<T>(
  core: ServerCore<T>,
  route: Route<T> | undefined,
  request: Request,
  error: WebSocketError,
  info: UpgradeInfo,
): void {
  const reject = core.rejectFor(route);
  if (!reject) return;
  try {
    const result: unknown = reject(request, error, info);
    if (result instanceof Promise) result.catch((thrown) => logError("reject() failed", thrown));
  } catch (thrown) {
    logError("reject() threw", thrown);
  }
}

/** The fields policy reads, from a WHATWG Request (the runtime checks the rest of 4.2.1). */
function upgradeRequestOf(request: Request): UpgradeRequest {
  const url = new URL(request.url);
  const headers: Record<string, string> = Object.create(null);
  request.headers.forEach((value, name) => {
    headers[name] = value;
  });
  const upgrade = (headers.upgrade ?? "").toLowerCase().split(/\s*,\s*/);
  let status = 101;
  let error: WebSocketError | undefined;
  if (request.method !== "GET") [status, error] = [405, WebSocketError.fromCore(abi.ERR_HS_METHOD)];
  else if (!upgrade.includes("websocket"))
    [status, error] = [426, WebSocketError.fromCore(abi.ERR_HS_UPGRADE)];
  // Headers joins repeated fields with ", ": more than one Origin, which the engine refuses too.
  else if (/[\s,]/.test(headers.origin ?? ""))
    [status, error] = [400, WebSocketError.fromCore(abi.ERR_HS_ORIGIN)];
  return {
    status,
    error,
    end: 0,
    method: request.method,
    path: url.pathname + url.search,
    host: url.host,
    origin: headers.origin ?? "",
    protocols: (headers["sec-websocket-protocol"] ?? "")
      .split(",")
      .map((p) => p.trim())
      .filter(Boolean),
    extensions: headers["sec-websocket-extensions"] ?? "",
    key: headers["sec-websocket-key"] ?? "",
    accept: "",
    headers,
  };
}

const utf8 = new TextDecoder();
const encoder = new TextEncoder();

/** A ServerWebSocket over the runtime's WebSocket. Hosts call opened, received, closed and drained. */
export class MountedDriver<T> implements Driver<T>, Subscriber {
  readonly ws: ServerWebSocket<T>;
  readonly route: Route<T>;
  readonly path: string;
  readonly protocol: string;
  readonly remoteAddress: string;
  readonly extensions = "";
  dropped = 0;
  topics: string | Set<string> | undefined;
  private ready: ReadyState = OPEN;
  private needDrain = false;

  constructor(
    private readonly core: ServerCore<T>,
    private readonly native: NativeSocket,
    a: Admission<T>,
  ) {
    this.route = a.route;
    this.path = a.path;
    this.protocol = a.protocol ?? "";
    this.remoteAddress = a.remoteAddress;
    this.ws = socketFor(this, a.data as T);
  }

  get readyState(): ReadyState {
    return this.ready;
  }

  get state(): WebSocketState {
    return this.ready === OPEN
      ? WebSocketState.OPEN
      : this.ready === CLOSED
        ? WebSocketState.CLOSED
        : WebSocketState.CLOSE_SENT;
  }

  get bufferedAmount(): number {
    return this.native.bufferedAmount ?? 0;
  }

  // ---- For the host ----

  /** The runtime's socket is open: the handler's open runs. */
  opened(): void {
    this.core.opened(undefined, this.ws);
    try {
      this.route.handler.open?.(this.ws);
    } catch (thrown) {
      this.close(1011);
      const err = wsError("WS_ERR_HANDLER", "open()", thrown, 1011);
      if (this.route.handler.error) this.route.handler.error(this.ws, err);
      else logError(`${err.message}, closed with 1011`, thrown);
    }
  }

  /** A whole message from the runtime. */
  received(data: string | ArrayBuffer | Uint8Array): void {
    if (this.ready === CLOSED) return;
    this.core.touch(this.ws);
    const isBinary = typeof data !== "string";
    const bytes = isBinary ? (data instanceof Uint8Array ? data : new Uint8Array(data)) : undefined;
    const { maxPayload, textAs } = this.core.policy;
    const size = bytes ? bytes.length : (data as string).length;
    // Where the runtime has no limit of its own: checked after the fact (a string's UTF-16 length
    // is at most its UTF-8 length, so no message under the limit is refused).
    if (maxPayload > 0 && size > maxPayload) {
      this.close(1009, "message too large");
      return;
    }
    const message = bytes ?? (textAs === "bytes" ? encoder.encode(data as string) : (data as string));
    dispatchMessage(this.route, this.ws, message, isBinary);
  }

  /** The runtime's buffer drained (Bun); a handler waiting for it hears of it. */
  drained(): void {
    if (!this.needDrain || this.bufferedAmount >= this.core.policy.highWaterMark) return;
    this.needDrain = false;
    this.route.handler.drain?.(this.ws);
  }

  /** The connection is gone: once. */
  closed(code: number, reason: string): void {
    if (this.ready === CLOSED) return;
    this.ready = CLOSED;
    this.core.topics.leaveAll(this);
    try {
      this.route.handler.close?.(this.ws, code, reason);
    } finally {
      this.core.gone(this.ws);
    }
  }

  // ---- For the socket ----

  send(data: Payload, binary?: boolean): boolean {
    if (this.ready !== OPEN) return false;
    const { policy } = this.core;
    let out: string | Uint8Array;
    if (typeof data === "string") out = binary ? encoder.encode(data) : data;
    else {
      const bytes = bytesOf(data);
      if (!bytes) return this.invalid(data);
      out = binary === false ? utf8.decode(bytes) : bytes;
    }
    if (this.bufferedAmount >= policy.backpressureLimit) {
      this.dropped++;
      this.needDrain = true;
      if (policy.closeOnBackpressureLimit) this.close(1008, "backpressure limit");
      return false;
    }
    this.native.send(out);
    if (this.bufferedAmount < policy.highWaterMark) return true;
    this.needDrain = true;
    return false;
  }

  ping(data: Payload = new Uint8Array(0)): void {
    const bytes = bytesOf(data);
    if (!bytes) this.invalid(data);
    if (this.ready === OPEN) this.native.ping?.(bytes!);
  }

  close(code?: number, reason?: string): void {
    if (this.ready !== OPEN) return;
    this.ready = CLOSING;
    try {
      this.native.close(code, reason);
    } catch {
      this.native.close();
    }
  }

  terminate(): void {
    // Where the runtime cannot drop a connection without a close frame, it sends one.
    if (this.native.terminate) this.native.terminate();
    else this.close();
  }

  /** The runtime's socket has no read side to pause: a no-op here (see the README). */
  pause(): void {}

  resume(): void {}

  cork<R>(fn: () => R): R {
    return fn();
  }

  subscribe(topic: string): void {
    if (this.ready !== CLOSED) this.core.topics.subscribe(this, topic);
  }

  unsubscribe(topic: string): void {
    this.core.topics.unsubscribe(this, topic);
  }

  publish(topic: string, data: Payload, binary?: boolean): number {
    return this.core.topics.publish(topic, data, binary, this);
  }

  /** A published message: the runtime frames it again (it takes messages, not frames). */
  deliver(message: Framed): boolean {
    if (this.ready !== OPEN) return false;
    const dropped = this.dropped;
    this.send(message.binary ? message.data : utf8.decode(message.data), message.binary);
    return this.dropped === dropped;
  }

  private invalid(data: unknown): never {
    throw invalidPayload(data, "a string, an ArrayBuffer or an ArrayBufferView");
  }
}
