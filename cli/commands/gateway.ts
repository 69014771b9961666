// wasmsock gateway --unix DIR: a client at /NAME is bridged to the UNIX stream socket DIR/NAME.
// Before the 101: NAME must match an --allow pattern (default *) and no --deny pattern, and be one
// plain name (no /, \, .., NUL, nor percent-encoded slashes or dots, checked on the request-target
// as received and again after decoding) else 403; its real path (symlinks resolved) must be inside
// DIR's else 403; no socket there is 404; a refused connection, or a real path over 107 bytes, 502.
// Then bytes flow both ways, each side paused while the other is backed up; either side closing
// closes the other (1001 to the client).
import { realpathSync, statSync } from "node:fs";
import { realpath, stat } from "node:fs/promises";
import { createConnection, type Socket } from "node:net";
import { join, sep } from "node:path";
import { serve } from "../../host-auto/index.ts";
import type { WebSocketHandler } from "../../host-core/socket.ts";
import { UsageError } from "../args.ts";
import { type Command, withDefaults, wsUrl } from "../command.ts";
import { logged } from "../log.ts";

export interface GatewayOptions {
  /** The directory of sockets, already resolved with realpath. */
  dir: string;
  allow: string[];
  deny: string[];
  /** Bytes from the socket go as text messages when they are valid UTF-8. */
  text: boolean;
}

/** The longest path a UNIX socket address holds on Linux (sun_path, less its NUL). */
const SUN_PATH_MAX = 107;

interface Bridge {
  unix: Socket;
  /** Destroys a connection whose WebSocket never opened (the client left during the handshake). */
  orphan: ReturnType<typeof setTimeout>;
}

export const gateway: Command = {
  name: "gateway",
  summary: "bridge a client at /NAME to the UNIX socket DIR/NAME",
  usage: "wasmsock gateway --unix DIR [--allow PATTERN]... [--deny PATTERN]... [--text] [options]",
  options: [
    { name: "unix", kind: "string", value: "DIR", help: "directory of the UNIX stream sockets served" },
    {
      name: "allow",
      kind: "list",
      value: "PATTERN",
      help: "socket names served, * matches anything (repeatable). Default *",
    },
    { name: "deny", kind: "list", value: "PATTERN", help: "socket names refused with 403 (repeatable)" },
    { name: "text", kind: "flag", help: "send what the socket says as text messages when it is valid UTF-8" },
  ],
  required: ["unix"],
  notes: [
    "Refused before the 101: a name not allowed, denied, or with /, \\, .., NUL or percent-encoded",
    "slashes or dots (403); a real path outside DIR (403); no socket (404); connection refused, or",
    "a real path longer than 107 bytes, which a UNIX socket address cannot hold (502).",
  ],
  check(opts) {
    if (!statSync(opts.unix as string, { throwIfNoEntry: false })?.isDirectory())
      throw new UsageError(`--unix: no directory ${opts.unix}`);
  },
  async run({ opts, listen, log }) {
    const handler = gatewayHandler({
      dir: realpathSync(opts.unix as string),
      allow: (opts.allow as string[] | undefined) ?? ["*"],
      deny: (opts.deny as string[] | undefined) ?? [],
      text: opts.text === true,
    });
    const server = await serve({
      ...withDefaults({}, listen),
      textAs: "bytes",
      handler: logged(handler, log),
    });
    return { url: wsUrl(listen, server.port, "/NAME"), close: () => server.close() };
  },
};

export function gatewayHandler(options: GatewayOptions): WebSocketHandler<Bridge> {
  const allow = options.allow.map(glob);
  const deny = options.deny.map(glob);
  const utf8 = new TextDecoder("utf-8", { fatal: true });
  // "/" (and any DIR given with a trailing slash) ends with the separator already.
  const within = options.dir.endsWith(sep) ? options.dir : options.dir + sep;
  return {
    async upgrade(request, info) {
      const target = (info.target ?? new URL(request.url).pathname).split("?")[0];
      const name = nameOf(target);
      if (name === undefined) return refusal(403, "not a socket name");
      if (name === "") return refusal(404, "no socket");
      if (!allow.some((p) => p.test(name)) || deny.some((p) => p.test(name)))
        return refusal(403, "not allowed");
      let real: string;
      try {
        real = await realpath(join(options.dir, name));
      } catch {
        return refusal(404, "no socket");
      }
      if (!real.startsWith(within)) return refusal(403, "outside the directory");
      if (!(await stat(real).catch(() => undefined))?.isSocket()) return refusal(404, "no socket");
      // Past sun_path's bytes runtimes differ: some fail, one cuts the path and dials another socket.
      if (Buffer.byteLength(real) > SUN_PATH_MAX) return refusal(502, "socket path too long");
      const unix = await dial(real).catch((err: NodeJS.ErrnoException) => err);
      if (unix instanceof Error) return refusal(unix.code === "ENOENT" ? 404 : 502, "service unavailable");
      return { data: { unix, orphan: setTimeout(() => unix.destroy(), 30_000) } };
    },
    open(ws) {
      const { unix, orphan } = ws.data;
      clearTimeout(orphan);
      // A slow client pauses reading the socket until the client's buffer drains.
      unix.on("data", (chunk: Buffer) => {
        let sent: boolean;
        if (options.text && isUtf8(utf8, chunk)) sent = ws.send(chunk.toString("utf8"));
        else sent = ws.send(chunk, { binary: true });
        if (!sent) unix.pause();
      });
      unix.on("drain", () => ws.resume());
      unix.on("error", () => {});
      unix.on("close", () => ws.close(1001, "service closed"));
    },
    drain(ws) {
      ws.data.unix.resume();
    },
    message(ws, data) {
      // A copy: the message may be a view of memory the server reuses; a slow service pauses reading.
      if (!ws.data.unix.write(Buffer.from(data as Uint8Array))) ws.pause();
    },
    close(ws) {
      const { unix } = ws.data;
      unix.end();
      setTimeout(() => unix.destroy(), 5_000).unref?.();
    },
  };
}

/** The socket name the target asks for; undefined when it is no plain name. */
export function nameOf(target: string): string | undefined {
  if (!target.startsWith("/")) return undefined;
  const raw = target.slice(1);
  if (/%(2f|5c|2e|00)/i.test(raw)) return undefined;
  let name: string;
  try {
    name = decodeURIComponent(raw);
  } catch {
    return undefined;
  }
  if (/[/\\\0]/.test(name) || name.includes("..") || name === ".") return undefined;
  return name;
}

function dial(path: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const unix = createConnection(path);
    unix.once("connect", () => {
      unix.off("error", reject);
      resolve(unix);
    });
    unix.once("error", reject);
  });
}

function refusal(status: number, text: string): Response {
  return new Response(`${text}\n`, { status });
}

function glob(pattern: string): RegExp {
  const body = pattern
    .split("*")
    .map((s) => s.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
    .join(".*");
  return new RegExp(`^${body}$`);
}

function isUtf8(decoder: TextDecoder, bytes: Uint8Array): boolean {
  try {
    decoder.decode(bytes);
    return true;
  } catch {
    return false;
  }
}
