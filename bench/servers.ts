// The echo servers under test, keyed by name, and how to start and stop them.
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, realpathSync } from "node:fs";
import { connect, createServer } from "node:net";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { pinArgs, RAISE_FD_LIMIT } from "./launch.ts";
import { ownsListener } from "./proc.ts";

export type Runtime = "node" | "deno" | "bun";
export const RUNTIMES: readonly Runtime[] = ["node", "deno", "bun"];

export const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));

export interface ServerSpec {
  runtime: Runtime;
  /** Ours is the numerator of every ratio. */
  ours: boolean;
  /** Command without `--port N`; paths relative to the repository root. */
  argv: string[];
  /** A file that must exist, or the server is skipped. */
  needs: string;
  /** Modes it can be started in (a scenario's serverArgs): "--deflate" for permessage-deflate. */
  flags?: string[];
}

const OURS = "dist/examples/echo.js";

// Real binaries, not npm shims: the spawned pid must be the server whose RSS we read.
function binary(runtime: Runtime): string {
  if (runtime === "node") return process.execPath;
  return realpathSync(join(ROOT, "node_modules", ".bin", runtime));
}

export const SERVERS: Record<string, ServerSpec> = {
  // Ours learns --deflate (accept any permessage-deflate offer) in the compression work.
  "wasmsock-node": { runtime: "node", ours: true, argv: ["node", OURS], needs: OURS, flags: ["--deflate"] },
  ws: {
    runtime: "node",
    ours: false,
    argv: ["node", "bench/peers/ws-echo.js"],
    needs: "bench/peers/ws-echo.js",
    flags: ["--deflate"],
  },
  "wasmsock-deno": {
    runtime: "deno",
    ours: true,
    argv: ["deno", "run", "-A", OURS],
    needs: OURS,
    flags: ["--deflate"],
  },
  deno: {
    runtime: "deno",
    ours: false,
    argv: ["deno", "run", "-A", "bench/peers/deno-echo.ts"],
    needs: "bench/peers/deno-echo.ts",
    // Deno.upgradeWebSocket has no permessage-deflate.
    flags: [],
  },
  "wasmsock-bun": { runtime: "bun", ours: true, argv: ["bun", OURS], needs: OURS, flags: ["--deflate"] },
  bun: {
    runtime: "bun",
    ours: false,
    argv: ["bun", "bench/peers/bun-echo.ts"],
    needs: "bench/peers/bun-echo.ts",
    flags: ["--deflate"],
  },
};

/**
 * Reference servers: not contestants, never in a ratio. A floor is the runtime's raw TCP API holding an
 * upgraded socket and nothing more, measured only in the memory scenarios (what a connection costs
 * before any WebSocket work). The ceiling is a TCP echo, measured only in the throughput scenarios
 * (the highest rate this generator can drive here); one for every runtime's table, since it bounds
 * the generator, not a runtime.
 */
export interface ReferenceSpec extends ServerSpec {
  role: "floor" | "ceiling";
}

function reference(role: "floor" | "ceiling", runtime: Runtime, file: string): ReferenceSpec {
  const run = runtime === "node" ? ["node"] : runtime === "deno" ? ["deno", "run", "-A"] : ["bun"];
  return { role, runtime, ours: false, argv: [...run, file], needs: file, flags: ["--deflate"] };
}

export const REFERENCES: Record<string, ReferenceSpec> = {
  "node-floor": reference("floor", "node", "bench/peers/node-floor.js"),
  "deno-floor": reference("floor", "deno", "bench/peers/deno-floor.ts"),
  "bun-floor": reference("floor", "bun", "bench/peers/bun-floor.ts"),
  // Bun.listen drove a higher ceiling than node:net in every paired run here; the node:net one stays
  // for cross-checks (--ceiling ceiling-node).
  ceiling: { ...reference("ceiling", "bun", "bench/peers/bun-ceiling.ts"), flags: ["--deflate", "--close"] },
  "ceiling-node": {
    ...reference("ceiling", "node", "bench/peers/tcp-ceiling.js"),
    flags: ["--deflate", "--close"],
  },
};

/** The floor server of `runtime`'s table. */
export function floorOf(runtime: Runtime): string | undefined {
  return Object.keys(REFERENCES).find(
    (n) => REFERENCES[n].role === "floor" && REFERENCES[n].runtime === runtime,
  );
}

/** The first of `args` the server has no mode for, or undefined if it takes them all. */
export function unsupported(spec: ServerSpec, args: readonly string[]): string | undefined {
  return args.find((a) => !(spec.flags ?? []).includes(a));
}

