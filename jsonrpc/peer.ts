// One end of a JSON-RPC 2.0 conversation (https://www.jsonrpc.org/specification), the same for the
// server and the client: requests it receives are dispatched to methods, each one on its own (a
// fast call answers before a slow one received earlier), and responses it receives settle the
// calls it made. No I/O: text comes in through receive(), goes out through the send it was given.

/** An error a method throws to answer with this code (e.g. -32602 for its own params checks). */
export class JsonRpcError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly data?: unknown,
  ) {
    super(message);
    this.name = "JsonRpcError";
  }
}

// Section 5.1.
export const PARSE_ERROR = -32700;
export const INVALID_REQUEST = -32600;
export const METHOD_NOT_FOUND = -32601;
export const INVALID_PARAMS = -32602;
export const INTERNAL_ERROR = -32603;

const MESSAGES: Record<number, string> = {
  [PARSE_ERROR]: "Parse error",
  [INVALID_REQUEST]: "Invalid Request",
  [METHOD_NOT_FOUND]: "Method not found",
  [INVALID_PARAMS]: "Invalid params",
  [INTERNAL_ERROR]: "Internal error",
};

export type Id = string | number | null;
export type Params = unknown[] | Record<string, unknown>;

/**
 * The other end, to notify or call back: a method gets it as `this`, and as its last declared
 * parameter when the params leave that one free (`async function ask(x, ctx)` called with [1]).
 */
export interface CallContext {
  notify(method: string, params?: Params): void;
  call(method: string, params?: Params, options?: { timeout?: number }): Promise<unknown>;
}

// biome-ignore lint/suspicious/noExplicitAny: methods are the user's functions, any signature
export type Method = (...args: any[]) => unknown;
export type Methods = Record<string, Method> | ((name: string) => Method | undefined);

interface ErrorObject {
  code: number;
  message: string;
  data?: unknown;
}

type Response = { jsonrpc: "2.0"; id: Id } & ({ result: unknown } | { error: ErrorObject });

interface Pending {
  resolve(value: unknown): void;
  reject(err: Error): void;
  timer: ReturnType<typeof setTimeout> | undefined;
}

export interface PeerOptions {
  /**
   * Default for call(): milliseconds until a call without an answer rejects. 0 (or more than setTimeout
   * can wait, 2^31 - 1) = none. Default 30 s.
   */
  timeout?: number;
  /** Requests a batch may hold; a larger one is answered with one Invalid Request. Default 1000. */
  maxBatch?: number;
  /** Prefix of the ids of our calls (the server's are "s1", "s2", ...; the client's 1, 2, ...). */
  idPrefix?: string;
}

export class Peer implements CallContext {
  private readonly pending = new Map<Id, Pending>();
  private nextId = 1;
  private closed: Error | undefined;
  private readonly timeout: number;
  private readonly maxBatch: number;
  private readonly idPrefix: string | undefined;

  constructor(
    private readonly send: (text: string) => void,
    private readonly methods: Methods,
    options: PeerOptions = {},
  ) {
    this.timeout = options.timeout ?? 30_000;
    this.maxBatch = options.maxBatch ?? 1000;
    this.idPrefix = options.idPrefix;
  }

  /** One text message: a request, a notification, a response, or a batch of them. */
  receive(text: string): void {
    let message: unknown;
    try {
      message = JSON.parse(text);
    } catch {
      this.reply(failure(null, PARSE_ERROR));
      return;
    }
    if (Array.isArray(message)) this.batch(message);
    else if (isResponse(message)) this.settle(message);
    else this.handle(message).then((answer) => answer && this.reply(answer));
  }

  /** A message we cannot read as text (binary): an Invalid Request, id null. */
  refuse(why: string): void {
    this.reply(failure(null, INVALID_REQUEST, why));
  }

  notify(method: string, params?: Params): void {
    if (this.closed) return;
    this.send(
      JSON.stringify(params === undefined ? { jsonrpc: "2.0", method } : { jsonrpc: "2.0", method, params }),
    );
  }

