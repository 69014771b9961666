// The parts of Deno's API the adapter uses, declared here because the project compiles with
// Node's types only.
export interface Addr {
  hostname: string;
  port: number;
}

export interface Conn {
  readonly remoteAddr: Addr;
  /** Resolves with the bytes read into p, or null at end of stream. */
  read(p: Uint8Array): Promise<number | null>;
  /** May write fewer bytes than given. */
  write(p: Uint8Array): Promise<number>;
  closeWrite(): Promise<void>;
  close(): void;
  setNoDelay?(noDelay?: boolean): void;
}

export interface Listener {
  readonly addr: Addr;
  accept(): Promise<Conn>;
  close(): void;
}

export interface TlsCertificate {
  /** PEM certificate chain. */
  cert: string;
  /** PEM private key. */
  key: string;
}

/** The server side of Deno.upgradeWebSocket: a WHATWG WebSocket. */
export interface DenoWebSocket {
  binaryType: "blob" | "arraybuffer";
  readonly bufferedAmount: number;
  onopen: (() => void) | null;
  onmessage: ((e: { data: string | ArrayBuffer }) => void) | null;
  onclose: ((e: { code: number; reason: string }) => void) | null;
  onerror: ((e: unknown) => void) | null;
  send(data: string | Uint8Array): void;
  close(code?: number, reason?: string): void;
}

/** The second argument of a Deno.serve handler. */
export interface ServeHandlerInfo {
  remoteAddr?: { hostname: string };
}

interface DenoNamespace {
  /** Throws when the request is not a valid WebSocket upgrade. idleTimeout in seconds, 0 = off. */
  upgradeWebSocket(
    request: Request,
    options?: { protocol?: string; idleTimeout?: number },
  ): { socket: DenoWebSocket; response: Response };
  /** reusePort: Linux only, and only with --unstable-net. */
  listen(options: { hostname?: string; port: number; reusePort?: boolean }): Listener;
  listenTls(options: { hostname?: string; port: number } & TlsCertificate): Listener;
  connect(options: { hostname: string; port: number }): Promise<Conn>;
  connectTls(options: { hostname: string; port: number; caCerts?: string[] }): Promise<Conn>;
}

export const Deno = (globalThis as unknown as { Deno: DenoNamespace }).Deno;
