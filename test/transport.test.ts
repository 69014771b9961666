// The Transport contract (host-core/transport.ts) on each adapter, over a stand-in for its runtime's
// socket: destroy() reports `close` after the call (host-core is often in the middle of something
// when it destroys), and once; the client adapters' end(), pause() and resume(), which the runtime
// suites cannot reach because ClientWebSocket does not call them yet.
import { Duplex } from "node:stream";
import { expect, it } from "vitest";
import type { BunSocket } from "../host-bun/bun-api.ts";
import { BunConnection } from "../host-bun/connection.ts";
import type { ClientTarget } from "../host-core/client.ts";
import type { Transport, TransportEvents } from "../host-core/transport.ts";
import { DenoConnection } from "../host-deno/connection.ts";
import type { Conn } from "../host-deno/deno-api.ts";
import { wire } from "../host-node/connection.ts";
import { dialStreams } from "../host-web/streams.ts";

const target: ClientTarget = { host: "127.0.0.1", port: 1, secure: false, url: new URL("ws://127.0.0.1:1") };

/** Events that count closes. */
function counting(): TransportEvents & { closes: number } {
  return {
    closes: 0,
    receive() {},
    drained() {},
    error() {},
    closed() {
      this.closes++;
    },
  };
}

/** A Deno connection whose read waits until close(), as Deno's does. */
function denoConn(): Conn {
  let closed: ((err: Error) => void) | undefined;
  return {
    remoteAddr: { hostname: "127.0.0.1", port: 1 },
    read: () => new Promise((_, reject) => (closed = reject)),
    write: async (p) => p.length,
    closeWrite: async () => {},
    close: () => closed?.(new Error("closed")),
  };
}

const adapters: [string, (events: TransportEvents) => Promise<Transport> | Transport][] = [
  ["node", (events) => wire(new Duplex({ read() {}, write: (_c, _e, done) => done() }), () => events)],
  [
    "deno, still connecting",
    (events) => {
      const connection = new DenoConnection();
      connection.start(events, new Promise(() => {}));
      return connection;
    },
  ],
  [
    "deno, connected",
    async (events) => {
      const connection = new DenoConnection();
      connection.start(events, denoConn());
      await Promise.resolve();
      return connection;
    },
  ],
  [
    "bun, before Bun.connect opened",
    (events) => {
      const connection = new BunConnection(null);
      connection.events = events;
      return connection;
    },
  ],
  [
    "bun, open (its close handler runs inside terminate())",
    (events) => {
      const socket = { terminate: () => connection.closed() } as unknown as BunSocket<BunConnection>;
      const connection = new BunConnection(socket);
      connection.events = events;
      return connection;
    },
  ],
  [
    "web streams",
    (events) =>
      dialStreams(() => ({ readable: new ReadableStream(), writable: new WritableStream() }), target, events),
  ],
];

it.each(adapters)("%s: destroy() reports close after the call, once", async (_name, open) => {
  const events = counting();
  const transport = await open(events);
  transport.destroy();
  transport.destroy();
  expect(events.closes).toBe(0);
  await new Promise((resolve) => setTimeout(resolve, 10));
  expect(events.closes).toBe(1);
});

const tick = () => new Promise((resolve) => setTimeout(resolve, 5));

it.each([
  ["before", false],
  ["after", true],
])("web streams: end() %s the pair is up closes the writable after what was written", async (_when, up) => {
  const written: number[] = [];
  let closed = false;
  let feed!: ReadableStreamDefaultController<Uint8Array>;
  const events = { ...counting(), got: [] as number[] };
  events.receive = (chunk) => events.got.push(...chunk);
  const transport = dialStreams(
    () => ({
      readable: new ReadableStream({ start: (c) => void (feed = c) }),
      writable: new WritableStream({
        write: (c) => void written.push(...c),
        close: () => void (closed = true),
      }),
    }),
    target,
    events,
  );
  transport.write([new Uint8Array([1, 2])]);
  if (up) await tick();
  transport.write([new Uint8Array([3])]);
  transport.end();
  expect(transport.write([new Uint8Array([4])])).toBe(false);
  await tick();
  expect([written, closed]).toEqual([[1, 2, 3], true]);
  // Reading goes on, so the peer's end is seen.
  feed.enqueue(new Uint8Array([9]));
  await tick();
  expect(events.got).toEqual([9]);
});

