// A real redis-server per test (Debian's), on a free port, in the foreground with nothing persisted;
// stopped by its pid. restart() brings it back on the same port, empty, as after a crash.
import { type ChildProcess, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { freePort } from "./spawn-echo.ts";

export class RedisServer {
  private proc: ChildProcess | undefined;

  private constructor(readonly port: number) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  static async start(): Promise<RedisServer> {
    const server = new RedisServer(await freePort());
    await server.restart();
    return server;
  }

  /** Starts it (again) on its port; resolves once it accepts connections. */
  async restart(): Promise<void> {
    const args = ["--port", String(this.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"];
    const proc = spawn("redis-server", args, { stdio: ["ignore", "pipe", "inherit"] });
    this.proc = proc;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("redis-server did not start in 10 s")), 10_000);
      proc.once("exit", (code) => reject(new Error(`redis-server exited with ${code}`)));
      createInterface({ input: proc.stdout! }).on("line", (line) => {
        if (!line.includes("Ready to accept connections")) return;
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /** SIGKILL, as a crash: clients see their connections reset. */
  async kill(): Promise<void> {
    const proc = this.proc;
    if (!proc || proc.exitCode !== null) return;
    const gone = new Promise((resolve) => proc.once("exit", resolve));
    process.kill(proc.pid!, "SIGKILL");
    await gone;
  }
}
