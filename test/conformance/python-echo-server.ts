// A second reference server: python3-websockets' echo (permessage-deflate on by default, with its own
// defaults: it answers server_max_window_bits=12 and limits the client window to 2^12 when offered).
import { spawn } from "node:child_process";
import { freePort, listening } from "../helpers/spawn-echo.ts";

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
  await listening(port, proc, "python echo server");
  return { port, close: () => proc.kill("SIGKILL") };
}
