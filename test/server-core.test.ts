// host-core's server and socket without sockets: a fake Transport records every write() call, so
// tests see exactly which bytes leave together, and in which order.
import "../host-core/inline.ts";
import { afterEach, describe, expect, it, vi } from "vitest";
import { acceptResponse, parseUpgrade } from "../host-core/handshake.ts";
import { type HandlerOptions, serverInternals, WebSocketServer } from "../host-core/server.ts";
import { Session } from "../host-core/session.ts";
import type { ServerWebSocket, WebSocketHandler } from "../host-core/socket.ts";
import type { Transport, TransportEvents } from "../host-core/transport.ts";
import { acceptFor, upgradeRequest } from "./conformance/http.ts";
import { closePayload, encodeFrame, FrameReader, hex, Op, type RawFrame, utf8 } from "./conformance/wire.ts";

const KEY = "dGhlIHNhbXBsZSBub25jZQ==";
const servers: WebSocketServer<unknown>[] = [];
const transports: FakeTransport[] = [];

afterEach(async () => {
  vi.restoreAllMocks();
  const closed = Promise.all(servers.splice(0).map((s) => s.close()));
  for (const t of transports.splice(0)) t.gone();
  await closed;
});

/** A Transport that keeps every write() call's bytes. */
class FakeTransport implements Transport {
  readonly writes: Buffer[] = [];
  bufferedAmount = 0;
  remoteAddress: string | undefined = "192.0.2.7";
  ended = false;
  destroyed = false;
  paused = false;
  events!: TransportEvents;
  failWrites = false;
  private reported = false;

  constructor() {
    transports.push(this);
  }

  write(chunks: Uint8Array[]): boolean {
    if (this.failWrites) throw new Error("write failed");
    this.writes.push(Buffer.concat(chunks));
    return true;
  }

  end(): void {
    this.ended = true;
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    // As the contract says: never from inside the call.
    queueMicrotask(() => this.gone());
  }

  /** TCP is gone: reported once. */
  gone(): void {
    if (this.reported) return;
    this.reported = true;
    this.events.closed();
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
  }

  /** The peer sends these bytes. */
  send(bytes: string | Uint8Array): void {
    this.events.receive(typeof bytes === "string" ? Buffer.from(bytes, "latin1") : bytes);
  }

  /** Write i as text (a response head) */
  text(i: number): string {
    return this.writes[i].toString("latin1");
  }

  /** The frames of write i. */
  frames(i: number): RawFrame[] {
    const reader = new FrameReader();
    reader.push(Buffer.from(this.writes[i]));
    const out: RawFrame[] = [];
    for (let f = reader.next(); f; f = reader.next()) out.push(f);
    return out;
  }
}

function server<T = unknown>(handler: WebSocketHandler<T>, options: Omit<HandlerOptions<T>, "handler"> = {}) {
  const s = new WebSocketServer<T>({ ...options, handler });
  servers.push(s as WebSocketServer<unknown>);
  const core = serverInternals(s);
  /** A fresh connection, its request not yet sent. */
  const connect = (secure = false): FakeTransport => {
    const t = new FakeTransport();
    t.events = core.accept(t, { secure });
    return t;
  };
  /** A connection that sent its request (with extra header lines). */
  const request = (path = "/", extra: string[] = [], secure = false): FakeTransport => {
    const t = connect(secure);
    t.send(upgradeRequest("example.com", path, KEY, extra));
    return t;
  };
  return { server: s, connect, request };
}

const frame = (op: number, payload: string | Uint8Array = "") =>
  encodeFrame({ op, payload: typeof payload === "string" ? utf8(payload) : Buffer.from(payload) }, true);
const text = (s: string) => frame(Op.text, s);
const closeFrame = (code: number) => encodeFrame({ op: Op.close, payload: closePayload(code) }, true);
const show = (f: RawFrame) =>
  f.op === Op.close ? `close ${f.payload.readUInt16BE(0)}` : `${f.op} ${f.payload.toString()}`;
const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

function status(head: string): number {
  return Number(head.slice(9, 12));
}

function field(head: string, name: string): string | undefined {
  const line = head.split("\r\n").find((l) => l.toLowerCase().startsWith(`${name.toLowerCase()}:`));
  return line?.slice(name.length + 1).trim();
}

