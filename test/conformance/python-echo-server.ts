// A second reference server: python3-websockets' echo (permessage-deflate on by default, with its own
// defaults: it answers server_max_window_bits=12 and limits the client window to 2^12 when offered).
import { spawn } from "node:child_process";
import { connect, createServer } from "node:net";

export const PYTHON = "/usr/bin/python3";

const SCRIPT = `
import asyncio, sys, websockets
async def echo(ws, path=None):
    try:
        async for m in ws:
            await ws.send(m)
    except websockets.ConnectionClosed:
        pass
async def main():
    async with websockets.serve(echo, "127.0.0.1", int(sys.argv[1]), max_size=None, ping_interval=None):
        await asyncio.Future()
asyncio.run(main())
`;

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** Whether python3 with websockets is installed here. */
export function hasPythonWebsockets(): Promise<boolean> {
  return new Promise((resolve) => {
    const p = spawn(PYTHON, ["-c", "import websockets"], { stdio: "ignore" });
    p.on("error", () => resolve(false));
    p.on("exit", (code) => resolve(code === 0));
  });
}

export async function startPythonEchoServer(): Promise<{ port: number; close(): void }> {
  const port = await freePort();
  const proc = spawn(PYTHON, ["-c", SCRIPT, String(port)], { stdio: ["ignore", "ignore", "inherit"] });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("python echo server did not start in 10 s")), 10_000);
    proc.once("exit", (code) => reject(new Error(`python echo server exited with ${code}`)));
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
  return { port, close: () => proc.kill("SIGKILL") };
}
