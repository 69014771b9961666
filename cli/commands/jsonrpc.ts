// wasmsock jsonrpc --module FILE: JSON-RPC 2.0 whose methods are FILE's exported functions
// (positional params as arguments, named params as one object; the context last, to call back).
import { accessSync, constants } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { serve } from "../../host-auto/index.ts";
import type { Method } from "../../jsonrpc/peer.ts";
import { jsonRpcHandler } from "../../jsonrpc/server.ts";
import { UsageError } from "../args.ts";
import { type Command, withDefaults, wsUrl } from "../command.ts";
import { logged } from "../log.ts";

export const jsonrpc: Command = {
  name: "jsonrpc",
  summary: "JSON-RPC 2.0: the exported functions of an ES module are the methods",
  usage: "wasmsock jsonrpc --module FILE [--port N] [options]",
  options: [
    {
      name: "module",
      kind: "string",
      value: "FILE",
      help: "ES module whose exported functions are the methods",
    },
  ],
  required: ["module"],
  notes: [
    "Each text message is one request or batch; each answer is one text message. Methods take",
    "positional params as arguments or named params as one object, then a context with",
    "notify(method, params) and call(method, params) to reach the client.",
  ],
  check(opts) {
    const file = resolve(opts.module as string);
    try {
      accessSync(file, constants.R_OK);
    } catch (err) {
      throw new UsageError(`--module: cannot import ${file} (${(err as NodeJS.ErrnoException).code})`);
    }
  },
  async run({ opts, listen, log }) {
    const file = resolve(opts.module as string);
    let module: Record<string, unknown>;
    try {
      module = await import(pathToFileURL(file).href);
    } catch (err) {
      throw new UsageError(`--module: cannot import ${file} (${(err as Error).message.split("\n")[0]})`);
    }
    const methods: Record<string, Method> = Object.create(null);
    for (const [name, value] of Object.entries(module))
      if (typeof value === "function") methods[name] = value as Method;
    const server = await serve({
      ...withDefaults({ maxPayload: 1024 * 1024 }, listen),
      handler: logged(jsonRpcHandler(methods), log),
    });
    return { url: wsUrl(listen, server.port), close: () => server.close() };
  },
};
