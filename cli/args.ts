// Command-line parsing: the options every command shares, each command's own, and the help texts.
// A bad command line is a UsageError: the entry prints its one line and exits with status 2.

export class UsageError extends Error {}

type Kind = "flag" | "string" | "list" | "int" | "port" | "choice";

export interface OptionSpec {
  name: string;
  kind: Kind;
  help: string;
  /** For "int": the smallest value allowed. */
  min?: number;
  /** For "choice". */
  choices?: string[];
  /** Shown in the help after the option's name, e.g. FILE. */
  value?: string;
}

export type Parsed = Record<string, string | number | boolean | string[] | undefined>;

export interface CommandSpec {
  name: string;
  summary: string;
  usage: string;
  /** The command's own options, beside the shared ones. */
  options: OptionSpec[];
  /** Options that must be given. */
  required?: string[];
  /** Chat and pubsub: --redis makes topics span processes. */
  topics?: boolean;
  /** Lines after the options in --help. */
  notes?: string[];
}

export const SHARED: OptionSpec[] = [
  {
    name: "port",
    kind: "port",
    value: "N",
    help: "TCP port to listen on (0 picks a free one). Default 8080",
  },
  { name: "host", kind: "string", value: "ADDR", help: "interface to listen on. Default 127.0.0.1" },
  { name: "tls-cert", kind: "string", value: "FILE", help: "PEM certificate: serve wss:// (with --tls-key)" },
  { name: "tls-key", kind: "string", value: "FILE", help: "PEM private key for --tls-cert" },
  {
    name: "origin",
    kind: "list",
    value: "PATTERN",
    help: "allowed Origin, * matches anything (repeatable; others get 403). Default all",
  },
  {
    name: "max-connections",
    kind: "int",
    min: 0,
    value: "N",
    help: "further handshakes get 503; 0 = no limit",
  },
  {
    name: "max-payload",
    kind: "int",
    min: 0,
    value: "BYTES",
    help: "largest message (1009 beyond); 0 = no limit",
  },
  {
    name: "idle-timeout",
    kind: "int",
    min: 0,
    value: "SECONDS",
    help: "close silent connections (1001); 0 = off",
  },
  { name: "backlog", kind: "int", min: 1, value: "N", help: "TCP listen backlog (Node)" },
  { name: "no-delay", kind: "flag", help: "TCP_NODELAY on every connection (the hosts' default)" },
  { name: "keep-alive", kind: "flag", help: "TCP keep-alive on every connection" },
  { name: "throttle-in", kind: "int", min: 1, value: "BYTES", help: "bytes per second read per connection" },
  {
    name: "throttle-out",
    kind: "int",
    min: 1,
    value: "BYTES",
    help: "bytes per second written per connection",
  },
  {
    name: "workers",
    kind: "int",
    min: 1,
    value: "N",
    help: "processes on the port (node:cluster; reusePort on Bun/Deno)",
  },
  { name: "deflate", kind: "flag", help: "accept permessage-deflate (RFC 7692)" },
  { name: "quiet", kind: "flag", help: "do not print the URL at startup" },
  {
    name: "log",
    kind: "choice",
    choices: ["json"],
    value: "json",
    help: "one JSON line per connection event on stdout",
  },
  { name: "help", kind: "flag", help: "this text" },
];

const REDIS: OptionSpec = {
  name: "redis",
  kind: "string",
  value: "URL",
  help: "share topics with other processes through Redis (needs the npm package redis)",
};

export function optionsOf(command: CommandSpec): OptionSpec[] {
  return [...command.options, ...(command.topics ? [REDIS] : []), ...SHARED];
}

/** `--name value`, `--name=value`, flags; every value checked. */
export function parseOptions(command: CommandSpec, argv: string[]): Parsed {
  const specs = new Map(optionsOf(command).map((o) => [o.name, o]));
  const out: Parsed = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith("--")) throw new UsageError(`${command.name}: unexpected argument '${arg}'`);
    const eq = arg.indexOf("=");
    const name = arg.slice(2, eq < 0 ? undefined : eq);
    const spec = specs.get(name);
    if (!spec)
      throw new UsageError(`${command.name}: unknown option --${name} (see wasmsock ${command.name} --help)`);
    if (spec.kind === "flag") {
      if (eq >= 0) throw new UsageError(`--${name} takes no value`);
      out[name] = true;
      continue;
    }
    let raw: string | undefined;
    if (eq >= 0) raw = arg.slice(eq + 1);
    else if (i + 1 < argv.length) raw = argv[++i];
    if (raw === undefined) throw new UsageError(`--${name} needs a value (${spec.value ?? "VALUE"})`);
    const value = convert(spec, raw);
    if (spec.kind === "list") out[name] = [...((out[name] as string[] | undefined) ?? []), value as string];
    else out[name] = value;
  }
  if (out.help) return out;
  for (const name of command.required ?? [])
    if (out[name] === undefined) throw new UsageError(`${command.name}: --${name} is required`);
  if ((out["tls-cert"] === undefined) !== (out["tls-key"] === undefined))
    throw new UsageError("--tls-cert and --tls-key go together");
  return out;
}

function convert(spec: OptionSpec, raw: string): string | number {
  const bad = (why: string) => new UsageError(`--${spec.name}: '${raw}' is not ${why}`);
  switch (spec.kind) {
    case "port": {
      if (!/^\d+$/.test(raw) || Number(raw) > 65535) throw bad("a port (0-65535)");
      return Number(raw);
    }
    case "int": {
      const min = spec.min ?? 0;
      if (!/^\d+$/.test(raw) || !Number.isSafeInteger(Number(raw)) || Number(raw) < min)
        throw bad(`a whole number >= ${min}`);
      return Number(raw);
    }
    case "choice":
      if (!spec.choices?.includes(raw)) throw bad(`one of ${spec.choices?.join(", ")}`);
      return raw;
    default:
      if (raw === "") throw bad("a value");
      return raw;
  }
}

export function commandHelp(command: CommandSpec): string {
  const rows = optionsOf(command).map((o) => [`--${o.name}${o.value ? ` ${o.value}` : ""}`, o.help]);
  const width = Math.max(...rows.map(([left]) => left.length)) + 2;
  return [
    `usage: ${command.usage}`,
    "",
    command.summary,
    "",
    "options:",
    ...rows.map(([left, right]) => `  ${left.padEnd(width)}${right}`),
    ...(command.notes ? ["", ...command.notes] : []),
    "",
  ].join("\n");
}

export function toolHelp(commands: CommandSpec[]): string {
  const width = Math.max(...commands.map((c) => c.name.length)) + 2;
  return [
    "usage: wasmsock COMMAND [options]",
    "",
    "WebSocket servers on wasmsock (node, deno or bun).",
    "",
    "commands:",
    ...commands.map((c) => `  ${c.name.padEnd(width)}${c.summary}`),
    "",
    "wasmsock COMMAND --help lists a command's options.",
    "",
  ].join("\n");
}
