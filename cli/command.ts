// What a command is: its spec (options, help) and how it starts a server from the parsed options.
// Each command is a handler object plus options, as a user would write them (see the README).
import type { CommandSpec, Parsed } from "./args.ts";
import type { EventLog } from "./log.ts";

export interface Context {
  opts: Parsed;
  /** The shared options as serve() options (port, host, tls, limits, TCP, workers' reusePort). */
  listen: ListenOptions;
  log: EventLog;
}

/** Where and how to listen, from the shared options. */
export interface ListenOptions {
  port: number;
  host: string;
  tls?: { cert: string; key: string };
  reusePort?: boolean;
  backlog?: number;
  noDelay?: boolean;
  keepAlive?: boolean;
  /** Bytes per second per connection (issue 13's server option; passed through). */
  throttle?: { in?: number; out?: number };
  origins?: string[];
  maxConnections?: number;
  maxPayload?: number;
  idleTimeout?: number;
  perMessageDeflate?: boolean;
}

export interface Running {
  /** The URL printed at startup. */
  url: string;
  /** Graceful: 1001 to every peer, then resolves. */
  close(): Promise<void>;
}

export interface Command extends CommandSpec {
  /**
   * Usage errors that need more than the command line (a file, the runtime), raised before any
   * worker starts: one line and status 2 once, not a failure per worker.
   */
  check?(opts: Parsed): void;
  run(ctx: Context): Promise<Running>;
}

/** The command's own defaults under what the user gave on the command line. */
export function withDefaults<O extends object>(defaults: O, listen: ListenOptions): O & ListenOptions {
  const given = Object.fromEntries(Object.entries(listen).filter(([, v]) => v !== undefined));
  return { ...defaults, ...given } as O & ListenOptions;
}

export function wsUrl(listen: ListenOptions, port: number, path = "/"): string {
  const host = listen.host.includes(":") ? `[${listen.host}]` : listen.host;
  return `${listen.tls ? "wss" : "ws"}://${host}:${port}${path}`;
}