const PUBSUB = "dist/examples/pubsub.js";

/** Pub/sub servers: a message from one client goes to every other client of topic /t. */
export const PUBSUB_SERVERS: Record<string, ServerSpec> = {
  "wasmsock-node": { runtime: "node", ours: true, argv: ["node", PUBSUB], needs: PUBSUB },
  "ws-loop": {
    runtime: "node",
    ours: false,
    argv: ["node", "bench/peers/ws-pubsub.js"],
    needs: "bench/peers/ws-pubsub.js",
  },
  "wasmsock-deno": { runtime: "deno", ours: true, argv: ["deno", "run", "-A", PUBSUB], needs: PUBSUB },
  "deno-loop": {
    runtime: "deno",
    ours: false,
    argv: ["deno", "run", "-A", "bench/peers/deno-pubsub.ts"],
    needs: "bench/peers/deno-pubsub.ts",
  },
  "wasmsock-bun": { runtime: "bun", ours: true, argv: ["bun", PUBSUB], needs: PUBSUB },
  "bun-publish": {
    runtime: "bun",
    ours: false,
    argv: ["bun", "bench/peers/bun-pubsub.ts"],
    needs: "bench/peers/bun-pubsub.ts",
  },
};

export function missing(spec: ServerSpec): string | undefined {
  return existsSync(join(ROOT, spec.needs)) ? undefined : spec.needs;
}

export interface Running {
  name: string;
  runtime: Runtime;
  pid: number;
  port: number;
  stop(): Promise<void>;
  /** How the process ended and the end of its output, once it has ended by itself. */
  death(): string | undefined;
}

const live = new Set<ChildProcess>();

/** Kills every server still running; safe to call from an exit handler. */
export function killAll(): void {
  for (const child of live) child.kill("SIGKILL");
  live.clear();
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: "127.0.0.1", port });
    s.once("connect", () => {
      s.resetAndDestroy();
      resolve(true);
    });
    s.once("error", () => resolve(false));
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Starts a server pinned to the server core and waits until it accepts connections. */
/** The spec's arguments after its binary, with V8 flags where its runtime takes them. */
export function withV8Flags(spec: ServerSpec, flags: readonly string[]): string[] {
  const [, ...args] = spec.argv;
  if (flags.length === 0 || spec.runtime === "bun") return args;
  if (spec.runtime === "node") return [...flags, ...args];
  // deno run [options] file: the flags go in before the file.
  return [args[0], `--v8-flags=${flags.join(",")}`, ...args.slice(1)];
}

export async function start(
  name: string,
  spec: ServerSpec,
  extraArgs: readonly string[] = [],
  v8Flags: readonly string[] = [],
  timeoutMs = 20_000,
): Promise<Running> {
  const port = await freePort();
  const args = withV8Flags(spec, v8Flags);
  const argv = [...pinArgs("server"), binary(spec.runtime), ...args, ...extraArgs, "--port", String(port)];
  const child = spawn("bash", ["-c", RAISE_FD_LIMIT, "bash", ...argv], {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, DENO_NO_UPDATE_CHECK: "1", NO_COLOR: "1" },
  });
  live.add(child);
  let output = "";
  const keep = (b: Buffer) => {
    output = (output + b.toString()).slice(-4000);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  let exited: string | undefined;
  const gone = new Promise<void>((resolve) => {
    child.once("exit", (code, signal) => {
      exited = `exited with ${signal ?? code}`;
      live.delete(child);
      resolve();
    });
  });
  let stopping = false;
  const stop = async () => {
    stopping = true;
    if (exited !== undefined) return;
    child.kill("SIGTERM");
    await Promise.race([gone, sleep(2000)]);
    if (exited === undefined) child.kill("SIGKILL");
    await gone;
  };
  const deadline = Date.now() + timeoutMs;
  while (!(await canConnect(port))) {
    if (exited !== undefined || Date.now() > deadline) {
      await stop();
      throw new Error(
        `${name} did not start (${exited ?? "timeout"}): ${[...spec.argv, ...extraArgs].join(" ")}\n${output}`,
      );
    }
    await sleep(50);
  }
  const pid = child.pid!;
  if (!ownsListener(pid, port)) {
    await stop();
    throw new Error(`${name}: pid ${pid} does not own the listening socket; a wrapper process?`);
  }
  const death = () =>
    exited === undefined || stopping ? undefined : `${exited}; its output: ${output.trim()}`;
  return { name, runtime: spec.runtime, pid, port, stop, death };
}
