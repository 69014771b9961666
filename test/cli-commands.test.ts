// The wasmsock CLI as a process: usage errors (status 2, one line), help, echo and pubsub on node,
// deno and bun over real sockets (pubsub closing a subscriber 16 MiB behind), --deflate, --log json,
// --quiet, --tls-cert/--tls-key, --workers, --redis across processes, and SIGTERM/SIGINT closing
// every peer with 1001 and exiting 0.
import { connect } from "node:net";
import { describe, expect, it } from "vitest";
import WebSocket from "ws";
import { runCli, startCli } from "./fixtures/cli/spawn-cli.ts";
import { makeCerts } from "./helpers/certs.ts";
import { RedisServer } from "./helpers/redis.ts";
import { RUNTIMES } from "./helpers/runtimes.ts";
import { freePort } from "./helpers/spawn-echo.ts";

const NODE = RUNTIMES[0][1];

async function open(url: string, options?: WebSocket.ClientOptions): Promise<WebSocket> {
  const ws = new WebSocket(url, options);
  await new Promise((resolve, reject) => ws.once("open", resolve).once("error", reject));
  return ws;
}

const next = (ws: WebSocket) =>
  new Promise<{ data: string; isBinary: boolean }>((resolve) =>
    ws.once("message", (d, isBinary) => resolve({ data: String(d), isBinary })),
  );
const closed = (ws: WebSocket) => new Promise<number>((resolve) => ws.once("close", resolve));

/** A paused subscriber of pubsub's /t with `mib` MiB published to it, each one read by another. */
async function behind(port: number, mib: number): Promise<WebSocket> {
  const [slow, reader, publisher] = await Promise.all([0, 1, 2].map(() => open(`ws://127.0.0.1:${port}/t`)));
  slow.pause();
  // Paced by the subscriber that reads: each chunk it gets was queued to the slow one too.
  const chunk = Buffer.alloc(1 << 20);
  for (let i = 0; i < mib; i++) {
    const got = next(reader);
    publisher.send(chunk);
    await got;
  }
  return slow;
}

describe("usage", () => {
  const bad: [string, string[], RegExp][] = [
    ["an unknown command", ["serve"], /unknown command 'serve'/],
    ["a bad port", ["echo", "--port", "notaport"], /--port: 'notaport' is not a port/],
    ["an unknown option", ["echo", "--bogus"], /unknown option --bogus/],
    ["a bad number", ["chat", "--max-payload", "-1"], /--max-payload/],
    ["a missing value", ["pubsub", "--redis"], /--redis needs a value/],
    ["--redis where there are no topics", ["echo", "--redis", "redis://x"], /unknown option --redis/],
    ["a missing required option", ["gateway"], /--unix is required/],
    ["a certificate without a key", ["echo", "--tls-cert", "x.pem"], /go together/],
    ["an unreadable certificate", ["echo", "--tls-cert", "nope.pem", "--tls-key", "nope.pem"], /cannot read/],
    [
      "a certificate that is no PEM",
      ["echo", "--tls-cert", "package.json", "--tls-key", "package.json"],
      /^wasmsock: --tls-cert: package.json holds no PEM certificate$/m,
    ],

    ["a module that does not load", ["jsonrpc", "--module", "nope.mjs", "--port", "0"], /cannot import/],
    ["a directory that is not there", ["gateway", "--unix", "/nonexistent", "--port", "0"], /no directory/],
    [
      "no module, with --workers",
      ["jsonrpc", "--module", "nope.mjs", "--workers", "2", "--port", "0"],
      /cannot import/,
    ],
    [
      "no directory, with --workers",
      ["gateway", "--unix", "/nonexistent", "--workers", "2", "--port", "0"],
      /no directory/,
    ],
    ["a file as --unix", ["gateway", "--unix", "package.json", "--port", "0"], /no directory/],
    ["a bad --log", ["echo", "--log", "xml"], /--log: 'xml' is not one of json/],
  ];
  it.each(bad)("%s exits with status 2 and one line on stderr", async (_what, args, message) => {
    const { code, err } = await runCli(NODE, args);
    expect(code).toBe(2);
    expect(err.trimEnd().split("\n")).toHaveLength(1);
    expect(err).toMatch(/^wasmsock: /);
    expect(err).toMatch(message);
  });

  it("chat --workers on Bun, whose node:http cannot share a port: status 2 and one line", async () => {
    const { code, err } = await runCli(RUNTIMES[2][1], ["chat", "--workers", "2", "--port", "0"]);
    expect([code, err.trimEnd().split("\n")]).toEqual([2, [expect.stringMatching(/^wasmsock: --workers: /)]]);
  });

  it("--help for the tool and for every command", async () => {
    const tool = await runCli(NODE, ["--help"]);
    expect(tool.code).toBe(0);
    for (const command of ["echo", "chat", "pubsub", "jsonrpc", "gateway"]) {
      expect(tool.out).toContain(`  ${command} `);
      const help = await runCli(NODE, [command, "--help"]);
      expect([help.code, help.err]).toEqual([0, ""]);
      expect(help.out).toContain(`usage: wasmsock ${command}`);
      expect(help.out).toContain("--port N");
    }
  });

  it("--quiet prints nothing at startup", async () => {
    const port = await freePort();
    const { spawn } = await import("node:child_process");
    const proc = spawn(process.execPath, ["dist/cli/wasmsock.js", "echo", "--quiet", "--port", String(port)]);
    let out = "";
    proc.stdout.on("data", (c) => (out += c));
    await new Promise<void>((resolve) => {
      const poll = () =>
        connect(port, "127.0.0.1")
          .once("connect", function (this: import("node:net").Socket) {
            this.destroy();
            resolve();
          })
          .once("error", () => setTimeout(poll, 50));
      poll();
    });
    const exit = new Promise((r) => proc.once("exit", r));
    proc.kill("SIGINT");
    expect(await exit).toBe(0);
    expect(out).toBe("");
  });
});

