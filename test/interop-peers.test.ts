import { spawnSync } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium } from "./helpers/chromium.ts";
import { spawnEcho } from "./helpers/spawn-echo.ts";

// Our Node echo server against clients people actually use: Chromium and python3-websockets.
let echo: Awaited<ReturnType<typeof spawnEcho>>;
beforeAll(async () => {
  echo = await spawnEcho();
});
afterAll(() => echo?.stop());

describe("Chromium (Debian's, driven by playwright-core)", () => {
  it("exchanges text, binary, empty and large messages, then closes with a code", async () => {
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      const result = await page.evaluate(async (url) => {
        const ws = new WebSocket(url);
        ws.binaryType = "arraybuffer";
        const queue: unknown[] = [];
        let wake: (() => void) | undefined;
        ws.onmessage = (e) => {
          queue.push(e.data);
          wake?.();
        };
        const next = async () => {
          while (queue.length === 0) await new Promise<void>((r) => (wake = r));
          return queue.shift();
        };
        await new Promise((resolve, reject) => {
          ws.onopen = resolve;
          ws.onerror = reject;
        });
        const out: Record<string, unknown> = {};
        ws.send("héllo wörld ✓");
        out.text = await next();
        ws.send("");
        out.empty = await next();
        ws.send(new Uint8Array([0, 1, 2, 255]));
        out.binary = Array.from(new Uint8Array((await next()) as ArrayBuffer));
        const big = new Uint8Array(65536).map((_, i) => i & 0xff);
        ws.send(big);
        const bigEcho = new Uint8Array((await next()) as ArrayBuffer);
        out.big = bigEcho.length === big.length && bigEcho.every((b, i) => b === big[i]);
        const closed = new Promise<{ code: number; reason: string; wasClean: boolean }>((r) => {
          ws.onclose = (e) => r({ code: e.code, reason: e.reason, wasClean: e.wasClean });
        });
        ws.close(4000, "bye");
        out.close = await closed;
        return out;
      }, echo.url);
      expect(result).toEqual({
        text: "héllo wörld ✓",
        empty: "",
        binary: [0, 1, 2, 255],
        big: true,
        // The browser reports the server's echo, which carries the status code only (5.5.1).
        close: { code: 4000, reason: "", wasClean: true },
      });
    } finally {
      await browser.close();
    }
  });
});

describe("python3-websockets (Debian's)", () => {
  it("echoes text, binary, 0/126/65536 B and 16 MiB, answers ping and close", () => {
    const run = spawnSync("/usr/bin/python3", ["test/fixtures/python_client.py", echo.url], {
      encoding: "utf8",
      timeout: 30_000,
    });
    expect(run.stderr).toBe("");
    expect(JSON.parse(run.stdout)).toEqual({
      text: true,
      empty_text: true,
      binary: true,
      binary_126: true,
      binary_65536: true,
      text_16mib: true,
      ping: true,
      close_code: 4001,
    });
  });
});