describe("batching", () => {
  it("writes everything one chunk's handlers send in one write, the close echo included", async () => {
    // A payload of 16 KiB goes by reference: the write is vectored, still one call.
    const large = new Uint8Array(16 * 1024).fill(0x6c);
    const { request } = server({
      message: (ws, data) => {
        for (const n of [1, 2]) ws.send(`${data}${n}`);
        ws.send(large);
      },
    });
    const t = request();
    t.send(Buffer.concat([text("a"), text("b"), text("c"), closeFrame(1000)]));
    expect(t.writes).toHaveLength(2);
    const l = `2 ${Buffer.from(large).toString()}`;
    expect(t.frames(1).map(show)).toEqual([
      "1 a1",
      "1 a2",
      l,
      "1 b1",
      "1 b2",
      l,
      "1 c1",
      "1 c2",
      l,
      "close 1000",
    ]);
    expect(t.ended).toBe(true);
    await tick();
    expect(t.writes).toHaveLength(2);
  });

  it("drops a connection it failed 250 ms after its close, whether or not the peer closes", async () => {
    const { request } = server({}, { closeTimeout: 60_000 });
    const t = request();
    const start = Date.now();
    t.send(hex("83 80 00 00 00 00"));
    expect(t.frames(1).map(show)).toEqual(["close 1002"]);
    expect(t.ended).toBe(true);
    await vi.waitFor(() => expect(t.destroyed).toBe(true), { timeout: 1000, interval: 10 });
    expect(Date.now() - start).toBeLessThan(600);
  });

  it("writes the 101 on its own before anything open sends", () => {
    const { request } = server({
      open: (ws) => {
        ws.send("one");
        ws.send("two");
      },
    });
    const t = request();
    expect(t.writes).toHaveLength(2);
    expect(t.text(0)).toMatch(/^HTTP\/1\.1 101 [\s\S]*\r\n\r\n$/);
    expect(field(t.text(0), "sec-websocket-accept")).toBe(acceptFor(KEY));
    expect(t.frames(1).map(show)).toEqual(["1 one", "1 two"]);
  });

  it("writes what a handler queued before it threw at once, not with the next chunk", () => {
    const { request } = server({
      message: (ws) => {
        ws.send("before");
        throw new Error("handler bug");
      },
    });
    const t = request();
    expect(() => t.send(text("x"))).toThrow("handler bug");
    expect(t.writes).toHaveLength(2);
    expect(t.frames(1).map(show)).toEqual(["1 before"]);
  });

  it("coalesces sends outside dispatch on a microtask, and cork() writes them when fn returns", async () => {
    let socket: ServerWebSocket | undefined;
    const { request } = server({ open: (ws) => (socket = ws) });
    const t = request();
    socket!.send("a");
    socket!.send("b");
    expect(t.writes).toHaveLength(1);
    await tick();
    expect(t.frames(1).map(show)).toEqual(["1 a", "1 b"]);
    const result = socket!.cork(() => {
      socket!.send("c");
      socket!.send("d");
      return 42;
    });
    expect(result).toBe(42);
    expect(t.writes).toHaveLength(3);
    expect(t.frames(2).map(show)).toEqual(["1 c", "1 d"]);
    await tick();
    expect(t.writes).toHaveLength(3);
  });

  it("a write that throws in a microtask flush destroys the transport and throws nowhere", async () => {
    let socket: ServerWebSocket | undefined;
    const { request } = server({ open: (ws) => (socket = ws) });
    const t = request();
    t.failWrites = true;
    socket!.send("lost");
    await tick();
    expect(t.destroyed).toBe(true);
    await tick();
    expect(socket!.readyState).toBe(3);
  });
});

describe("closing handshake (7.1)", () => {
  it("answers a message in the same chunk as the close, then echoes the close once and ends TCP", () => {
    const { request } = server({ message: (ws, data) => ws.send(data) });
    const t = request();
    t.send(Buffer.concat([text("hi"), closeFrame(1000)]));
    expect(t.writes.slice(1)).toEqual([hex("81 02 6869  88 02 03e8")]);
    expect(t.ended).toBe(true);
  });

  it("sends one close frame when a handler closes while the peer's close waits in the chunk", () => {
    const { request } = server({ message: (ws) => ws.close(4001) });
    const t = request();
    t.send(Buffer.concat([text("x"), closeFrame(1000)]));
    expect(t.writes.slice(1)).toEqual([hex("88 02 0fa1")]);
  });
});

