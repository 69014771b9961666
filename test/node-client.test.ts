// Our Node client against real servers: ws's WebSocketServer (plain and TLS), Deno's and Bun's.
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { createServer as createHttpsServer } from "node:https";
import { type AddressInfo, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ServerOptions, WebSocketServer, type WebSocket as WsPeer } from "ws";
import {
  type ClientOptions,
  type CloseEvent,
  connect,
  type ErrorEvent,
  WebSocket,
} from "../host-node/client.ts";

const MiB = 1024 * 1024;

/** Resolves with the next event of `type`; rejects after ms. */
function next<T extends Event>(ws: WebSocket, type: string, ms = 5000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${type} event in ${ms} ms`)), ms);
    ws.addEventListener(
      type,
      (e) => {
        clearTimeout(timer);
        resolve(e as T);
      },
      { once: true },
    );
  });
}

/** Byte equality without vitest's element-by-element diff, which exhausts memory at 16 MiB. */
function sameBytes(data: unknown, bytes: Uint8Array): boolean {
  return Buffer.from(data as ArrayBuffer).equals(bytes);
}

async function echo(ws: WebSocket, data: string | Uint8Array): Promise<unknown> {
  const reply = next<MessageEvent>(ws, "message", 20_000);
  ws.send(data);
  return (await reply).data;
}

/** A ws server; `onConnection` defaults to echoing each message with its type. */
async function wsServer(
  options: ServerOptions = {},
  onConnection: (peer: WsPeer) => void = (peer) =>
    peer.on("message", (data, isBinary) => peer.send(data, { binary: isBinary })),
) {
  const wss = new WebSocketServer(options.server ? options : { port: 0, host: "127.0.0.1", ...options });
  wss.on("connection", onConnection);
  if (!options.server) await new Promise((resolve) => wss.on("listening", resolve));
  const port = ((options.server ?? wss).address() as AddressInfo).port;
  return {
    url: `ws://127.0.0.1:${port}`,
    close: () => {
      for (const c of wss.clients) c.terminate();
      return new Promise((resolve) => wss.close(resolve));
    },
  };
}

/** Exchanges text, binary and empty messages, a ping and a clean close with an echo server. */
async function exchange(url: string, options: ClientOptions = {}): Promise<void> {
  const ws = await connect(url, options);
  expect(await echo(ws, "héllo")).toBe("héllo");
  expect(new Uint8Array((await echo(ws, new Uint8Array([0, 1, 255]))) as ArrayBuffer)).toEqual(
    new Uint8Array([0, 1, 255]),
  );
  expect(await echo(ws, "")).toBe("");
  const pong = next<MessageEvent>(ws, "pong");
  ws.ping("p");
  expect(new Uint8Array((await pong).data)).toEqual(new Uint8Array([0x70]));
  const closed = next<CloseEvent>(ws, "close");
  ws.close(1000, "done");
  expect(ws.readyState).toBe(WebSocket.CLOSING);
  expect(await closed).toMatchObject({ code: 1000, reason: "done", wasClean: true });
  expect(ws.readyState).toBe(WebSocket.CLOSED);
}

