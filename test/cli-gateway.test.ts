// `wasmsock gateway --unix DIR` as a process on node, deno and bun, against real UNIX stream
// socket servers (node:net) in a temp dir: statuses before the 101 (names, traversal after
// decoding, a symlink out of DIR, no socket, refused, a socket path too long), bytes both ways,
// --text, either side closing, backpressure in both directions; and DIR = /.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { connect, createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { type Cli, startCli } from "./fixtures/cli/spawn-cli.ts";
import { RUNTIMES } from "./helpers/runtimes.ts";

const MiB = 1024 * 1024;
const root = mkdtempSync(join(tmpdir(), "wasmsock-gateway-"));
const dir = join(root, "sockets");
const outside = join(root, "outside");
const servers: Server[] = [];
/** What the echo service saw: one entry per connection, true once it ended. */
const echoEnded: boolean[] = [];
let firehoseWritten = 0;
let sink: { socket: Socket; bytes: number } | undefined;

function unixServer(path: string, onConnection: (s: Socket) => void): Promise<void> {
  const server = createServer(onConnection);
  servers.push(server);
  return new Promise((resolve) => server.listen(path, resolve));
}

beforeAll(async () => {
  mkdirSync(dir);
  mkdirSync(outside);
  await unixServer(join(dir, "echo"), (s) => {
    const at = echoEnded.push(false) - 1;
    s.on("end", () => {
      echoEnded[at] = true;
      s.end();
    });
    s.pipe(s, { end: false });
  });
  await unixServer(join(dir, "closer"), (s) => s.end("bye"));
  await unixServer(join(dir, "firehose"), (s) => {
    const chunk = Buffer.alloc(64 * 1024, 7);
    const total = 32 * MiB;
    firehoseWritten = 0;
    const pump = () => {
      while (firehoseWritten < total) {
        firehoseWritten += chunk.length;
        if (!s.write(chunk)) return void s.once("drain", pump);
      }
      s.end();
    };
    pump();
  });
  await unixServer(join(dir, "sink"), (s) => {
    s.pause();
    sink = { socket: s, bytes: 0 };
    s.on("data", (c) => (sink!.bytes += c.length));
  });
  await unixServer(join(outside, "secret"), (s) => s.end("outside!"));
  symlinkSync(join(outside, "secret"), join(dir, "escape"));
  symlinkSync(join(dir, "echo"), join(dir, "inside"));
  writeFileSync(join(dir, "notsock"), "a file");
  // A socket whose path is longer than sun_path's 107 bytes can only be bound relative to its
  // directory; the gateway dials absolute paths. It is reached through a symlink in DIR, and a
  // socket at its path's first 107 bytes catches a runtime that cuts the path instead of failing.
  const deep = join(dir, "d".repeat(100));
  mkdirSync(deep);
  const home = process.cwd();
  process.chdir(deep);
  try {
    await unixServer("svc", (s) => s.end("deep"));
  } finally {
    process.chdir(home);
  }
  symlinkSync(join(deep, "svc"), join(dir, "deep"));
  await unixServer(join(deep, "svc").slice(0, 107), (s) => s.end("cut"));
  // A socket file nobody listens on: connecting is refused.
  const py = spawnSync("python3", [
    "-c",
    `import socket; s = socket.socket(socket.AF_UNIX); s.bind(${JSON.stringify(join(dir, "refused"))})`,
  ]);
  expect(py.status).toBe(0);
});

afterAll(() => {
  for (const s of servers) s.close();
  rmSync(root, { recursive: true, force: true });
});