it("web streams: nothing is delivered while paused; resume() delivers the rest in order", async () => {
  let feed!: ReadableStreamDefaultController<Uint8Array>;
  const events = { ...counting(), got: [] as number[] };
  events.receive = (chunk) => events.got.push(...chunk);
  const transport = dialStreams(
    () => ({
      readable: new ReadableStream({ start: (c) => void (feed = c) }),
      writable: new WritableStream(),
    }),
    target,
    events,
  );
  await tick();
  transport.pause();
  for (let i = 1; i <= 3; i++) feed.enqueue(new Uint8Array([i]));
  await tick();
  expect(events.got).toEqual([]);
  transport.resume();
  await tick();
  expect(events.got).toEqual([1, 2, 3]);
});

it("bun: a client paused before Bun.connect opens is paused once it does", () => {
  const calls: string[] = [];
  const connection = new BunConnection(null);
  connection.pause();
  const socket = { pause: () => calls.push("pause") } as unknown as BunSocket<BunConnection>;
  connection.opened(socket);
  expect(calls).toEqual(["pause"]);
});

// An idle connection holds only what it needs: the write queue and the stream's `drain` listener
// come with the first write the stream refuses, and everything still leaves in order after it.
it("node: no drain listener until a write is refused; then drain is reported and bytes leave in order", async () => {
  const written: number[] = [];
  let finish: (() => void) | undefined;
  const s = new Duplex({
    highWaterMark: 4,
    read() {},
    write(chunk: Buffer, _e, done) {
      written.push(...chunk);
      finish = done;
    },
  });
  let drains = 0;
  const t = wire(s, () => ({ ...counting(), drained: () => drains++ }));
  expect(s.listenerCount("drain")).toBe(0);
  expect(t.write([Uint8Array.of(1, 2, 3, 4, 5)])).toBe(false);
  expect(s.listenerCount("drain")).toBe(1);
  expect(t.write([Uint8Array.of(6), Uint8Array.of(7)])).toBe(false);
  expect(t.bufferedAmount).toBe(7);
  finish?.();
  await new Promise((resolve) => setTimeout(resolve, 10));
  finish?.();
  await new Promise((resolve) => setTimeout(resolve, 10));
  expect(written).toEqual([1, 2, 3, 4, 5, 6, 7]);
  expect(drains).toBe(1);
  expect(t.bufferedAmount).toBe(0);
});

// Deno's adapter keeps at most 256 writes in flight per process (host-deno/write-slots.ts). A
// connection waiting for a slot holds its chunks, not a copy of them, and sends what was queued
// meanwhile in the same write: at 10,000 fan-out subscribers, copies made before the wait were
// 150 MiB of RSS.
it("deno: a write waiting for a slot goes out with everything queued meanwhile, as one write, in order", async () => {
  const release: (() => void)[] = [];
  const stuck = Array.from({ length: 256 }, () => {
    const connection = new DenoConnection();
    connection.start(counting(), {
      ...denoConn(),
      write: (p) => new Promise<number>((resolve) => release.push(() => resolve(p.length))),
    });
    return connection;
  });
  await Promise.resolve();
  for (const c of stuck) c.write([Uint8Array.of(0)]);
  await Promise.resolve();
  expect(release.length).toBe(256);

  const writes: number[][] = [];
  const waiting = new DenoConnection();
  waiting.start(counting(), {
    ...denoConn(),
    write: async (p) => {
      writes.push([...p]);
      return p.length;
    },
  });
  await Promise.resolve();
  waiting.write([Uint8Array.of(1, 2)]);
  await Promise.resolve();
  waiting.write([Uint8Array.of(3), Uint8Array.of(4, 5)]);
  waiting.write([Uint8Array.of(6)]);
  expect(writes).toEqual([]);
  release[0]();
  await tick();
  expect(writes).toEqual([[1, 2, 3, 4, 5, 6]]);
  expect(waiting.bufferedAmount).toBe(0);
  for (const r of release) r();
  for (const c of [...stuck, waiting]) c.destroy();
});