describe("against ws's WebSocketServer", () => {
  let server: Awaited<ReturnType<typeof wsServer>>;
  beforeAll(async () => {
    server = await wsServer();
  });
  afterAll(() => server.close());

  it("opens with the browser's state and closes cleanly", async () => {
    const ws = new WebSocket(server.url, undefined, {});
    expect(ws.readyState).toBe(WebSocket.CONNECTING);
    expect(ws.url).toBe(`${server.url}/`);
    expect(() => ws.send("too early")).toThrow(/connecting/);
    await next(ws, "open");
    expect(ws.readyState).toBe(WebSocket.OPEN);
    expect([ws.protocol, ws.extensions, ws.binaryType]).toEqual(["", "", "arraybuffer"]);
    await exchange(server.url);
  });

  it("round-trips text and binary of 0, 125, 126, 65536 B and 16 MiB", { timeout: 30_000 }, async () => {
    const ws = await connect(server.url, { maxPayload: 32 * MiB });
    for (const size of [0, 125, 126, 65536, 16 * MiB]) {
      const bytes = new Uint8Array(size).map((_, i) => (i * 7) & 0xff);
      expect(sameBytes(await echo(ws, bytes), bytes)).toBe(true);
      const text = "é".repeat(size >> 1);
      expect((await echo(ws, text)) === text).toBe(true);
    }
    ws.close();
  });

  it("delivers binary as a Buffer or a Blob when binaryType says so", async () => {
    const ws = await connect(server.url);
    ws.binaryType = "nodebuffer";
    expect(await echo(ws, new Uint8Array([1, 2]))).toEqual(Buffer.from([1, 2]));
    ws.binaryType = "blob";
    const blob = (await echo(ws, new Uint8Array([3]))) as Blob;
    expect(new Uint8Array(await blob.arrayBuffer())).toEqual(new Uint8Array([3]));
    ws.close();
  });

  it("sends ArrayBuffer and any ArrayBufferView; sends of one tick wait in bufferedAmount for one flush", async () => {
    const ws = await connect(server.url);
    const got: unknown[] = [];
    const all = new Promise((resolve) =>
      ws.addEventListener("message", (e) => got.push((e as MessageEvent).data) === 3 && resolve(got)),
    );
    ws.send(new Uint16Array([0x0201]).buffer);
    ws.send(new DataView(new Uint8Array([9, 8, 7]).buffer, 1, 2));
    ws.send("x");
    expect(ws.bufferedAmount).toBeGreaterThan(0);
    await all;
    expect(got.map((d) => (typeof d === "string" ? d : [...new Uint8Array(d as ArrayBuffer)]))).toEqual([
      [1, 2],
      [8, 7],
      "x",
    ]);
    ws.close();
  });

  it("answers the server's ping with a pong", async () => {
    let peer!: WsPeer;
    const s = await wsServer({}, (p) => (peer = p));
    try {
      const ws = await connect(s.url);
      const pong = new Promise((resolve) => peer.on("pong", resolve));
      peer.ping("are you there");
      expect(String(await pong)).toBe("are you there");
      ws.close();
    } finally {
      await s.close();
    }
  });

  it("calls onopen, onmessage and onclose properties", async () => {
    const ws = new WebSocket(server.url);
    const seen: string[] = [];
    ws.onopen = () => ws.send("hi");
    ws.onmessage = (e) => {
      seen.push(e.data);
      ws.close();
    };
    ws.onclose = (e) => seen.push(`close ${e.code}`);
    await next(ws, "close");
    expect(seen).toEqual(["hi", "close 1005"]);
  });

  it("rejects close codes and reasons the browser rejects", async () => {
    const ws = await connect(server.url);
    expect(() => ws.close(1001)).toThrow(expect.objectContaining({ name: "InvalidAccessError" }));
    expect(() => ws.close(5000)).toThrow(expect.objectContaining({ name: "InvalidAccessError" }));
    expect(() => ws.close(1000, "x".repeat(124))).toThrow(expect.objectContaining({ name: "SyntaxError" }));
    ws.close(4999, "x".repeat(123));
    expect(await next(ws, "close")).toMatchObject({ code: 4999, wasClean: true });
  });

  it("close() while connecting fails the connection: error, then close 1006", async () => {
    const ws = new WebSocket(server.url);
    const events: string[] = [];
    ws.onerror = () => events.push("error");
    ws.onclose = (e) => events.push(`close ${e.code}`);
    ws.close();
    expect(ws.readyState).toBe(WebSocket.CLOSING);
    await next(ws, "close");
    expect(events).toEqual(["error", "close 1006"]);
  });

  it("rejects bad URLs and subprotocol lists", () => {
    expect(() => new WebSocket("ftp://127.0.0.1/")).toThrow(expect.objectContaining({ name: "SyntaxError" }));
    expect(() => new WebSocket(`${server.url}/#frag`)).toThrow(/invalid WebSocket URL/);
    expect(() => new WebSocket(server.url, ["a", "a"])).toThrow(/subprotocol/);
    expect(() => new WebSocket(server.url, "a b")).toThrow(/subprotocol/);
  });
});

