// wasmsock/jsonrpc: a JSON-RPC 2.0 client over any WebSocket with the browser's interface (the
// browser's own, wasmsock's on node, deno and bun, undici's): calls with timeouts, notifications,
// methods the server may call or notify, and every pending call rejected when the socket closes.
import { type Method, type Params, Peer } from "./peer.ts";

/** What the client needs of a WebSocket: the browser's interface. */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: "open" | "message" | "close", listener: (event: never) => void): void;
}

export interface JsonRpcClientOptions {
  /** Milliseconds until a call without an answer rejects; 0 = none. Default 30 s. */
  timeout?: number;
  /** Methods the server may call (their return value answers) or notify. */
  methods?: Record<string, Method>;
}

export class JsonRpcClient {
  private readonly peer: Peer;
  private readonly methods: Record<string, Method>;
  /** What was sent before the socket opened. */
  private queued: string[] | undefined;

  constructor(
    readonly socket: WebSocketLike,
    options: JsonRpcClientOptions = {},
  ) {
    this.methods = { ...options.methods };
    const send = (text: string) => (this.queued ? this.queued.push(text) : socket.send(text));
    this.peer = new Peer(
      send,
      (name) => (Object.hasOwn(this.methods, name) ? this.methods[name] : undefined),
      {
        timeout: options.timeout,
      },
    );
    if (socket.readyState === 0) {
      this.queued = [];
      socket.addEventListener("open", () => {
        const queued = this.queued ?? [];
        this.queued = undefined;
        for (const text of queued) socket.send(text);
      });
    }
    socket.addEventListener("message", (event: { data: unknown }) => {
      if (typeof event.data === "string") this.peer.receive(event.data);
    });
    socket.addEventListener("close", (event: { code: number }) => {
      this.queued = undefined;
      this.peer.close(new Error(`connection closed (${event.code})`));
    });
    if (socket.readyState >= 2) this.peer.close(new Error("connection closed"));
  }

  /** Resolves with the result, rejects with a JsonRpcError (its code, message, data) or on timeout. */
  call<R = unknown>(method: string, params?: Params, options?: { timeout?: number }): Promise<R> {
    return this.peer.call(method, params, options) as Promise<R>;
  }

  notify(method: string, params?: Params): void {
    this.peer.notify(method, params);
  }

  /** A method the server may call or notify: (...params, context) => result. */
  on(method: string, fn: Method): this {
    this.methods[method] = fn;
    return this;
  }

  close(code?: number, reason?: string): void {
    this.socket.close(code, reason);
  }
}
