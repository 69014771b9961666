#!/usr/bin/env node
// The wasmsock CLI: `wasmsock COMMAND [options]` on node, deno (`deno run -A`) or bun; host-auto
// picks the runtime's host. A bad command line prints one line and exits with status 2; SIGINT and
// SIGTERM close every connection with 1001 and exit 0.
import { readFileSync } from "node:fs";
import { commandHelp, type Parsed, parseOptions, toolHelp, UsageError } from "./args.ts";
import type { Command, ListenOptions, Running } from "./command.ts";
import { chat } from "./commands/chat.ts";
import { echo } from "./commands/echo.ts";
import { gateway } from "./commands/gateway.ts";
import { jsonrpc } from "./commands/jsonrpc.ts";
import { pubsub } from "./commands/pubsub.ts";
import { jsonLines, silent } from "./log.ts";
import { primary, role } from "./workers.ts";

const COMMANDS: Command[] = [echo, chat, pubsub, jsonrpc, gateway];

function listenOptions(opts: Parsed): ListenOptions {
  // Runtimes' own errors for a file that is no PEM name neither the option nor the file.
  const pem = (name: string, label: RegExp, what: string) => {
    let text: string;
    try {
      text = readFileSync(opts[name] as string, "utf8");
    } catch (err) {
      throw new UsageError(`--${name}: cannot read ${opts[name]} (${(err as NodeJS.ErrnoException).code})`);
    }
    if (!new RegExp(`-----BEGIN ${label.source}-----`).test(text))
      throw new UsageError(`--${name}: ${opts[name]} holds no PEM ${what}`);
    return text;
  };
  const seconds = opts["idle-timeout"] as number | undefined;
  const throttle =
    opts["throttle-in"] !== undefined || opts["throttle-out"] !== undefined
      ? { in: opts["throttle-in"] as number | undefined, out: opts["throttle-out"] as number | undefined }
      : undefined;
  return {
    port: (opts.port as number | undefined) ?? 8080,
    host: (opts.host as string | undefined) ?? "127.0.0.1",
    tls: opts["tls-cert"]
      ? {
          cert: pem("tls-cert", /CERTIFICATE/, "certificate"),
          key: pem("tls-key", /[A-Z ]*PRIVATE KEY/, "private key"),
        }
      : undefined,
    origins: opts.origin as string[] | undefined,
    maxConnections: opts["max-connections"] as number | undefined,
    maxPayload: opts["max-payload"] as number | undefined,
    idleTimeout: seconds === undefined ? undefined : seconds * 1000,
    backlog: opts.backlog as number | undefined,
    noDelay: opts["no-delay"] ? true : undefined,
    keepAlive: opts["keep-alive"] ? true : undefined,
    throttle,
    perMessageDeflate: opts.deflate ? true : undefined,
  };
}

async function main(argv: string[]): Promise<void> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    process.stdout.write(toolHelp(COMMANDS));
    if (name === undefined) process.exitCode = 2;
    return;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command)
    throw new UsageError(`unknown command '${name}' (commands: ${COMMANDS.map((c) => c.name).join(", ")})`);
  const opts = parseOptions(command, rest);
  if (opts.help) return void process.stdout.write(commandHelp(command));
  const listen = listenOptions(opts);
  command.check?.(opts);
  const log = opts.log === "json" ? jsonLines : silent;
  // The startup line, an event like the rest under --log json so that collectors read every line.
  const announce = (url: string, workers?: number) => {
    if (opts.quiet) return;
    if (log === silent) console.log(workers ? `${url} (${workers} workers)` : `${command.name} on ${url}`);
    else log("listening", { command: command.name, url, workers });
  };
  const me = role(opts.workers as number | undefined);
  if (!me.serves)
    return primary(opts.workers as number, listen.port, (url) => announce(url, opts.workers as number));
  if (me.reusePort) {
    listen.reusePort = true;
    listen.port = me.port ?? listen.port;
  }
  const running = await command.run({ opts, listen, log });
  if (me.ready) me.ready(running.url);
  else announce(running.url);
  closeOnSignals(running);
}

function closeOnSignals(running: Running): void {
  let closing = false;
  const close = () => {
    if (closing) return;
    closing = true;
    // Peers that never answer our close are dropped after closeTimeout; this is the backstop.
    setTimeout(() => process.exit(0), 10_000).unref?.();
    running.close().then(
      () => process.exit(0),
      (err) => {
        console.error(`wasmsock: ${err}`);
        process.exit(1);
      },
    );
  };
  process.on("SIGINT", close);
  process.on("SIGTERM", close);
}

main(process.argv.slice(2)).catch((err) => {
  if (err instanceof UsageError) {
    console.error(`wasmsock: ${err.message}`);
    process.exit(2);
  }
  const e = err as NodeJS.ErrnoException;
  console.error(`wasmsock: ${e.code === "EADDRINUSE" ? "the port is in use" : (e.message ?? String(err))}`);
  process.exit(1);
});
