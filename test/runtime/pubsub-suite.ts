// Pub/sub in one runtime, with real peers: the example contract (dist/examples/pubsub.js), a slow
// subscriber (test/runtime/fixture-pubsub.ts), and topics spanning two processes through a real
// redis-server with node-redis and with ioredis, also while Redis is killed and restarted; several
// processes on one port (reusePort, or node:cluster on Node 20). Each runtime's test file is one call.
import { type ChildProcess, spawn } from "node:child_process";
import { connect as tcpConnect } from "node:net";
import { createInterface } from "node:readline";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import WsClient from "ws";
import { newKey, upgradeRequest } from "../conformance/http.ts";
import { FrameReader, Op } from "../conformance/wire.ts";
import { RedisServer } from "../helpers/redis.ts";
import { freePort } from "../helpers/spawn-echo.ts";

const HOST = "127.0.0.1";
const EXAMPLE = "dist/examples/pubsub.js";
const FIXTURE = "dist/test/runtime/fixture-pubsub.js";
const CLUSTER = "dist/examples/cluster.js";

export interface PubsubSuiteOptions {
  /** Flags the runtime needs for serve({ reusePort }), or undefined where it has none (Node 20). */
  reusePortFlags?: string[];
}

export function pubsubSuite(runtime: string, command: string[], options: PubsubSuiteOptions = {}): void {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await RedisServer.start();
  });
  afterAll(() => redis.kill());
  afterEach(() => {
    for (const c of clients.splice(0)) c.ws.terminate();
    for (const p of procs.splice(0)) p.stop();
  });
  const run = (file: string, args: string[], flags: string[] = []) =>
    Proc.start([...command, ...flags], file, args);

  describe(`pub/sub on ${runtime}`, () => {
    describe("the example contract", () => {
      it("answers 404 to a path that is not /NAME", async () => {
        const { port } = await run(EXAMPLE, []);
        for (const path of ["/", "/a/b", "/bad%20name", `/${"x".repeat(65)}`, "/a.b"])
          expect(await statusOf(port, path)).toBe(404);
        await Client.open(port, `/${"x".repeat(64)}`);
      });

      it("delivers every message to every other subscriber once, in order, type and bytes kept", async () => {
        const { port } = await run(EXAMPLE, []);
        // A query is not part of the topic.
        const room = await Promise.all(
          ["/room", "/room", "/room?since=1"].map((path) => Client.open(port, path)),
        );
        const other = await Client.open(port, "/other");
        const sent = room.map((c, i) => c.sendMany(i, 40));
        await everyOtherGets(room, sent);
        expect(other.got).toEqual([]);
      });
    });

    it("600 subscribers, more than the Deno host writes at once: each gets every message once, in order", async () => {
      const { port } = await run(EXAMPLE, []);
      const crowd: RawSubscriber[] = [];
      for (let i = 0; i < 600; i += 100)
        crowd.push(
          ...(await Promise.all(Array.from({ length: 100 }, () => RawSubscriber.open(port, "/crowd", true)))),
        );
      const publisher = await Client.open(port, "/crowd");
      const sent: string[] = [];
      for (let i = 0; i < 100; i++) {
        // Every tenth goes by reference, after its frame, as a write of two chunks.
        const bytes = Buffer.concat([Buffer.from(`m ${i} `), Buffer.alloc(i % 10 === 9 ? 20_000 : 8, 0x7a)]);
        publisher.ws.send(bytes, { binary: true });
        sent.push(digest(bytes));
      }
      const deadline = Date.now() + 20_000;
      while (crowd.some((s) => s.messages < sent.length) && Date.now() < deadline) await sleep(20);
      await sleep(100); // room for a duplicate to show
      for (const s of crowd) expect(s.got).toEqual(sent);
    });

    it("closes a subscriber past backpressureLimit with 1008 'too slow' while the others get everything", async () => {
      const { port } = await run(FIXTURE, ["--backpressure-limit", String(256 * 1024)]);
      const slow = await RawSubscriber.open(port, "/t");
      const fast = await Client.open(port, "/t");
      const publisher = await Client.open(port, "/t");
      slow.socket.pause();
      // 24 MB: more than loopback's socket buffers hold for a peer that does not read.
      const n = 1500;
      const payload = Buffer.alloc(16 * 1024, 0x61);
      // Paced by the fast subscriber, which this process also has to read.
      for (let i = 0; i < n; i += 10) {
        for (let j = 0; j < 10; j++) publisher.ws.send(payload, { binary: true });
        await fast.until(i + 10);
      }
      slow.socket.resume();
      const close = await slow.close();
      expect(close).toEqual({ code: 1008, reason: "too slow" });
      expect(slow.messages).toBeLessThan(n);
    });

    for (const client of ["redis", "ioredis"]) {
      describe(`through Redis with ${client === "redis" ? "node-redis" : "ioredis"}`, () => {
        const servers = () => {
          const args = ["--redis", redis.url, "--client", client];
          return Promise.all([run(FIXTURE, args), run(FIXTURE, args)]);
        };

        it("two processes: every message reaches every other subscriber on both exactly once, in order", async () => {
          const [a, b] = await servers();
          const room = await Promise.all([a, a, b, b].map((p) => Client.open(p.port, "/room")));
          await crossing(room[0], room.slice(1));
          await crossing(room[2], [room[0], room[1], room[3]]);
          const sent = room.map((c, i) => c.sendMany(i, 30));
          await everyOtherGets(room, sent);
        });

        if (runtime === "node")
          it("while Redis is down delivery stays local, errors are reported, and crossing resumes after", async () => {
            const [a, b] = await servers();
            const [a1, a2, b1] = await Promise.all([a, a, b].map((p) => Client.open(p.port, "/room")));
            await crossing(a1, [a2, b1]);
            await redis.kill();
            // Once the publisher has seen the loss (a publish was kept local): before that, a client
            // may still send a publish to Redis once it is back (late, but still at most once).
            for (let i = 0; !a.lines.some((l) => /unreachable/.test(String(l.redisError))); i++) {
              a1.ws.send(`before ${i}`);
              await sleep(20);
            }
            const down = a1.sendMany(0, 10, "down");
            await a2.until(down.length, ["down"]);
            expect(a2.payloads("down")).toEqual(down.map((m) => m.data));
            await redis.restart();
            await crossing(a1, [b1], 15_000);
            await crossing(b1, [a1], 15_000);
            const up = a1.sendMany(0, 20, "up");
            const back = b1.sendMany(1, 20, "back");
            await everyOtherGets([a1, a2, b1], [up, [], back], ["up", "back"]);
            // At most once: what was published while Redis was down may arrive late (a client may
            // still have had it queued), but never twice and never out of order.
            const late = b1.payloads("down");
            const sentDown = down.map((m) => m.data);
            expect(late).toEqual(sentDown.filter((d) => late.includes(d)));
            expect(new Set(late).size).toBe(late.length);
          }, 30_000);
      });
    }

    if (options.reusePortFlags) {
      const flags = options.reusePortFlags;
      it("two processes on one port with reusePort share topics through Redis", async () => {
        const port = await freePort();
        const args = ["--port", String(port), "--reuse-port", "--redis", redis.url];
        const [a, b] = await Promise.all([run(FIXTURE, args, flags), run(FIXTURE, args, flags)]);
        const room = await Promise.all(Array.from({ length: 12 }, () => Client.open(port, "/room")));
        const pids = new Set([...a.lines, ...b.lines].map((l) => l.open).filter(Boolean));
        expect(pids).toEqual(new Set([a.pid, b.pid]));
        await crossing(room[0], room.slice(1));
        await everyOtherGets(
          room,
          room.map((c, i) => c.sendMany(i, 5)),
        );
      });
    } else {
      it("serve({ reusePort: true }) rejects with a clear error where the runtime has none", async () => {
        const failed = await Proc.failure([...command], FIXTURE, ["--reuse-port"]);
        expect(failed).toMatch(/reusePort.*Node 22\.12.*node:cluster/);
      });
    }

    if (runtime === "node")
      it("the node:cluster recipe: two workers on one port, a topic spanning them through Redis", async () => {
        const port = await freePort();
        const primary = await Proc.start(
          command,
          CLUSTER,
          ["--port", String(port), "--redis", redis.url, "--workers", "2"],
          (lines) => lines.filter((l) => l.listening).length === 2,
        );
        expect(new Set(primary.lines.map((l) => l.listening).filter(Boolean)).size).toBe(2);
        const room = await Promise.all(Array.from({ length: 8 }, () => Client.open(port, "/room")));
        await crossing(room[0], room.slice(1));
        await everyOtherGets(
          room,
          room.map((c, i) => c.sendMany(i, 10)),
        );
      });
  });
}