  call(method: string, params?: Params, options: { timeout?: number } = {}): Promise<unknown> {
    if (this.closed) return Promise.reject(this.closed);
    const id = this.idPrefix === undefined ? this.nextId++ : `${this.idPrefix}${this.nextId++}`;
    const timeout = options.timeout ?? this.timeout;
    let text: string;
    try {
      text = JSON.stringify(
        params === undefined ? { jsonrpc: "2.0", method, id } : { jsonrpc: "2.0", method, params, id },
      );
    } catch (err) {
      return Promise.reject(err);
    }
    return new Promise((resolve, reject) => {
      // setTimeout fires at once for a delay past 2^31 - 1 ms: such a timeout is none.
      const timer =
        timeout > 0 && timeout <= MAX_TIMEOUT
          ? setTimeout(() => {
              this.pending.delete(id);
              reject(new JsonRpcError(INTERNAL_ERROR, `call ${method} timed out after ${timeout} ms`));
            }, timeout)
          : undefined;
      this.pending.set(id, { resolve, reject, timer });
      this.send(text);
    });
  }

  /** The connection is gone: every call still waiting rejects with `reason`. */
  close(reason: Error): void {
    this.closed ??= reason;
    for (const [id, p] of this.pending) {
      this.pending.delete(id);
      if (p.timer !== undefined) clearTimeout(p.timer);
      p.reject(reason);
    }
  }

  private reply(answer: Response | Response[]): void {
    if (this.closed) return;
    this.send(Array.isArray(answer) ? `[${answer.map(serialize).join(",")}]` : serialize(answer));
  }

  // Section 6: one answer for the whole batch, none when it held only notifications.
  private batch(items: unknown[]): void {
    if (items.length === 0) {
      this.reply(failure(null, INVALID_REQUEST));
      return;
    }
    // Each request is a promise and each answer a piece of one reply: a bound on both.
    if (items.length > this.maxBatch) {
      this.reply(failure(null, INVALID_REQUEST, `a batch of ${items.length}; at most ${this.maxBatch}`));
      return;
    }
    const requests = items.filter((item) => !isResponse(item));
    for (const item of items) if (isResponse(item)) this.settle(item);
    if (requests.length === 0) return;
    Promise.all(requests.map((r) => this.handle(r))).then((answers) => {
      const sent = answers.filter((a): a is Response => a !== undefined);
      if (sent.length > 0) this.reply(sent);
    });
  }

  // Section 4: the answer to one request, undefined for a notification.
  private async handle(request: unknown): Promise<Response | undefined> {
    if (!isRequest(request)) return failure(null, INVALID_REQUEST);
    const notification = !("id" in request);
    const id = notification ? null : (request.id as Id);
    const fn = this.lookup(request.method);
    if (!fn) return notification ? undefined : failure(id, METHOD_NOT_FOUND);
    const { params } = request;
    // A method takes at most as many positional params as it declares (its context counted); one
    // declaring none, or a rest parameter, takes any number.
    if (Array.isArray(params) && params.length > declared(fn))
      return notification ? undefined : failure(id, INVALID_PARAMS);
    const args: unknown[] = params === undefined ? [] : Array.isArray(params) ? [...params] : [params];
    // The context is `this`, and the last declared parameter when the params leave it free.
    if (fn.length > args.length) {
      args.length = fn.length - 1;
      args.push(this);
    }
    try {
      const result = await fn.apply(this, args);
      return notification ? undefined : { jsonrpc: "2.0", result: result ?? null, id };
    } catch (thrown) {
      return notification ? undefined : { jsonrpc: "2.0", error: errorObject(thrown), id };
    }
  }

  private lookup(name: string): Method | undefined {
    if (name.startsWith("rpc.")) return undefined; // reserved, section 4
    const { methods } = this;
    if (typeof methods === "function") return methods(name);
    return Object.hasOwn(methods, name) && typeof methods[name] === "function" ? methods[name] : undefined;
  }

  private settle(response: { id: unknown; result?: unknown; error?: ErrorObject }): void {
    const p = this.pending.get(response.id as Id);
    if (!p) return;
    this.pending.delete(response.id as Id);
    if (p.timer !== undefined) clearTimeout(p.timer);
    const { error } = response;
    // Section 5: an error object or a result, never both; an "error": null beside a result is tolerated.
    if (error !== undefined && error !== null) {
      if (isErrorObject(error)) p.reject(new JsonRpcError(error.code, error.message, error.data));
      else p.reject(new JsonRpcError(INTERNAL_ERROR, "the response's error is not an error object", error));
    } else if ("result" in response) p.resolve(response.result);
    else p.reject(new JsonRpcError(INTERNAL_ERROR, "the response has neither result nor error"));
  }
}

// The longest delay setTimeout keeps.
const MAX_TIMEOUT = 2 ** 31 - 1;

