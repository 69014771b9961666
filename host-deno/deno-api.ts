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

interface DenoNamespace {
  /** reusePort: Linux only, and only with --unstable-net. */
  listen(options: { hostname?: string; port: number; reusePort?: boolean }): Listener;
  listenTls(options: { hostname?: string; port: number } & TlsCertificate): Listener;
  connect(options: { hostname: string; port: number }): Promise<Conn>;
  connectTls(options: { hostname: string; port: number; caCerts?: string[] }): Promise<Conn>;
}

export const Deno = (globalThis as unknown as { Deno: DenoNamespace }).Deno;
