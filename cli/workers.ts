// --workers N: N processes serve one port. Node 20 has no SO_REUSEPORT, so node:cluster's primary
// forks the workers and shares its listener with them; Bun and Deno start N copies of this
// command with reusePort. The primary prints the URL once every worker listens, and on SIGINT or
// SIGTERM passes SIGTERM on (each worker closes with 1001) and exits once they are gone.
import { spawn } from "node:child_process";
import cluster from "node:cluster";
import { createServer } from "node:net";

/** Set in a worker's environment; its value is the port every worker takes. */
export const WORKER_ENV = "WASMSOCK_WORKER";
/** A worker's line on stdout that says it listens; the primary keeps it to itself. */
const READY = "wasmsock-worker-ready ";

export interface Role {
  /** This process serves (a worker, or the only process). */
  serves: boolean;
  /** Set in a worker: listen with reusePort (Bun, Deno) on this port. */
  reusePort?: boolean;
  port?: number;
  /** A worker tells the primary it listens, instead of printing the URL. */
  ready?(url: string): void;
}

const runtime = globalThis as { Deno?: { execPath(): string }; Bun?: unknown };

export function role(workers: number | undefined): Role {
  if (!runtime.Deno && !runtime.Bun && cluster.isWorker)
    return { serves: true, ready: (url) => process.send?.({ ready: url }) };
  const port = process.env[WORKER_ENV];
  if (port !== undefined)
    return { serves: true, reusePort: true, port: Number(port), ready: (url) => console.log(READY + url) };
  return { serves: !workers || workers < 2 };
}

/** The primary: starts the workers, announces the URL once all listen, forwards signals. */
export async function primary(workers: number, port: number, announce: (url: string) => void): Promise<void> {
  let ready = 0;
  let url = "";
  const listening = (u: string) => {
    url = u;
    if (++ready === workers) announce(url);
  };
  const children: { kill(): void; exited: Promise<unknown> }[] = [];
  if (!runtime.Deno && !runtime.Bun) {
    for (let i = 0; i < workers; i++) {
      const worker = cluster.fork();
      worker.on("message", (m: { ready?: string }) => m.ready && listening(m.ready));
      children.push({
        kill: () => worker.process.kill("SIGTERM"),
        exited: new Promise((r) => worker.once("exit", r)),
      });
    }
  } else {
    const shared = port || (await freePort());
    const [exe, ...pre] = runtime.Deno
      ? [runtime.Deno.execPath(), "run", "-A", "--unstable-net"]
      : [process.execPath];
    for (let i = 0; i < workers; i++) {
      const child = spawn(exe, [...pre, ...process.argv.slice(1)], {
        env: { ...process.env, [WORKER_ENV]: String(shared) },
        stdio: ["ignore", "pipe", "inherit"],
      });
      let rest = "";
      child.stdout?.on("data", (chunk: Buffer) => {
        const lines = (rest + chunk.toString()).split("\n");
        rest = lines.pop() ?? "";
        for (const line of lines)
          if (line.startsWith(READY)) listening(line.slice(READY.length));
          else console.log(line);
      });
      children.push({ kill: () => child.kill("SIGTERM"), exited: new Promise((r) => child.once("exit", r)) });
    }
  }
  let exiting = false;
  const stop = async (status: number) => {
    if (exiting) return;
    exiting = true;
    for (const c of children) c.kill();
    await Promise.all(children.map((c) => c.exited));
    process.exit(status);
  };
  process.on("SIGINT", () => stop(0));
  process.on("SIGTERM", () => stop(0));
  // A worker that dies on its own takes the service down: say so and stop the others.
  for (const c of children)
    c.exited.then(() => {
      if (exiting) return;
      console.error("wasmsock: a worker exited; stopping");
      void stop(1);
    });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}