/** The status line's code for a handshake with exactly this request-target. */
function status(port: number, target: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const c = connect(port, "127.0.0.1");
    let head = "";
    c.on("data", (d) => {
      head += d;
      const m = /^HTTP\/1\.1 (\d{3})/.exec(head);
      if (m) {
        c.destroy();
        resolve(Number(m[1]));
      }
    });
    c.on("error", reject);
    c.write(
      `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
    );
  });
}

async function open(url: string): Promise<WebSocket> {
  const ws = new WebSocket(url);
  await new Promise((resolve, reject) => ws.once("open", resolve).once("error", reject));
  return ws;
}

function nextMessage(ws: WebSocket): Promise<{ data: Buffer; isBinary: boolean }> {
  return new Promise((resolve) =>
    ws.once("message", (data: Buffer, isBinary) => resolve({ data, isBinary })),
  );
}

const until = async (ok: () => boolean, ms = 5000) => {
  const deadline = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error("timed out waiting");
    await new Promise((r) => setTimeout(r, 20));
  }
};

describe.each(RUNTIMES)("wasmsock gateway on %s", (_name, runtime) => {
  let cli: Cli;
  let url: string;
  beforeAll(async () => {
    const allow = [
      "echo",
      "inside",
      "closer",
      "firehose",
      "sink",
      "escape",
      "refused",
      "notsock",
      "missing",
      "deep",
      "secret*",
    ];
    cli = await startCli(runtime, [
      "gateway",
      "--unix",
      dir,
      "--text",
      ...allow.flatMap((a) => ["--allow", a]),
      "--deny",
      "secret*",
    ]);
    url = `ws://127.0.0.1:${cli.port}`;
  }, 20_000);
  afterAll(async () => {
    expect(await cli.stop()).toBe(0);
  });

  it("refuses before the 101: names, traversal after decoding, symlinks out of DIR, no socket, refused", async () => {
    const cases: [string, number][] = [
      ["/echo", 101],
      ["/inside", 101], // a symlink to a socket inside DIR
      ["/other", 403], // matches no --allow
      ["/secret-x", 403], // --deny
      ["/escape", 403], // a symlink to a socket outside DIR
      ["/..", 403],
      ["/../echo", 403],
      ["/%2e%2e", 403],
      ["/%2E%2E/echo", 403],
      ["/echo%2fx", 403],
      ["/a/echo", 403],
      ["/a\\echo", 403],
      ["/%5cecho", 403],
      ["/echo%00", 403],
      ["/%", 403],
      ["/missing", 404],
      ["/notsock", 404],
      ["/", 404],
      ["/refused", 502],
      ["/deep", 502], // a socket path over 107 bytes
    ];
    const got = await Promise.all(cases.map(([target]) => status(cli.port, target)));
    expect(Object.fromEntries(cases.map(([t], i) => [t, got[i]]))).toEqual(Object.fromEntries(cases));
  });

  it("bridges bytes both ways (--text: valid UTF-8 as text, else binary); closing the WebSocket ends the UNIX side", async () => {
    const before = echoEnded.length;
    const ws = await open(`${url}/echo`);
    ws.send("héllo");
    const text = await nextMessage(ws);
    expect([text.data.toString(), text.isBinary]).toEqual(["héllo", false]);
    ws.send(Buffer.from([0xff, 0x00, 0x01]));
    const bin = await nextMessage(ws);
    expect([[...bin.data], bin.isBinary]).toEqual([[0xff, 0, 1], true]);
    // Connections of the previous test may still be opening: ours is one of those after `before`,
    // and all of them (the earlier ones were closed already) must end.
    await until(() => echoEnded.length > before);
    ws.close(1000);
    await until(() => echoEnded.slice(before).every(Boolean));
  });

  it("the UNIX side closing closes the WebSocket with 1001", async () => {
    const ws = new WebSocket(`${url}/closer`);
    const messages: string[] = [];
    ws.on("message", (d) => messages.push(String(d)));
    const code = await new Promise<number>((resolve) => ws.once("close", resolve));
    expect(code).toBe(1001);
    expect(messages).toEqual(["bye"]);
  });

  it("backpressure: a slow client pauses reading the socket; a slow service pauses reading the WebSocket", async () => {
    // Slow client: it stops reading; the service can only write what the buffers on the way hold.
    const ws = await open(`${url}/firehose`);
    const tcp = (ws as unknown as { _socket: Socket })._socket;
    tcp.pause();
    await new Promise((r) => setTimeout(r, 500));
    expect(firehoseWritten).toBeLessThan(20 * MiB);
    let received = 0;
    ws.on("message", (d: Buffer) => (received += d.length));
    const closed = new Promise((resolve) => ws.once("close", resolve));
    tcp.resume();
    await closed;
    expect(received).toBe(32 * MiB);

    // Slow service: it does not read; the gateway stops reading the client, whose buffer grows.
    sink = undefined;
    const up = await open(`${url}/sink`);
    await until(() => sink !== undefined);
    const chunk = Buffer.alloc(64 * 1024, 1);
    for (let i = 0; i < 512; i++) up.send(chunk);
    await new Promise((r) => setTimeout(r, 500));
    expect(up.bufferedAmount).toBeGreaterThan(8 * MiB);
    sink!.socket.resume();
    await until(() => sink!.bytes === 32 * MiB, 10_000);
    up.close();
  }, 30_000);
});

describe("wasmsock gateway --unix /", () => {
  it("looks names up in the root directory: an entry that is no socket is 404, not outside DIR", async () => {
    const cli = await startCli(RUNTIMES[0][1], ["gateway", "--unix", "/"]);
    try {
      expect([await status(cli.port, "/tmp"), await status(cli.port, "/missing-here")]).toEqual([404, 404]);
    } finally {
      expect(await cli.stop()).toBe(0);
    }
  });
});
