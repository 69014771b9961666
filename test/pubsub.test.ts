// Topics without sockets: a fake Transport keeps every write() call's chunks as given, so tests see
// which bytes each subscriber got, in which write, and whether they are the very object published.
import "../host-core/inline.ts";
import { afterEach, describe, expect, it, vi } from "vitest";
import { type Backplane, type Deliver, frameOnce, MemoryBackplane } from "../host-core/pubsub.ts";
import { type HandlerOptions, serverInternals, WebSocketServer } from "../host-core/server.ts";
import { Session } from "../host-core/session.ts";
import type { ServerWebSocket, WebSocketHandler } from "../host-core/socket.ts";
import type { Transport, TransportEvents } from "../host-core/transport.ts";
import { upgradeRequest } from "./conformance/http.ts";
import { encodeFrame, FrameReader, Op, type RawFrame, utf8 } from "./conformance/wire.ts";

const KEY = "dGhlIHNhbXBsZSBub25jZQ==";
const servers: WebSocketServer<unknown>[] = [];
const transports: Fake[] = [];

afterEach(async () => {
  vi.restoreAllMocks();
  const closed = Promise.all(servers.splice(0).map((s) => s.close()));
  for (const t of transports.splice(0)) t.gone();
  await closed;
});

class Fake implements Transport {
  /** Each write() call's chunks, as given. */
  readonly writes: Uint8Array[][] = [];
  bufferedAmount = 0;
  remoteAddress = "192.0.2.7";
  events!: TransportEvents;
  private reported = false;

  constructor() {
    transports.push(this);
  }
  write(chunks: Uint8Array[]): boolean {
    this.writes.push([...chunks]);
    return true;
  }
  end(): void {}
  destroy(): void {
    queueMicrotask(() => this.gone());
  }
  gone(): void {
    if (this.reported) return;
    this.reported = true;
    this.events.closed();
  }
  pause(): void {}
  resume(): void {}

  /** The frames of every write after the 101, in order. */
  frames(): RawFrame[] {
    const reader = new FrameReader();
    for (const chunks of this.writes.slice(1)) reader.push(Buffer.concat(chunks));
    const out: RawFrame[] = [];
    for (let f = reader.next(); f; f = reader.next()) out.push(f);
    return out;
  }
}

function server<T = unknown>(
  handler: WebSocketHandler<T> = {},
  options: Omit<HandlerOptions<T>, "handler"> = {},
) {
  const s = new WebSocketServer<T>({ ...options, handler });
  servers.push(s as WebSocketServer<unknown>);
  const core = serverInternals(s);
  /** An open connection and its socket. */
  const open = (): { t: Fake; ws: ServerWebSocket<T> } => {
    const t = new Fake();
    t.events = core.accept(t);
    t.events.receive(Buffer.from(upgradeRequest("example.com", "/", KEY), "latin1"));
    return { t, ws: [...s.clients].at(-1)! };
  };
  return { server: s, open };
}

const text = (s: string) => encodeFrame({ op: Op.text, payload: utf8(s) }, true);
const show = (f: RawFrame) =>
  f.op === Op.close ? `close ${f.payload.readUInt16BE(0)} ${f.payload.subarray(2)}` : `${f.op} ${f.payload}`;
const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString("hex");
const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