type Line = Record<string, unknown>;
interface Message {
  data: string;
  binary: boolean;
}

const procs: Proc[] = [];
const clients: Client[] = [];
let probes = 0;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A server process; its stdout lines are JSON (fixture) or text (example, cluster primary). */
class Proc {
  readonly lines: Line[] = [];
  port = 0;
  private changed: () => void = () => {};

  private constructor(private readonly child: ChildProcess) {
    createInterface({ input: child.stdout! }).on("line", (text) => {
      const worker = /^worker (\d+) listening/.exec(text);
      const example = /^pubsub on ws:\/\/127\.0\.0\.1:(\d+)/.exec(text);
      if (worker) this.lines.push({ listening: Number(worker[1]) });
      else if (example) this.lines.push({ ready: true, port: Number(example[1]) });
      else if (text.startsWith("{")) this.lines.push(JSON.parse(text));
      this.changed();
    });
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** Starts `command file args` (with --port N unless given) and waits until it is ready. */
  static async start(
    command: string[],
    file: string,
    args: string[],
    ready: (lines: Line[]) => boolean = (lines) => lines.some((l) => l.ready),
  ): Promise<Proc> {
    const withPort = args.includes("--port") ? args : ["--port", String(await freePort()), ...args];
    const [program, ...rest] = command;
    const child = spawn(program, [...rest, file, ...withPort], { stdio: ["ignore", "pipe", "inherit"] });
    const proc = new Proc(child);
    procs.push(proc);
    const exited = new Promise<never>((_, reject) =>
      child.once("exit", (code) => reject(new Error(`${file} exited with ${code}`))),
    );
    await Promise.race([proc.line(() => ready(proc.lines), 20_000), exited]);
    proc.port = Number(withPort[withPort.indexOf("--port") + 1]);
    return proc;
  }

  /** What a fixture whose serve() rejected printed before it exited. */
  static async failure(command: string[], file: string, args: string[]): Promise<string> {
    const [program, ...rest] = command;
    const child = spawn(program, [...rest, file, ...args], { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout!.on("data", (b: Buffer) => {
      out += b;
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
    await new Promise((resolve) => child.once("close", resolve));
    clearTimeout(timer);
    return out;
  }

  /** Waits for a line that passes test. */
  async line(test: (l: Line) => boolean, ms = 10_000): Promise<Line> {
    const deadline = Date.now() + ms;
    for (;;) {
      const found = this.lines.find(test);
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`no such line in ${JSON.stringify(this.lines)}`);
      await new Promise<void>((resolve) => {
        this.changed = resolve;
        setTimeout(resolve, 50);
      });
    }
  }

  stop(): void {
    this.child.kill("SIGKILL");
  }
}

/** A ws client in one topic that keeps every message it receives. */
class Client {
  readonly got: Message[] = [];

  private constructor(readonly ws: WsClient) {
    ws.on("message", (data: Buffer, binary) => this.got.push({ data: data.toString("latin1"), binary }));
  }

  static open(port: number, path: string): Promise<Client> {
    const ws = new WsClient(`ws://${HOST}:${port}${path}`);
    const client = new Client(ws);
    clients.push(client);
    return new Promise((resolve, reject) => {
      ws.once("open", () => resolve(client));
      ws.once("error", reject);
    });
  }

  /**
   * Sends n messages tagged with sender and index: text and binary alternating, binary with bytes
   * that are not UTF-8, every tenth 70,000 bytes (by reference on the server).
   */
  sendMany(sender: number, n: number, tag = "m"): Message[] {
    const out: Message[] = [];
    for (let i = 0; i < n; i++) {
      const head = `${tag} ${sender} ${i} `;
      const binary = i % 2 === 1;
      const fill = i % 10 === 9 ? 70_000 : 8;
      const bytes = Buffer.concat([Buffer.from(head), Buffer.alloc(fill, binary ? 0xfe : 0x7a)]);
      this.ws.send(bytes, { binary });
      out.push({ data: bytes.toString("latin1"), binary });
    }
    return out;
  }

  /** The messages received whose tag is tag (probes and other phases left out), as latin1. */
  payloads(tag: string): string[] {
    return this.got.filter((m) => m.data.startsWith(`${tag} `)).map((m) => m.data);
  }

  /** The messages with one of these tags; all of them without tags. */
  of(tags?: string[]): Message[] {
    return tags ? this.got.filter((m) => tags.some((t) => m.data.startsWith(`${t} `))) : this.got;
  }

  async until(n: number, tags?: string[], ms = 10_000): Promise<void> {
    const deadline = Date.now() + ms;
    while (this.of(tags).length < n) {
      if (Date.now() > deadline) throw new Error(`got ${this.of(tags).length} of ${n} messages`);
      await sleep(10);
    }
  }
}

/**
 * Until a probe from `from` reaches every one of `to`: Redis SUBSCRIBE is asynchronous, so what
 * is published before it took effect in the other process is not for it.
 */
async function crossing(from: Client, to: Client[], ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  const tag = `probe${++probes}`;
  for (let i = 0; to.some((c) => c.payloads(tag).length === 0); i++) {
    if (Date.now() > deadline) throw new Error("messages do not cross");
    from.ws.send(`${tag} ${i}`);
    await sleep(50);
  }
}

/** Each client ends with exactly what every other client sent, each sender's in its order. */
async function everyOtherGets(room: Client[], sent: Message[][], tags = ["m"]): Promise<void> {
  const total = sent.reduce((n, s) => n + s.length, 0);
  await Promise.all(room.map((c, i) => c.until(total - sent[i].length, tags)));
  await sleep(100); // room for a duplicate to show
  room.forEach((c, i) => {
    const got = c.of(tags);
    expect(got.length).toBe(total - sent[i].length);
    sent.forEach((messages, j) => {
      if (messages.length === 0) return;
      const fromJ = got.filter((m) => senderOf(m) === senderOf(messages[0]));
      expect(fromJ).toEqual(i === j ? [] : messages);
    });
  });
}

/** "tag sender" of a message sendMany() made. */
function senderOf(m: Message): string {
  return m.data.split(" ", 2).join(" ");
}

/** Whatever status the server answers a handshake to path with. */
function statusOf(port: number, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WsClient(`ws://${HOST}:${port}${path}`);
    ws.once("unexpected-response", (_req, res) => {
      resolve(res.statusCode ?? 0);
      ws.terminate();
    });
    ws.once("open", () => {
      resolve(101);
      ws.terminate();
    });
    ws.once("error", reject);
  });
}

/** A message's length and first bytes: enough to tell messages of the same tests apart. */
function digest(bytes: Buffer): string {
  return `${bytes.length} ${bytes.subarray(0, 16).toString("latin1")}`;
}

/** A subscriber over raw TCP, so the test decides when it reads. */
class RawSubscriber {
  messages = 0;
  /** Each message's digest, if asked to keep them. */
  readonly got: string[] = [];
  private readonly reader = new FrameReader();
  private closing: ((c: { code: number; reason: string }) => void) | undefined;
  private head = Buffer.alloc(0);

  private constructor(
    readonly socket: ReturnType<typeof tcpConnect>,
    private readonly keep: boolean,
  ) {}

  static open(port: number, path: string, keep = false): Promise<RawSubscriber> {
    const socket = tcpConnect(port, HOST);
    const sub = new RawSubscriber(socket, keep);
    return new Promise((resolve, reject) => {
      socket.once("error", reject);
      const onHead = (chunk: Buffer) => {
        sub.head = Buffer.concat([sub.head, chunk]);
        const end = sub.head.indexOf("\r\n\r\n");
        if (end < 0) return;
        socket.off("data", onHead);
        socket.on("data", (c: Buffer) => sub.take(c));
        sub.take(sub.head.subarray(end + 4));
        resolve(sub);
      };
      socket.on("data", onHead);
      socket.write(upgradeRequest(HOST, path, newKey()));
    });
  }

  close(): Promise<{ code: number; reason: string }> {
    return new Promise((resolve) => {
      this.closing = resolve;
    });
  }

  private take(chunk: Buffer): void {
    this.reader.push(chunk);
    for (let f = this.reader.next(); f; f = this.reader.next()) {
      if (f.op === Op.close)
        this.closing?.({ code: f.payload.readUInt16BE(0), reason: f.payload.subarray(2).toString() });
      else {
        this.messages++;
        if (this.keep) this.got.push(digest(f.payload));
      }
    }
  }
}
