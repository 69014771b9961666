// Process placement: server and generator on different cores, both with room for 10,000 sockets.
import { execFileSync, spawn } from "node:child_process";
import { cpus } from "node:os";

const GENERATOR_CORE = "0";
const SERVER_CORE = "1";
const MARKER = "WASMSOCK_BENCH_LAUNCHED";

/** Raises the fd limit as far as allowed, then runs "$@" in the same process (exec keeps the pid). */
export const RAISE_FD_LIMIT = 'ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"; exec "$@"';

function hasTaskset(): boolean {
  try {
    execFileSync("taskset", ["-p", String(process.pid)], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

// All online CPUs, not availableParallelism(): the relaunched generator is already pinned to one.
export const canPin = cpus().length >= 2 && hasTaskset();

/** Command prefix that pins a process to its core, or nothing when pinning is unavailable. */
export function pinArgs(role: "server" | "generator"): string[] {
  if (!canPin) return [];
  return ["taskset", "-c", role === "server" ? SERVER_CORE : GENERATOR_CORE];
}

/**
 * Re-runs this script pinned to the generator core with a raised fd limit, unless already done.
 * Returns true in the process that should do the work.
 */
export function relaunchPinned(): boolean {
  if (process.env[MARKER] === "1") return true;
  const argv = [...pinArgs("generator"), process.execPath, ...process.execArgv, ...process.argv.slice(1)];
  const child = spawn("bash", ["-c", RAISE_FD_LIMIT, "bash", ...argv], {
    stdio: "inherit",
    env: { ...process.env, [MARKER]: "1" },
  });
  // Ctrl-C reaches the child through the terminal; the child cleans up its servers and exits.
  process.on("SIGINT", () => {});
  process.on("SIGTERM", () => child.kill("SIGTERM"));
  child.on("exit", (code, signal) => process.exit(code ?? (signal === null ? 1 : 128 + 2)));
  return false;
}