describe("a published message is framed once (RFC 6455 5.2, unmasked server frames)", () => {
  it("builds the header with the core's encoder: 7-bit, 16-bit and 64-bit lengths", () => {
    expect(hex(frameOnce(utf8("hi"), false).frame)).toBe("81026869");
    expect(hex(frameOnce(new Uint8Array(125), true).frame.subarray(0, 2))).toBe("827d");
    expect(hex(frameOnce(new Uint8Array(126), true).frame.subarray(0, 4))).toBe("827e007e");
    const large = new Uint8Array(65536);
    const framed = frameOnce(large, true);
    expect(hex(framed.frame)).toBe("827f0000000000010000");
    expect(framed.payload).toBe(large);
  });

  it("queues the same frame object to every subscriber, and a large payload by reference, not copied", async () => {
    const { server: s, open } = server();
    const subs = [open(), open(), open()];
    for (const { ws } of subs) ws.subscribe("t");
    const queued = vi.spyOn(Session.prototype, "queueFrame");
    s.publish("t", "small");
    const large = new Uint8Array(64 * 1024).fill(7);
    s.publish("t", large);
    expect(queued).toHaveBeenCalledTimes(6);
    const calls = queued.mock.calls;
    for (let i = 0; i < 3; i++) {
      expect(calls[i][0]).toBe(calls[0][0]);
      expect(calls[3 + i][0]).toBe(calls[3][0]);
      expect(calls[3 + i][0].payload).toBe(large);
    }
    await tick();
    for (const { t } of subs) {
      expect(t.writes).toHaveLength(2);
      // The large payload is the very object published, between its header and nothing else.
      expect(t.writes[1]).toContain(large);
      expect(t.frames().map((f) => `${f.op} ${f.payload.length}`)).toEqual(["1 5", `2 ${large.length}`]);
    }
  });
  it("a turn's publishes reach every subscriber as one view of the same shared bytes, copied nowhere", async () => {
    const { server: s, open } = server();
    const subs = [open(), open(), open()];
    for (const { ws } of subs) ws.subscribe("t");
    for (let i = 0; i < 8; i++) s.publish("t", `message ${i}`);
    await tick();
    const written = subs.map(({ t }) => t.writes[1]);
    for (const chunks of written) {
      expect(chunks).toHaveLength(1);
      expect(chunks[0].buffer).toBe(written[0][0].buffer);
      expect(chunks[0].byteOffset).toBe(written[0][0].byteOffset);
    }
    for (const { t } of subs)
      expect(t.frames().map(show)).toEqual(Array.from({ length: 8 }, (_, i) => `1 message ${i}`));
  });

  it("frames of interleaved topics and a socket's own sends keep their order", async () => {
    const { server: s, open } = server();
    const [a, b] = [open(), open()];
    a.ws.subscribe("x");
    a.ws.subscribe("y");
    b.ws.subscribe("x");
    const expected: string[] = [];
    for (let i = 0; i < 12; i++) {
      const topic = i % 3 === 0 ? "y" : "x";
      s.publish(topic, `${topic}${i}`);
      expected.push(`1 ${topic}${i}`);
      if (i % 4 === 3) {
        a.ws.send(`own${i}`);
        expected.push(`1 own${i}`);
      }
    }
    await tick();
    expect(a.t.frames().map(show)).toEqual(expected);
    expect(b.t.frames().map(show)).toEqual(expected.filter((f) => f.startsWith("1 x")));
  });
});

describe("topics", () => {
  it("subscribe, unsubscribe, isSubscribed, topics and subscriberCount agree", () => {
    const { server: s, open } = server();
    const { ws } = open();
    ws.subscribe("a");
    ws.subscribe("b");
    ws.subscribe("a");
    expect(ws.topics).toEqual(["a", "b"]);
    expect(ws.isSubscribed("a")).toBe(true);
    expect(s.subscriberCount("a")).toBe(1);
    ws.unsubscribe("a");
    ws.unsubscribe("a");
    expect(ws.isSubscribed("a")).toBe(false);
    expect(ws.topics).toEqual(["b"]);
    expect(s.subscriberCount("a")).toBe(0);
    ws.unsubscribe("b");
    expect(ws.topics).toEqual([]);
    ws.subscribe("c");
    expect([ws.isSubscribed("c"), ws.isSubscribed("b")]).toEqual([true, false]);
    expect(ws.topics).toEqual(["c"]);
    ws.subscribe("d");
    expect(ws.topics).toEqual(["c", "d"]);
  });

  it("a socket leaves its topics when it closes, and cannot join once closed", async () => {
    const { server: s, open } = server();
    const a = open();
    const b = open();
    a.ws.subscribe("t");
    b.ws.subscribe("t");
    a.t.gone();
    expect(s.subscriberCount("t")).toBe(1);
    a.ws.subscribe("t");
    expect(s.subscriberCount("t")).toBe(1);
    expect(s.publish("t", "x")).toBe(1);
  });

  it("ws.publish reaches every subscriber but the sender, in publish order, text and binary kept", async () => {
    const { open } = server({ message: (ws, data) => ws.publish("t", data) });
    const [a, b, c] = [open(), open(), open()];
    for (const { ws } of [a, b, c]) ws.subscribe("t");
    a.t.events.receive(Buffer.concat([text("1"), text("2")]));
    expect(b.ws.publish("t", Uint8Array.of(0xff))).toBe(2);
    await tick();
    expect(a.t.frames().map(show)).toEqual(["2 \ufffd"]);
    expect(b.t.frames().map(show)).toEqual(["1 1", "1 2"]);
    expect(c.t.frames().map(show)).toEqual(["1 1", "1 2", "2 \ufffd"]);
  });

  it("what one received chunk publishes leaves in one write per subscriber, with its other output", async () => {
    const { open } = server({
      message: (ws, data) => {
        ws.publish("t", data);
        ws.publish("t", `${data}!`);
      },
    });
    const [a, b] = [open(), open()];
    a.ws.subscribe("t");
    b.ws.subscribe("t");
    b.ws.send("own");
    a.t.events.receive(Buffer.concat([text("x"), text("y")]));
    await tick();
    expect(b.t.writes).toHaveLength(2);
    expect(b.t.frames().map(show)).toEqual(["1 own", "1 x", "1 x!", "1 y", "1 y!"]);
  });

  it("publish takes the payloads send takes, binary overridable, and refuses others with a TypeError", async () => {
    const { server: s, open } = server();
    const { t, ws } = open();
    ws.subscribe("t");
    s.publish("t", "as binary", { binary: true });
    s.publish("t", new Uint16Array([0x6968]));
    expect(() => s.publish("t", 42 as never)).toThrow(TypeError);
    await tick();
    expect(t.frames().map(show)).toEqual(["2 as binary", "2 hi"]);
  });
});