describe("the opening handshake", () => {
  it("takes the subprotocol the server chose among those offered", async () => {
    const s = await wsServer({ handleProtocols: (offered) => (offered.has("b") ? "b" : false) });
    try {
      const ws = await connect(s.url, { protocols: ["a", "b"] });
      expect(ws.protocol).toBe("b");
      ws.close();
    } finally {
      await s.close();
    }
  });

  it("sends Origin and extra headers, and the path with its query", async () => {
    let seen: Record<string, unknown> = {};
    const wss = await wsServer(
      {
        verifyClient: ({ req }, done) => {
          seen = { url: req.url, origin: req.headers.origin, token: req.headers["x-token"] };
          done(true);
        },
      },
      () => {},
    );
    try {
      const ws = await connect(`${wss.url}/chat?room=1`, {
        origin: "http://o.test",
        headers: { "X-Token": "t" },
      });
      expect(seen).toEqual({ url: "/chat?room=1", origin: "http://o.test", token: "t" });
      ws.close();
    } finally {
      await wss.close();
    }
  });

  it("fails with error then close 1006 when the server picks a protocol not offered", async () => {
    const s = await wsServer({ handleProtocols: () => "evil" });
    try {
      const ws = new WebSocket(s.url, ["a"]);
      const events: string[] = [];
      ws.onerror = (e) => events.push(e.error.message);
      const closed = await next<CloseEvent>(ws, "close");
      expect((ws as unknown as { readyState: number }).readyState).toBe(WebSocket.CLOSED);
      expect(events).toHaveLength(1);
      expect(closed).toMatchObject({ code: 1006, wasClean: false });
      await expect(connect(s.url, { protocols: ["a"] })).rejects.toMatchObject({
        code: "WS_ERR_HANDSHAKE_PROTOCOL",
      });
    } finally {
      await s.close();
    }
  });

  it("fails when the server answers with another status", async () => {
    const s = await wsServer({ verifyClient: (_info, done) => done(false, 403) });
    try {
      await expect(connect(s.url)).rejects.toMatchObject({ code: "WS_ERR_HANDSHAKE_STATUS" });
    } finally {
      await s.close();
    }
  });

  it("fails when nothing listens, and when the server never answers", async () => {
    await expect(connect("ws://127.0.0.1:1/")).rejects.toMatchObject({ code: "ECONNREFUSED" });
    const mute = createServer((socket) => socket.on("error", () => {}));
    await new Promise<void>((resolve) => mute.listen(0, "127.0.0.1", resolve));
    try {
      const url = `ws://127.0.0.1:${(mute.address() as AddressInfo).port}/`;
      await expect(connect(url, { handshakeTimeout: 200 })).rejects.toMatchObject({
        code: "WS_ERR_HANDSHAKE_TIMEOUT",
      });
    } finally {
      mute.close();
    }
  });
});

