// The parts of Bun's API the adapter uses (Bun 1.4), declared here because the project compiles
// with Node's types only.

/** A TCP or TLS socket. Its handlers are shared; per-connection state goes in `data`. */
export interface BunSocket<D> {
  data: D;
  readonly remoteAddress: string;
  /**
   * Hands bytes to the OS without queueing: returns how many it took (fewer once the kernel's
   * buffer is full; `drain` follows), or -1 once the socket is closed.
   */
  write(data: Uint8Array, byteOffset?: number, byteLength?: number): number;
  /** shutdown(SHUT_WR): our side is done, reading goes on until the peer closes. */
  shutdown(): void;
  /** Closes once Bun's own buffer is written (ours is empty by then); runs `close` inside. */
  end(): void;
  /** Closes at once; the `close` handler runs before this returns. */
  terminate(): void;
  /** Stops and restarts reading from the kernel, so TCP flow control reaches the peer. */
  pause(): void;
  resume(): void;
}

export interface SocketHandler<D> {
  open?(socket: BunSocket<D>): void;
  /** A fresh Buffer per call, never reused by Bun: it may be kept. */
  data(socket: BunSocket<D>, data: Uint8Array): void;
  /** The socket is writable again (also once after connecting). */
  drain?(socket: BunSocket<D>): void;
  /** Once, when the socket is gone; `error` when it ended by one (e.g. ECONNRESET). */
  close?(socket: BunSocket<D>, error?: Error): void;
  /** Exceptions thrown by the other handlers; without it they are uncaught exceptions. */
  error?(socket: BunSocket<D>, error: Error): void;
  /**
   * TLS only. With this handler, writes before the handshake take 0 bytes (`drain` follows it).
   * A certificate that fails verification gives success false, then `close` without an error.
   */
  handshake?(socket: BunSocket<D>, success: boolean, authorizationError: Error | null): void;
}

export interface TcpListener {
  readonly port: number;
  /** Stops accepting; open connections stay unless closeActiveConnections. */
  stop(closeActiveConnections?: boolean): void;
}

/** For Bun.listen: the server's certificate. */
export interface TlsCertificate {
  /** PEM certificate chain. */
  cert: string;
  /** PEM private key. */
  key: string;
  passphrase?: string;
}

/** For Bun.connect: how to check the server (ca, rejectUnauthorized, serverName...). */
export interface TlsClientOptions {
  ca?: string | string[];
  cert?: string;
  key?: string;
  rejectUnauthorized?: boolean;
  serverName?: string;
}

/** A socket Bun.serve upgraded (Bun's own engine); per-connection state goes in `data`. */
export interface BunServerWebSocket<D> {
  data: D;
  readonly remoteAddress: string;
  /** A string as text, bytes as binary; returns -1 when backpressured, 0 when dropped. */
  send(data: string | Uint8Array): number;
  close(code?: number, reason?: string): void;
  terminate(): void;
  ping(data?: Uint8Array): number;
  getBufferedAmount(): number;
}

/** Bun.serve's `websocket` option: one handler object for every upgraded socket. */
export interface BunWebSocketHandler<D> {
  open(ws: BunServerWebSocket<D>): void;
  message(ws: BunServerWebSocket<D>, message: string | Uint8Array): void;
  close(ws: BunServerWebSocket<D>, code: number, reason: string): void;
  drain(ws: BunServerWebSocket<D>): void;
  /** Bytes; Bun closes with 1009 beyond it. */
  maxPayloadLength?: number;
  /** Seconds; 0 = off. */
  idleTimeout?: number;
  backpressureLimit?: number;
  closeOnBackpressureLimit?: boolean;
  sendPings?: boolean;
}

/** The `server` argument of Bun.serve's fetch. */
export interface BunHttpServer {
  /** Answers the 101 itself; false when the request is not a valid upgrade. */
  upgrade(request: Request, options?: { data?: unknown; headers?: Headers }): boolean;
  requestIP?(request: Request): { address: string } | null;
}

interface BunNamespace {
  listen<D>(options: {
    hostname: string;
    port: number;
    tls?: TlsCertificate;
    /** SO_REUSEPORT: other processes may listen on the same port. */
    reusePort?: boolean;
    socket: SocketHandler<D>;
  }): TcpListener;
  /** Rejects when the connection cannot be made; `open` runs before it resolves. */
  connect<D>(options: {
    hostname: string;
    port: number;
    tls?: boolean | TlsClientOptions;
    data: D;
    socket: SocketHandler<D>;
  }): Promise<BunSocket<D>>;
}

export const Bun = (globalThis as unknown as { Bun: BunNamespace }).Bun;