describe("slow subscribers", () => {
  it("past backpressureLimit a subscriber is closed with 1008 'too slow'; the others go on", async () => {
    const { server: s, open } = server({}, { backpressureLimit: 1024 });
    const [slow, fast] = [open(), open()];
    slow.ws.subscribe("t");
    fast.ws.subscribe("t");
    slow.t.bufferedAmount = 4096;
    expect(s.publish("t", "m1")).toBe(1);
    expect(s.publish("t", "m2")).toBe(1);
    await tick();
    expect(slow.t.frames().map(show)).toEqual(["close 1008 too slow"]);
    expect(fast.t.frames().map(show)).toEqual(["1 m1", "1 m2"]);
  });

  it("with closeOnBackpressureLimit false, its messages are dropped and counted", async () => {
    const { server: s, open } = server({}, { backpressureLimit: 1024, closeOnBackpressureLimit: false });
    const slow = open();
    slow.ws.subscribe("t");
    slow.t.bufferedAmount = 4096;
    s.publish("t", "m1");
    s.publish("t", "m2");
    slow.t.bufferedAmount = 0;
    s.publish("t", "m3");
    await tick();
    expect(slow.ws.dropped).toBe(2);
    expect(slow.t.frames().map(show)).toEqual(["1 m3"]);
  });
});

describe("backplane", () => {
  /** A MemoryBackplane whose members' subscribe/unsubscribe calls are recorded. */
  function recorded(): { backplane: Backplane; calls: string[] } {
    const inner = new MemoryBackplane();
    const calls: string[] = [];
    const backplane: Backplane = {
      join(deliver: Deliver) {
        const m = inner.join(deliver);
        return {
          publish: (topic, data, binary) => m.publish(topic, data, binary),
          subscribe(topic) {
            calls.push(`+${topic}`);
            m.subscribe(topic);
          },
          unsubscribe(topic) {
            calls.push(`-${topic}`);
            m.unsubscribe(topic);
          },
          leave: () => m.leave(),
        };
      },
    };
    return { backplane, calls };
  }

  it("servers sharing a MemoryBackplane share topics; each subscriber gets a message once", async () => {
    const { backplane } = recorded();
    const one = server({ message: (ws, data) => ws.publish("t", data) }, { backplane });
    const two = server({}, { backplane });
    const [a, b] = [one.open(), one.open()];
    const c = two.open();
    for (const { ws } of [a, b, c]) ws.subscribe("t");
    a.t.events.receive(text("hello"));
    two.server.publish("t", "back");
    await tick();
    expect(a.t.frames().map(show)).toEqual(["1 back"]);
    expect(b.t.frames().map(show)).toEqual(["1 hello", "1 back"]);
    expect(c.t.frames().map(show)).toEqual(["1 hello", "1 back"]);
  });

  it("joins a topic on the backplane only while some local socket is in it", async () => {
    const { backplane, calls } = recorded();
    const { open } = server({}, { backplane });
    const [a, b] = [open(), open()];
    a.ws.subscribe("t");
    b.ws.subscribe("t");
    a.ws.unsubscribe("t");
    expect(calls).toEqual(["+t"]);
    b.t.gone();
    expect(calls).toEqual(["+t", "-t"]);
  });
});
