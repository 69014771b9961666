import { type ChildProcess, spawn } from "node:child_process";
import { connect, createServer } from "node:net";

/** A free TCP port on 127.0.0.1. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** Starts `<runtime> dist/examples/echo.js --port N [args]` and resolves once it accepts connections. */
export async function spawnEcho(
  command: string[] = ["node"],
  args: string[] = [],
): Promise<{ url: string; proc: ChildProcess; stop(): void }> {
  const port = await freePort();
  const proc = spawn(
    command[0],
    [...command.slice(1), "dist/examples/echo.js", "--port", String(port), ...args],
    {
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  const stop = () => proc.kill("SIGKILL");
  await listening(port, proc, "echo server");
  return { url: `ws://127.0.0.1:${port}`, proc, stop };
}

/** Resolves once something accepts TCP connections on 127.0.0.1:port; rejects if proc exits first. */
export function listening(port: number, proc: ChildProcess, what: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what} did not start in 10 s`)), 10_000);
    proc.once("exit", (code) => reject(new Error(`${what} exited with ${code}`)));
    const poll = () => {
      const c = connect(port, "127.0.0.1");
      c.once("connect", () => {
        c.destroy();
        clearTimeout(timer);
        resolve();
      });
      c.once("error", () => setTimeout(poll, 50));
    };
    poll();
  });
}