/**
 * One response as JSON text. A result or error data that JSON cannot hold (a BigInt, a cycle, nesting
 * past the stack) makes it an Internal error, so that a method's return value cannot throw where
 * nothing catches it.
 */
function serialize(response: Response): string {
  try {
    return JSON.stringify(response);
  } catch (err) {
    const why = `the answer is not JSON: ${err instanceof Error ? err.message : String(err)}`;
    return JSON.stringify(failure(response.id, INTERNAL_ERROR, why));
  }
}

// How many positional params a function declares: Function.length stops at the first default or rest
// parameter, so the list is read from its source; without one to read (`x => x`, a native or bound
// function) its length. Infinity for one declaring none or a rest parameter.
const arities = new WeakMap<Method, number>();
function declared(fn: Method): number {
  let n = arities.get(fn);
  if (n === undefined) {
    n = Math.max(parameterCount(Function.prototype.toString.call(fn)) ?? fn.length, fn.length);
    if (n === 0) n = Number.POSITIVE_INFINITY;
    arities.set(fn, n);
  }
  return n;
}

// The top-level parameters in the first parenthesised list of a function's source, Infinity with a
// rest parameter, undefined when there is no list to read (`x => x`, native code).
function parameterCount(source: string): number | undefined {
  const open = source.indexOf("(");
  if (open < 0 || source.slice(0, open).includes("=>") || source.includes("[native code]")) return undefined;
  let depth = 0;
  let count = 0;
  let any = false;
  for (let i = open; i < source.length; i++) {
    const c = source[i];
    if (c === '"' || c === "'" || c === "`") {
      for (i++; i < source.length && source[i] !== c; i++) if (source[i] === "\\") i++;
      any = true;
    } else if (c === "/" && (source[i + 1] === "/" || source[i + 1] === "*")) {
      const end = source.indexOf(source[i + 1] === "/" ? "\n" : "*/", i + 2);
      if (end < 0) return undefined;
      i = end + (source[i + 1] === "/" ? 0 : 1);
    } else if (c === "(" || c === "[" || c === "{") {
      if (depth > 0) any = true;
      depth++;
    } else if (c === ")" || c === "]" || c === "}") {
      depth--;
      if (depth === 0) return count + (any ? 1 : 0);
    } else if (depth === 1 && c === ",") {
      if (any) count++;
      any = false;
    } else if (depth === 1 && c === "." && source.startsWith("...", i)) return Number.POSITIVE_INFINITY;
    else if (c.trim() !== "") any = true;
  }
  return undefined;
}

function failure(id: Id, code: number, data?: unknown): Response {
  const error: ErrorObject = { code, message: MESSAGES[code] };
  if (data !== undefined) error.data = data;
  return { jsonrpc: "2.0", error, id };
}

/** A thrown JsonRpcError (or anything with an integer code) keeps its code. */
function errorObject(thrown: unknown): ErrorObject {
  const t = thrown as { code?: unknown; message?: unknown; data?: unknown } | null;
  if (t && Number.isInteger(t.code)) {
    const code = t.code as number;
    const message = typeof t.message === "string" ? t.message : (MESSAGES[code] ?? "Server error");
    const error: ErrorObject = { code, message };
    if (t.data !== undefined) error.data = t.data;
    return error;
  }
  const message = t && typeof t.message === "string" ? t.message : String(thrown);
  return { code: INTERNAL_ERROR, message: MESSAGES[INTERNAL_ERROR], data: message };
}

function isRequest(value: unknown): value is { method: string; params?: Params; id?: unknown } {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const r = value as Record<string, unknown>;
  if (r.jsonrpc !== "2.0" || typeof r.method !== "string") return false;
  if ("params" in r && (typeof r.params !== "object" || r.params === null)) return false;
  if ("id" in r && r.id !== null && typeof r.id !== "string" && typeof r.id !== "number") return false;
  return true;
}

function isErrorObject(value: unknown): value is ErrorObject {
  const e = value as Partial<ErrorObject> | null;
  return typeof e === "object" && e !== null && Number.isInteger(e.code) && typeof e.message === "string";
}

function isResponse(value: unknown): value is { id: unknown; result?: unknown; error?: ErrorObject } {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const r = value as Record<string, unknown>;
  return r.jsonrpc === "2.0" && !("method" in r) && "id" in r && ("result" in r || "error" in r);
}