describe.each(RUNTIMES)("commands on %s", (name, runtime) => {
  it("echo: echoes text and binary, --deflate negotiates, --log json logs, SIGTERM sends 1001 and exits 0", async () => {
    const cli = await startCli(runtime, ["echo", "--deflate", "--log", "json"]);
    // Every stdout line is JSON, the startup line too.
    expect(JSON.parse(cli.banner)).toMatchObject({
      event: "listening",
      command: "echo",
      url: `ws://127.0.0.1:${cli.port}/`,
    });
    const ws = await open(`ws://127.0.0.1:${cli.port}/`);
    expect(ws.extensions).toContain("permessage-deflate");
    ws.send("héllo ".repeat(500));
    expect(await next(ws)).toEqual({ data: "héllo ".repeat(500), isBinary: false });
    ws.send(Buffer.from([1, 2, 3]));
    expect(await next(ws)).toMatchObject({ isBinary: true });
    // Version 8 is refused with 426: a reject event, its path with the query as open's would be.
    const old = new WebSocket(`ws://127.0.0.1:${cli.port}/old?v=8`, { protocolVersion: 8 });
    await new Promise((resolve) => old.once("unexpected-response", resolve).once("error", resolve));
    const code = closed(ws);
    expect(await cli.stop("SIGTERM")).toBe(0);
    expect(await code).toBe(1001);
    const events = cli.lines.map((l) => JSON.parse(l));
    expect(events.map((e) => e.event)).toEqual(["listening", "open", "reject", "close"]);
    expect(events[1]).toMatchObject({ path: "/", extensions: expect.stringContaining("permessage-deflate") });
    expect(events[2]).toMatchObject({ path: "/old?v=8", code: "WS_ERR_HANDSHAKE_VERSION" });
    expect(events[3]).toMatchObject({ code: 1001 });
    expect(typeof events[0].time).toBe("string");
  });

  it("--throttle-out holds echoes to the rate, in order and whole", async () => {
    const cli = await startCli(runtime, ["echo", "--throttle-out", "40000"]);
    const ws = await open(`ws://127.0.0.1:${cli.port}/`);
    const payloads = [0, 1, 2].map((i) => Buffer.alloc(30000, 65 + i));
    const got: Buffer[] = [];
    const all = new Promise<void>((resolve) =>
      ws.on("message", (d: Buffer) => got.push(d) === payloads.length && resolve()),
    );
    const t0 = performance.now();
    for (const p of payloads) ws.send(p);
    await all;
    // 90 kB out at 40 kB/s with a bucket of one second's worth: at least about 1.2 s.
    expect(performance.now() - t0).toBeGreaterThan(1000);
    expect(got.map((b, i) => b.equals(payloads[i]))).toEqual([true, true, true]);
    ws.close();
    expect(await cli.stop("SIGTERM")).toBe(0);
  });

  it("pubsub: /NAME is topic NAME; SIGINT closes every peer with 1001", async () => {
    const cli = await startCli(runtime, ["pubsub"]);
    const [a, b, c] = await Promise.all(
      ["/room", "/room", "/other"].map((p) => open(`ws://127.0.0.1:${cli.port}${p}`)),
    );
    const got: string[] = [];
    c.on("message", (d) => got.push(String(d)));
    a.send("to the room");
    expect(await next(b)).toEqual({ data: "to the room", isBinary: false });
    await expect(open(`ws://127.0.0.1:${cli.port}/a/b`)).rejects.toThrow(/404/);
    const codes = Promise.all([a, b, c].map(closed));
    expect(await cli.stop("SIGINT")).toBe(0);
    expect(await codes).toEqual([1001, 1001, 1001]);
    expect(got).toEqual([]);
  });

  it("pubsub: a subscriber that does not read is closed with 1008 once 16 MiB behind", async () => {
    const cli = await startCli(runtime, ["pubsub"]);
    try {
      const slow = await behind(cli.port, 48);
      const code = closed(slow);
      slow.resume();
      expect(await Promise.race([code, new Promise((r) => setTimeout(r, 3000, "still open"))])).toBe(1008);
    } finally {
      expect(await cli.stop()).toBe(0);
    }
  });

  it("--workers 2: two processes on one port, each logging under --log json; SIGTERM stops both", async () => {
    const cli = await startCli(runtime, ["echo", "--workers", "2", "--log", "json"]);
    expect(JSON.parse(cli.banner)).toMatchObject({ event: "listening", workers: 2 });
    const clients = await Promise.all(Array.from({ length: 6 }, () => open(`ws://127.0.0.1:${cli.port}/`)));
    for (const [i, ws] of clients.entries()) {
      ws.send(`n${i}`);
      expect((await next(ws)).data).toBe(`n${i}`);
    }
    const codes = Promise.all(clients.map(closed));
    expect(await cli.stop("SIGTERM")).toBe(0);
    expect(await codes).toEqual(clients.map(() => 1001));
    const events = cli.lines.map((l) => JSON.parse(l).event);
    expect(events.filter((e) => e === "open").length).toBe(6);
  }, 30_000);

  it("--tls-cert/--tls-key serve wss://", async () => {
    const certs = makeCerts();
    try {
      const { files } = certs;
      const cli = await startCli(runtime, ["echo", "--tls-cert", files.cert, "--tls-key", files.key]);
      expect(cli.banner).toContain(`wss://127.0.0.1:${cli.port}/`);
      const ws = await open(`wss://localhost:${cli.port}/`, { ca: certs.ca });
      ws.send("secure");
      expect((await next(ws)).data).toBe("secure");
      expect(await cli.stop()).toBe(0);
    } finally {
      certs.remove();
    }
  });

  if (name === "node") {
    it("pubsub --backpressure-limit 0: a subscriber that does not read is never closed for it", async () => {
      const cli = await startCli(runtime, ["pubsub", "--backpressure-limit", "0"]);
      try {
        const slow = await behind(cli.port, 24);
        let got = 0;
        const all = new Promise<void>((resolve) => slow.on("message", () => ++got === 24 && resolve()));
        slow.resume();
        expect(await Promise.race([all.then(() => "all read"), closed(slow)])).toBe("all read");
      } finally {
        expect(await cli.stop()).toBe(0);
      }
    });

    it("--redis to a Redis that is not there: exits 1 saying so, rather than waiting unseen", async () => {
      const url = `redis://127.0.0.1:${await freePort()}`;
      const outcome = await startCli(runtime, ["pubsub", "--redis", url]).then(
        async (cli) => `started: ${cli.banner} (${await cli.stop()})`,
        (err: Error) => err.message,
      );
      expect(outcome).toMatch(
        /exited with 1: wasmsock: cannot reach Redis at redis:\/\/127\.0\.0\.1:\d+ in 5 s/,
      );
    }, 15_000);

    it("--redis: pubsub processes on node and bun share topics", async () => {
      const redis = await RedisServer.start();
      const one = await startCli(runtime, ["pubsub", "--redis", redis.url]);
      const two = await startCli(RUNTIMES[2][1], ["pubsub", "--redis", redis.url]);
      try {
        const a = await open(`ws://127.0.0.1:${one.port}/news`);
        const b = await open(`ws://127.0.0.1:${two.port}/news`);
        // The subscription reaches Redis shortly after the open.
        const got = next(b);
        for (let i = 0; i < 20; i++) {
          a.send("across");
          const m = await Promise.race([got, new Promise((r) => setTimeout(r, 100))]);
          if (m) break;
        }
        expect((await got).data).toBe("across");
      } finally {
        await Promise.all([one.stop(), two.stop()]);
        await redis.kill();
      }
    });
  }
});