describe("closing (7.1.1 to 7.4)", () => {
  const cases: Array<[number | undefined, string, number]> = [
    [1000, "bye", 1000],
    [1001, "", 1001],
    [4000, "custom", 4000],
    [undefined, "", 1005],
  ];
  for (const [code, reason, expected] of cases) {
    it(`reports the server's close ${code ?? "without a code"} with its reason`, async () => {
      const s = await wsServer({}, (peer) => peer.close(code, reason));
      try {
        const ws = new WebSocket(s.url);
        expect(await next(ws, "close")).toMatchObject({ code: expected, reason, wasClean: true });
      } finally {
        await s.close();
      }
    });
  }

  it("closes with 1007 when the server sends invalid UTF-8 as text", async () => {
    let serverSaw: Promise<number> | undefined;
    const s = await wsServer({}, (peer) => {
      serverSaw = new Promise((resolve) => peer.on("close", resolve));
      peer.send(Buffer.from([0x68, 0xff]), { binary: false });
    });
    try {
      const ws = new WebSocket(s.url);
      const error = next<ErrorEvent>(ws, "error");
      const closed = next<CloseEvent>(ws, "close");
      expect((await error).error).toMatchObject({ code: "WS_ERR_INVALID_UTF8", closeCode: 1007 });
      expect(await closed).toMatchObject({ code: 1006, wasClean: false });
      expect(await serverSaw).toBe(1007);
    } finally {
      await s.close();
    }
  });

  it("gives up waiting for the server to end TCP after closeTimeout", async () => {
    // A server that never answers the close.
    const s = await wsServer({}, (peer) => {
      (peer as unknown as { _receiver: { removeAllListeners(): void } })._receiver.removeAllListeners();
    });
    try {
      const ws = await connect(s.url, { closeTimeout: 200 });
      const started = Date.now();
      ws.close();
      expect(await next(ws, "close")).toMatchObject({ code: 1006, wasClean: false });
      expect(Date.now() - started).toBeLessThan(2000);
    } finally {
      await s.close();
    }
  });
});

describe("wss:// against an https server with a self-signed certificate", () => {
  it("exchanges messages over TLS", async () => {
    const dir = mkdtempSync(join(tmpdir(), "wasmsock-tls-"));
    const [key, cert] = [join(dir, "k"), join(dir, "c")];
    execFileSync(
      "openssl",
      [
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-subj",
        "/CN=localhost",
        "-days",
        "1",
        "-keyout",
        key,
        "-out",
        cert,
      ],
      { stdio: "ignore" },
    );
    const https = createHttpsServer({ key: readFileSync(key), cert: readFileSync(cert) });
    await new Promise<void>((resolve) => https.listen(0, "127.0.0.1", resolve));
    const s = await wsServer({ server: https });
    const url = `wss://127.0.0.1:${(https.address() as AddressInfo).port}/`;
    try {
      await exchange(url, { tls: { ca: readFileSync(cert), checkServerIdentity: () => undefined } });
      await expect(connect(url)).rejects.toMatchObject({ code: "DEPTH_ZERO_SELF_SIGNED_CERT" });
    } finally {
      await s.close();
      https.closeAllConnections();
      await new Promise((resolve) => https.close(resolve));
    }
  });
});

/** Spawns a runtime's echo fixture and waits for the port it prints. */
async function spawnFixture(cmd: string, args: string[]): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "inherit"] });
  const port = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${cmd} printed no port`)), 20_000);
    child.stdout!.on("data", (d: Buffer) => {
      clearTimeout(timer);
      resolve(d.toString().trim());
    });
    child.on("exit", (code) => reject(new Error(`${cmd} exited with ${code}`)));
  });
  return { url: `ws://127.0.0.1:${port}/`, child };
}

for (const [name, cmd, args] of [
  ["Deno", "node_modules/.bin/deno", ["run", "-A", "test/fixtures/deno-echo-server.ts"]],
  ["Bun", "node_modules/.bin/bun", ["test/fixtures/bun-echo-server.ts"]],
] as const) {
  describe(`against ${name}'s server`, () => {
    let fixture: Awaited<ReturnType<typeof spawnFixture>>;
    beforeAll(async () => {
      fixture = await spawnFixture(cmd, [...args]);
    }, 30_000);
    afterAll(() => {
      fixture?.child.kill();
    });

    it("exchanges text, binary, a ping and a close", async () => {
      await exchange(fixture.url);
    });

    it("round-trips a 1 MiB binary message", async () => {
      const ws = await connect(fixture.url);
      const bytes = new Uint8Array(MiB).map((_, i) => i & 0xff);
      expect(sameBytes(await echo(ws, bytes), bytes)).toBe(true);
      ws.close();
    });
  });
}