describe("payloads", () => {
  it("sends a view's bytes, not its element count: TypedArrays, a DataView's window, a subarray", () => {
    const sent: Uint8Array[] = [];
    let socket: ServerWebSocket | undefined;
    const { request } = server({ open: (ws) => (socket = ws) });
    const t = request();
    const backing = new Uint8Array([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const payloads = [
      new Uint16Array([0x0102, 0x0304, 0x0506, 0x0708]),
      new DataView(backing.buffer, 2, 3),
      backing.subarray(7),
      backing.buffer.slice(0, 2),
      new Float64Array([1.5]),
    ];
    for (const p of payloads) {
      socket!.cork(() => socket!.send(p));
      sent.push(t.frames(t.writes.length - 1)[0].payload);
    }
    const u16 = new Uint8Array((payloads[0] as Uint16Array).buffer);
    expect(sent.map((b) => [...b])).toEqual([
      [...u16],
      [2, 3, 4],
      [7, 8, 9],
      [0, 1],
      [...new Uint8Array(new Float64Array([1.5]).buffer)],
    ]);
    expect(sent[0]).toHaveLength(8);
    expect(t.frames(t.writes.length - 1)[0].op).toBe(Op.binary);
  });

  it("throws a TypeError with a code, synchronously, for anything else", () => {
    let socket: ServerWebSocket | undefined;
    const { request } = server({ open: (ws) => (socket = ws) });
    request();
    for (const bad of [42, { length: 3 }, null, undefined, [1, 2]]) {
      const attempt = () => socket!.send(bad as unknown as string);
      expect(attempt, String(bad)).toThrow(TypeError);
      expect(attempt, String(bad)).toThrow(expect.objectContaining({ code: "WS_ERR_INVALID_PAYLOAD" }));
    }
    expect(() => socket!.ping(7 as unknown as string)).toThrow(TypeError);
  });
});

describe("the upgrade hook", () => {
  it("sees a Request with the URL, query, method and every field, and the peer's address", () => {
    const seen: { url: string; method: string; cookie: string | null; auth: string | null }[] = [];
    let address = "";
    const { request } = server({
      upgrade: (req, info) => {
        seen.push({
          url: req.url,
          method: req.method,
          cookie: req.headers.get("cookie"),
          auth: req.headers.get("authorization"),
        });
        address = info.remoteAddress;
      },
    });
    const t = request("/room?id=7", ["Cookie: session=abc; theme=dark", "Authorization: Bearer t0ken"]);
    expect(status(t.text(0))).toBe(101);
    request("/tls", [], true);
    expect(seen).toEqual([
      {
        url: "http://example.com/room?id=7",
        method: "GET",
        cookie: "session=abc; theme=dark",
        auth: "Bearer t0ken",
      },
      { url: "https://example.com/tls", method: "GET", cookie: null, auth: null },
    ]);
    expect(address).toBe("192.0.2.7");
  });

  it("sees the path the socket is served on: a Host with a path is refused, an absolute-form target routed", () => {
    const urls: string[] = [];
    const paths: string[] = [];
    const { connect } = server(
      { upgrade: (req) => void urls.push(req.url), open: (ws) => void paths.push(ws.path) },
      { path: "/admin" },
    );
    const raw = (target: string, host: string) => {
      const t = connect();
      t.send(upgradeRequest(host, "/", KEY).replace("GET / ", `GET ${target} `));
      return status(t.text(0));
    };
    // The hook would have read http://example.com/public?/admin, whose pathname is /public.
    expect(raw("/admin", "example.com/public?")).toBe(400);
    expect(raw("/admin", "user@example.com")).toBe(400);
    expect(raw("/admin", "example.com:80x")).toBe(400);
    expect(raw("http://example.com/admin?x=1", "ignored.example")).toBe(101);
    expect(raw("ws://[::1]:8080/admin", "ignored.example")).toBe(101);
    expect(raw("http://example.com", "example.com")).toBe(400);
    expect(raw("example.com:80", "example.com")).toBe(400);
    expect(raw("/admin#top", "example.com")).toBe(400);
    expect(urls).toEqual(["http://example.com/admin?x=1", "http://[::1]:8080/admin"]);
    expect(paths).toEqual(["/admin?x=1", "/admin"]);
  });

  it("accepts with data set before open, extra 101 fields and a subprotocol the client offered", () => {
    const dataInOpen: unknown[] = [];
    const { request } = server<{ user: string }>(
      {
        upgrade: () => ({ data: { user: "ann" }, headers: { "Set-Cookie": "k=v" }, protocol: "b" }),
        open: (ws) => dataInOpen.push(ws.data),
      },
      { protocols: ["a"] },
    );
    const t = request("/", ["Sec-WebSocket-Protocol: a, b"]);
    const head = t.text(0);
    expect(status(head)).toBe(101);
    expect(field(head, "set-cookie")).toBe("k=v");
    expect(field(head, "sec-websocket-protocol")).toBe("b");
    expect(dataInOpen).toEqual([{ user: "ann" }]);
  });

  it("keeps the protocols option's choice when the hook names none", () => {
    let protocol = "";
    const { request } = server(
      { upgrade: () => ({}), open: (ws) => (protocol = ws.protocol) },
      { protocols: ["a"] },
    );
    expect(field(request("/", ["Sec-WebSocket-Protocol: a, b"]).text(0), "sec-websocket-protocol")).toBe("a");
    expect(protocol).toBe("a");
  });

  it("refuses with 500 a protocol the client did not offer, or a field with CR, LF or NUL", () => {
    const errors: string[] = [];
    const answers = [
      { protocol: "c" },
      { headers: { "X-Bad": "a\r\nInjected: 1" } },
      { headers: [["X:Y", "1"]] },
    ];
    let i = 0;
    const { request } = server({
      upgrade: () => answers[i++] as { protocol: string },
      reject: (_req, err) => errors.push(err.code),
    });
    for (const _ of answers) {
      const t = request("/", ["Sec-WebSocket-Protocol: a, b"]);
      expect(status(t.text(0))).toBe(500);
      expect(t.text(0)).not.toContain("Injected");
      expect(t.ended).toBe(true);
    }
    expect(errors).toEqual(["WS_ERR_HANDSHAKE_PROTOCOL", "WS_ERR_HANDSHAKE_FIELD", "WS_ERR_HANDSHAKE_FIELD"]);
  });

  it("refuses with a Response's status, fields and body, framed with Content-Length and Connection: close", async () => {
    const rejected: { url?: string; code: string; status: unknown }[] = [];
    const opened = vi.fn();
    const { request } = server({
      upgrade: async () =>
        new Response("go away", {
          status: 401,
          headers: { "WWW-Authenticate": "Bearer", "Content-Length": "999", Connection: "keep-alive" },
        }),
      reject: (req, err) =>
        rejected.push({ url: req?.url, code: err.code, status: (err.cause as Response).status }),
      open: opened,
    });
    const t = request("/private");
    await vi.waitFor(() => expect(t.writes).toHaveLength(1));
    const [head, body] = t.text(0).split("\r\n\r\n");
    expect(head).toMatch(/^HTTP\/1\.1 401 /);
    expect(field(head, "www-authenticate")).toBe("Bearer");
    expect(field(head, "content-length")).toBe("7");
    expect(field(head, "connection")).toBe("close");
    expect(head.match(/content-length/gi)).toHaveLength(1);
    expect(body).toBe("go away");
    expect(t.ended).toBe(true);
    expect(opened).not.toHaveBeenCalled();
    expect(rejected).toEqual([
      { url: "http://example.com/private", code: "WS_ERR_HANDSHAKE_REFUSED", status: 401 },
    ]);
  });

  it("refuses with 500 when the hook throws or its promise rejects; the thrown value is the cause", async () => {
    const causes: unknown[] = [];
    const boom = new Error("boom");
    const hooks = [
      () => {
        throw boom;
      },
      () => Promise.reject("nope"),
    ];
    let i = 0;
    const { request } = server({
      upgrade: () => hooks[i++](),
      reject: (_req, err) => causes.push([err.code, err.cause]),
    });
    const sync = request();
    expect(status(sync.text(0))).toBe(500);
    const async = request();
    await vi.waitFor(() => expect(async.writes).toHaveLength(1));
    expect(status(async.text(0))).toBe(500);
    expect(causes).toEqual([
      ["WS_ERR_HANDSHAKE_HOOK", boom],
      ["WS_ERR_HANDSHAKE_HOOK", "nope"],
    ]);
  });

  it("answers 503 to a hook still running at handshakeTimeout and ignores its late answer", async () => {
    let late: (value: undefined) => void = () => {};
    const rejected: [string | undefined, string][] = [];
    const opened = vi.fn();
    const { request } = server(
      {
        upgrade: () => new Promise<undefined>((resolve) => (late = resolve)),
        reject: (req, err) => rejected.push([req?.url, err.code]),
        open: opened,
      },
      { handshakeTimeout: 50 },
    );
    const started = Date.now();
    const t = request("/slow");
    await vi.waitFor(() => expect(t.writes).toHaveLength(1), { timeout: 1000 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(45);
    expect(status(t.text(0))).toBe(503);
    expect(rejected).toEqual([["http://example.com/slow", "WS_ERR_HANDSHAKE_TIMEOUT"]]);
    late(undefined);
    await tick();
    expect(t.writes).toHaveLength(1);
    expect(opened).not.toHaveBeenCalled();
  });

  it("counts handshakes whose hook runs toward maxConnections", async () => {
    const pending: ((v: undefined) => void)[] = [];
    const codes: string[] = [];
    const { server: s, request } = server(
      {
        upgrade: () => new Promise<undefined>((resolve) => pending.push(resolve)),
        reject: (_req, err) => codes.push(err.code),
      },
      { maxConnections: 1 },
    );
    const first = request();
    const second = request();
    expect(status(second.text(0))).toBe(503);
    expect(codes).toEqual(["WS_ERR_HANDSHAKE_CAPACITY"]);
    pending[0](undefined);
    await vi.waitFor(() => expect(first.writes).toHaveLength(1));
    expect(status(first.text(0))).toBe(101);
    expect(s.clients.size).toBe(1);
  });

  it("writes nothing and holds nothing when the peer leaves while the hook runs", async () => {
    const pending: ((v: undefined) => void)[] = [];
    const opened = vi.fn();
    const { server: s, request } = server(
      { upgrade: () => new Promise<undefined>((resolve) => pending.push(resolve)), open: opened },
      { maxConnections: 1 },
    );
    const gone = request();
    gone.gone();
    pending[0](undefined);
    await tick();
    expect(gone.writes).toHaveLength(0);
    expect(opened).not.toHaveBeenCalled();
    // Its place is free again.
    const next = request();
    pending[1](undefined);
    await vi.waitFor(() => expect(next.writes).toHaveLength(1));
    expect(status(next.text(0))).toBe(101);
    expect(s.clients.size).toBe(1);
  });

  it("keeps frames that arrive while the hook runs and delivers them after open", async () => {
    let accept: (v: undefined) => void = () => {};
    const got: string[] = [];
    const { connect } = server({
      upgrade: () => new Promise<undefined>((resolve) => (accept = resolve)),
      open: () => got.push("open"),
      message: (_ws, data) => got.push(String(data)),
    });
    const t = connect();
    t.send(Buffer.concat([Buffer.from(upgradeRequest("example.com", "/", KEY)), text("early")]));
    t.send(text("later"));
    expect(t.paused).toBe(true);
    accept(undefined);
    await vi.waitFor(() => expect(got).toEqual(["open", "early", "later"]));
    expect(t.paused).toBe(false);
  });

  it("builds a Request only for handlers with upgrade or reject", () => {
    const Native = globalThis.Request;
    let built = 0;
    vi.spyOn(globalThis, "Request").mockImplementation(function (this: unknown, ...args: unknown[]) {
      built++;
      return new Native(...(args as ConstructorParameters<typeof Request>));
    } as unknown as typeof Request);
    const plain = server({ open: () => {} }, { path: "/only" });
    expect(status(plain.request("/only").text(0))).toBe(101);
    expect(status(plain.request("/other").text(0))).toBe(404);
    expect(built).toBe(0);
    const observed = server({ reject: () => {} }, { path: "/only" });
    expect(status(observed.request("/only").text(0))).toBe(101);
    expect(built).toBe(0);
    expect(status(observed.request("/other").text(0))).toBe(404);
    expect(built).toBe(1);
  });
});

describe("refusals", () => {
  it("tells reject why, with the Request when the head parsed and undefined when it did not", async () => {
    const seen: [string | undefined, string][] = [];
    const { request, connect } = server(
      { reject: (req, err) => seen.push([req && `${req.method} ${new URL(req.url).pathname}`, err.code]) },
      { path: ["/ok"], origins: ["https://good.example"], maxConnections: 1, handshakeTimeout: 30 },
    );
    request("/elsewhere");
    request("/ok", ["Origin: https://evil.example"]);
    request("/ok");
    request("/ok");
    connect().send("\x16\x03\x01 not http\r\n\r\n");
    connect().send("POST /ok HTTP/1.1\r\nHost: x\r\n\r\n");
    const slow = connect();
    slow.send("GET /ok HTTP/1.1\r\n");
    await vi.waitFor(() => expect(slow.destroyed).toBe(true), { timeout: 1000 });
    expect(slow.writes).toHaveLength(0);
    expect(seen).toEqual([
      ["GET /elsewhere", "WS_ERR_HANDSHAKE_PATH"],
      ["GET /ok", "WS_ERR_HANDSHAKE_ORIGIN"],
      ["GET /ok", "WS_ERR_HANDSHAKE_CAPACITY"],
      [undefined, "WS_ERR_HANDSHAKE_MALFORMED"],
      ["POST /ok", "WS_ERR_HANDSHAKE_METHOD"],
      [undefined, "WS_ERR_HANDSHAKE_TIMEOUT"],
    ]);
  });

  it("a reject that throws, or whose promise rejects, is logged and the server goes on", async () => {
    const log = vi.spyOn(console, "error").mockImplementation(() => {});
    let calls = 0;
    const { request } = server(
      {
        reject: () => {
          if (calls++ === 0) throw new Error("reject bug");
          return Promise.reject(new Error("async reject bug")) as unknown as undefined;
        },
      },
      { path: "/ok" },
    );
    expect(status(request("/no").text(0))).toBe(404);
    expect(status(request("/no").text(0))).toBe(404);
    await tick();
    expect(log).toHaveBeenCalledTimes(2);
    expect(log.mock.calls.map((c) => c.length)).toEqual([1, 1]);
    expect(status(request("/ok").text(0))).toBe(101);
  });
});

describe("path", () => {
  it("serves the paths a RegExp matches, without the query, and 404s the rest; a g flag changes nothing", () => {
    const topic = /^\/([a-z]{1,8})$/g;
    const { request } = server({}, { path: [topic, "/exact"] });
    const asked = ["/news", "/news", "/news?since=1", "/exact", "/NEWS", "/news/more", "/toolongname", "/"];
    expect(asked.map((path) => status(request(path).text(0)))).toEqual([
      101, 101, 101, 101, 404, 404, 404, 404,
    ]);
    expect(topic.lastIndex).toBe(0);
    expect(() => server({}, { path: [42 as unknown as string] })).toThrow(
      /path must be a string or a RegExp/,
    );
  });
});

describe("request header fields", () => {
  it("are a map without a prototype: __proto__, constructor and toString are fields like any other", () => {
    const head = upgradeRequest("example.com", "/", KEY, ["__proto__: a", "constructor: b", "toString: c"]);
    const req = parseUpgrade(Buffer.from(head));
    expect(req.status).toBe(101);
    expect(Object.getPrototypeOf(req.headers)).toBeNull();
    // Names are lower-cased: toString is "tostring".
    const fields = ["__proto__", "constructor", "tostring"].map(
      (n) => Object.getOwnPropertyDescriptor(req.headers, n)?.value,
    );
    expect(fields).toEqual(["a", "b", "c"]);
  });

  it("of a refused request are readable too (a version the server does not speak: 426)", () => {
    const head = upgradeRequest("example.com", "/", KEY, ["X-Before: 1"]).replace(
      "Sec-WebSocket-Version: 13",
      "Sec-WebSocket-Version: 8",
    );
    const req = parseUpgrade(Buffer.concat([Buffer.from(head), Buffer.from("next frame bytes")]));
    expect(req.status).toBe(426);
    expect(req.headers["x-before"]).toBe("1");
    expect(req.headers["sec-websocket-version"]).toBe("8");
    expect(req.headers.host).toBe("example.com");
  });

  it("are ISO-8859-1: every byte is the code point of its value, 80..9F included, short or long", () => {
    const bytes = [0x80, 0x9f, 0xa0, 0xe9, 0xff];
    const value = (n: number) => Buffer.from(Array.from({ length: n }, (_, i) => bytes[i % bytes.length]));
    const head = Buffer.concat([
      Buffer.from(upgradeRequest("example.com", "/", KEY, []).replace(/\r\n\r\n$/, "\r\n"), "latin1"),
      Buffer.from("x-short: "),
      value(5),
      Buffer.from("\r\nx-long: "),
      value(300),
      Buffer.from("\r\n\r\n"),
    ]);
    const req = parseUpgrade(head);
    expect(req.status).toBe(101);
    const codes = (s: string | undefined) => [...(s ?? "")].map((c) => c.charCodeAt(0));
    expect(codes(req.headers["x-short"])).toEqual([...value(5)]);
    expect(codes(req.headers["x-long"])).toEqual([...value(300)]);
  });
});

describe("fields read on demand", () => {
  const first = () =>
    upgradeRequest("first.example", "/a", KEY, ["Origin: https://first.example", "X-Which: first"]);
  const second = () =>
    upgradeRequest("second.example", "/b", "AQIDBAUGBwgJCgsMDQ4PEA==", ["Origin: https://second.example"]);
  const read = (req: ReturnType<typeof parseUpgrade>) => [
    req.host,
    req.origin,
    req.key,
    req.headers["x-which"],
  ];
  const expected = ["first.example", "https://first.example", KEY, "first"];

  it("come from the request's own head after the core has parsed another", () => {
    const req = parseUpgrade(Buffer.from(first()), {}, undefined, true);
    expect(parseUpgrade(Buffer.from(second())).host).toBe("second.example");
    expect(read(req)).toEqual(expected);
    expect(req.headers.host).toBe("first.example");
  });

  it("are read without the core, so a handler may read them while a read is still being dispatched", () => {
    const req = parseUpgrade(Buffer.from(first()));
    const session = new Session({ role: "server", textAs: "bytes" });
    const got: string[] = [];
    const read = Buffer.concat([
      encodeFrame({ op: Op.text, payload: utf8("one") }, true),
      encodeFrame({ op: Op.text, fin: false, payload: utf8("two, ") }, true),
      encodeFrame({ op: Op.continuation, payload: utf8("split") }, true),
    ]);
    session.receive(read, {
      message(data) {
        if (got.length === 0) expect(req.headers["x-which"]).toBe("first");
        got.push(Buffer.from(data as Uint8Array).toString());
      },
    });
    expect(got).toEqual(["one", "two, split"]);
    session.free();
  });

  it("come from a copy unless the bytes are stable, so a reused read buffer does not change them", () => {
    const bytes = Buffer.from(first());
    const req = parseUpgrade(bytes);
    bytes.fill(0x41);
    expect(read(req)).toEqual(expected);
  });

  it("come from a copy of the head when other bytes follow it, even from stable bytes", () => {
    const bytes = Buffer.concat([Buffer.from(first()), Buffer.from("frame bytes")]);
    const req = parseUpgrade(bytes, {}, undefined, true);
    bytes.fill(0x41);
    expect(read(req)).toEqual(expected);
  });
});

describe("the 101 answer", () => {
  const accept = acceptFor(KEY);
  const text = (bytes: Uint8Array) => Buffer.from(bytes).toString("latin1");
  const fixed = `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n`;

  it("is the fixed lines, the accept value and the chosen protocol, extensions and headers", () => {
    expect(text(acceptResponse({ accept }))).toBe(`${fixed}\r\n`);
    const full = acceptResponse({
      accept,
      protocol: "chat",
      extensions: "permessage-deflate",
      headers: { "Set-Cookie": "k=v" },
    });
    expect(text(full)).toBe(
      `${fixed}Sec-WebSocket-Protocol: chat\r\nSec-WebSocket-Extensions: permessage-deflate\r\nSet-Cookie: k=v\r\n\r\n`,
    );
  });

  it("carries an accept value outside ASCII as UTF-8, as it was given", () => {
    expect(Buffer.from(acceptResponse({ accept: "é" })).toString("utf8")).toBe(
      `${fixed.replace(accept, "é")}\r\n`,
    );
  });
});

describe("Sec-WebSocket-Extensions split over fields (RFC 6455 9.1)", () => {
  const fields = ["Sec-WebSocket-Extensions: x-unknown", "Sec-WebSocket-Extensions: permessage-deflate"];

  it("reads as one list, the fields joined in order", () => {
    const req = parseUpgrade(Buffer.from(upgradeRequest("example.com", "/", KEY, fields)));
    expect(req.status).toBe(101);
    expect(req.extensions).toBe("x-unknown, permessage-deflate");
    expect(parseUpgrade(Buffer.from(upgradeRequest("example.com", "/", KEY, []))).extensions).toBe("");
  });

  it("is negotiated whole: an offer in the second field is accepted", async () => {
    let agreed = "";
    const { request } = server({ open: (ws) => (agreed = ws.extensions) }, { perMessageDeflate: true });
    const t = request("/", fields);
    await tick();
    const head = t.text(0);
    expect(status(head)).toBe(101);
    expect(head).toContain("\r\nSec-WebSocket-Extensions: permessage-deflate");
    expect(agreed).toMatch(/^permessage-deflate/);
  });
});

describe("lifecycle", () => {
  it("send() queues nothing once a close is under way or TCP is gone: false, no throw", async () => {
    const sockets: ServerWebSocket[] = [];
    const { request } = server({ open: (ws) => void sockets.push(ws) });
    const ours = request();
    const peers = request();
    const gone = request();
    await tick();
    const [closing, answered, dropped] = sockets;
    closing.close(1000);
    expect(closing.send("after our close")).toBe(false);
    peers.send(closeFrame(1000));
    expect(answered.send("after the peer's close")).toBe(false);
    gone.gone();
    expect(dropped.send("after TCP")).toBe(false);
    await tick();
    for (const t of [ours, peers])
      expect(t.writes.slice(1).flatMap((_, i) => t.frames(i + 1).map(show))).toEqual(["close 1000"]);
  });

  it("close() returns one promise to every caller, concurrent or late", async () => {
    let socket: ServerWebSocket | undefined;
    const { server: s, request } = server({ open: (ws) => (socket = ws) });
    const t = request();
    const first = s.close();
    const second = s.close();
    expect(second).toBe(first);
    await tick();
    expect(t.frames(1).map(show)).toEqual(["close 1001"]);
    t.send(closeFrame(1001));
    t.gone();
    await expect(Promise.all([first, second])).resolves.toEqual([undefined, undefined]);
    expect(s.close()).toBe(first);
    expect(socket!.readyState).toBe(3);
  });

  it("an open that throws closes its connection with 1011 and reaches error(); others go on", () => {
    const boom = new Error("open bug");
    const errors: [string, number, unknown][] = [];
    let n = 0;
    const { request } = server({
      open: () => {
        if (n++ === 0) throw boom;
      },
      error: (_ws, err) => errors.push([err.code, err.closeCode, err.cause]),
      message: (ws, data) => ws.send(data),
    });
    const broken = request();
    expect(broken.frames(1).map(show)).toEqual(["close 1011"]);
    expect(errors).toEqual([["WS_ERR_HANDLER", 1011, boom]]);
    const fine = request();
    fine.send(text("still here"));
    expect(fine.frames(1).map(show)).toEqual(["1 still here"]);
  });

  it("without an error handler, an open that throws is one line on stderr", () => {
    const log = vi.spyOn(console, "error").mockImplementation(() => {});
    const { request } = server({
      open: () => {
        throw new Error("open bug");
      },
    });
    expect(request().frames(1).map(show)).toEqual(["close 1011"]);
    expect(log).toHaveBeenCalledTimes(1);
    expect(log.mock.calls[0]).toHaveLength(1);
    expect(log.mock.calls[0][0]).toMatch(/^wasmsock: .*open bug$/);
  });
});

describe("backpressureLimit", () => {
  it("closes with 1008 after what is queued once bufferedAmount has reached it", () => {
    let results: boolean[] = [];
    let socket: ServerWebSocket | undefined;
    const { request } = server(
      {
        open: (ws) => {
          socket = ws;
          const send = () => ws.send(new Uint8Array(40));
          // 42 bytes each: the third starts below the limit and goes; the fourth does not.
          results = [send(), send(), send(), send()];
        },
      },
      { backpressureLimit: 100 },
    );
    const t = request();
    expect(results).toEqual([true, true, true, false]);
    const frames = t.frames(1);
    expect(frames.map((f) => f.op)).toEqual([Op.binary, Op.binary, Op.binary, Op.close]);
    expect(frames[3].payload.readUInt16BE(0)).toBe(1008);
    expect(frames[3].payload.subarray(2).toString()).toBe("backpressure limit");
    expect(socket!.dropped).toBe(1);
    expect(socket!.readyState).toBe(2);
  });

  it("with closeOnBackpressureLimit false drops the message, returns false and counts it", async () => {
    let socket: ServerWebSocket | undefined;
    const { request } = server(
      { open: (ws) => (socket = ws) },
      { backpressureLimit: 100, closeOnBackpressureLimit: false },
    );
    const t = request();
    t.bufferedAmount = 90;
    expect(socket!.send("0123456789")).toBe(true);
    expect(socket!.send("a")).toBe(false);
    expect(socket!.send(new Uint16Array(8))).toBe(false);
    expect(socket!.dropped).toBe(2);
    await tick();
    t.bufferedAmount = 0;
    expect(socket!.send("after")).toBe(true);
    await tick();
    expect(t.writes.slice(1).flatMap((_, i) => t.frames(i + 1).map(show))).toEqual([
      "1 0123456789",
      "1 after",
    ]);
    expect(socket!.readyState).toBe(1);
  });
});

describe("public surface", () => {
  it("ServerWebSocket and WebSocketServer show only what users call", () => {
    const members = (proto: object) => Object.getOwnPropertyNames(proto).filter((n) => n !== "constructor");
    expect(members(Object.getPrototypeOf(new WebSocketServer({ handler: {} }))).sort()).toEqual(
      ["clients", "close", "port", "publish", "subscriberCount"].sort(),
    );
    let socket: ServerWebSocket | undefined;
    server({ open: (ws) => (socket = ws) }).request();
    expect(Object.keys(socket!)).toEqual(["data"]);
    expect(members(Object.getPrototypeOf(socket)).sort()).toEqual(
      [
        "bufferedAmount",
        "close",
        "cork",
        "dropped",
        "extensions",
        "path",
        "pause",
        "ping",
        "protocol",
        "publish",
        "isSubscribed",
        "subscribe",
        "topics",
        "unsubscribe",
        "state",
        "readyState",
        "remoteAddress",
        "resume",
        "send",
        "terminate",
      ].sort(),
    );
  });
});

describe("routes, codecs and throttling", () => {
  it("a protocol map without a handler for any offer, and no fallback, answers 400", () => {
    const reject = vi.fn();
    const s = new WebSocketServer({ protocols: { "chat.v2": { reject } } });
    servers.push(s);
    const t = new FakeTransport();
    t.events = serverInternals(s).accept(t);
    t.send(upgradeRequest("example.com", "/", KEY, ["Sec-WebSocket-Protocol: x"]));
    expect(status(t.text(0))).toBe(400);
    expect(reject.mock.calls[0][1].code).toBe("WS_ERR_HANDSHAKE_NO_HANDLER");
  });

  it("a custom codec decodes messages and encodes send() and publish(), on the socket and the server", () => {
    const codec = {
      decode: (data: string | Uint8Array) => ({ n: Number(data) }),
      encode: (v: unknown) => `n=${(v as { n: number }).n}`,
    };
    const got: unknown[] = [];
    const { server: s, request } = server<unknown>(
      {
        open: (ws) => ws.subscribe("t"),
        message: (ws, value) => {
          got.push(value);
          (ws as unknown as ServerWebSocket<unknown, unknown>).send({ n: 2 });
        },
      },
      { codec },
    );
    const t = request();
    t.send(text("41"));
    expect(got).toEqual([{ n: 41 }]);
    expect(t.frames(1).map(show)).toEqual(["1 n=2"]);
    s.publish("t", { n: 3 });
    return tick().then(() => expect(t.frames(2).map(show)).toEqual(["1 n=3"]));
  });

  it("throttle.in: bytes that arrive while reading is held wait their turn, in order, none dropped", async () => {
    const got: string[] = [];
    const { request } = server(
      { message: (_, data) => got.push(`${(data as string).length}`) },
      { throttle: { in: 10_000 } },
    );
    const t = request();
    // Three 6 KB messages in three segments: the first and part of the second fit the first second's
    // budget; the rest comes in while reading is paused (a runtime may deliver a read in flight).
    for (const c of "abc") t.send(text(c.repeat(6000)));
    expect(got).toEqual(["6000"]);
    expect(t.paused).toBe(true);
    await new Promise((r) => setTimeout(r, 1100));
    expect(got).toEqual(["6000", "6000", "6000"]);
    expect(t.paused).toBe(false);
  });
});
