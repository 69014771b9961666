// Our Node client against real servers: ws's WebSocketServer (plain and TLS), Deno's and Bun's.
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdtempSync, openAsBlob, readFileSync, writeFileSync } from "node:fs";
import { createServer as createHttpsServer } from "node:https";
import { type AddressInfo, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type ServerOptions, WebSocketServer, type WebSocket as WsPeer } from "ws";
import {
  type BinaryType,
  type ClientOptions,
  type CloseEvent,
  connect,
  type ErrorEvent,
  WebSocket,
} from "../host-node/client.ts";
import { WebSocketError } from "../host-node/index.ts";

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

/** Resolves once cond() holds; rejects after ms. */
async function until(cond: () => boolean, ms = 5000): Promise<void> {
  for (const end = Date.now() + ms; !cond(); await new Promise((r) => setTimeout(r, 2)))
    if (Date.now() > end) throw new Error(`not within ${ms} ms: ${cond}`);
}

const hex = (data: string | Uint8Array) => Buffer.from(data).toString("hex");

/**
 * What a socket's listeners saw, in order: `error CODE` and `close CODE clean|unclean`, each with the
 * readyState at that moment.
 */
function record(ws: WebSocket): string[] {
  const seen: string[] = [];
  ws.addEventListener("error", (e) => seen.push(`error ${(e as ErrorEvent).error.code} ${ws.readyState}`));
  ws.addEventListener("close", (e) => {
    const c = e as CloseEvent;
    seen.push(`close ${c.code} ${c.wasClean ? "clean" : "unclean"} ${ws.readyState}`);
  });
  return seen;
}

/** A ws server that notes each message it receives as "text HEX" or "binary HEX", and each close. */
async function recorder() {
  const seen: string[] = [];
  const s = await wsServer({}, (peer) => {
    peer.on("message", (data, isBinary) =>
      seen.push(`${isBinary ? "binary" : "text"} ${hex(data as Buffer)}`),
    );
    peer.on("close", (code) => seen.push(`close ${code}`));
  });
  return { ...s, seen, got: (n: number) => until(() => seen.length >= n) };
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
  ws.binaryType = "arraybuffer";
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
    expect(() => ws.send("too early")).toThrow(expect.objectContaining({ name: "InvalidStateError" }));
    expect(ws.bufferedAmount).toBe(0);
    await next(ws, "open");
    expect(ws.readyState).toBe(WebSocket.OPEN);
    expect([ws.protocol, ws.extensions, ws.binaryType]).toEqual(["", "", "blob"]);
    ws.close();
    await exchange(server.url);
  });

  it("round-trips text and binary of 0, 125, 126, 65536 B and 16 MiB", { timeout: 30_000 }, async () => {
    const ws = await connect(server.url, { maxPayload: 32 * MiB });
    ws.binaryType = "arraybuffer";
    for (const size of [0, 125, 126, 65536, 16 * MiB]) {
      const bytes = new Uint8Array(size).map((_, i) => (i * 7) & 0xff);
      expect(sameBytes(await echo(ws, bytes), bytes)).toBe(true);
      const text = "é".repeat(size >> 1);
      expect((await echo(ws, text)) === text).toBe(true);
    }
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

  it("rejects bad URLs and subprotocol lists", () => {
    expect(() => new WebSocket(server.url, ["a", "a"])).toThrow(/subprotocol/);
    expect(() => new WebSocket(server.url, "a b")).toThrow(/subprotocol/);
    expect(() => new WebSocket(server.url, "")).toThrow(/subprotocol/);
  });
});

describe("binaryType (the standard: blob by default)", () => {
  let server: Awaited<ReturnType<typeof wsServer>>;
  beforeAll(async () => {
    server = await wsServer();
  });
  afterAll(() => server.close());

  it("delivers binary as a Blob by default, as an ArrayBuffer or a Buffer when binaryType says so", async () => {
    const ws = await connect(server.url);
    expect(ws.binaryType).toBe("blob");
    const blob = await echo(ws, new Uint8Array([1, 2, 3]));
    expect(blob).toBeInstanceOf(Blob);
    expect(hex(new Uint8Array(await (blob as Blob).arrayBuffer()))).toBe("010203");
    ws.binaryType = "arraybuffer";
    const buffer = await echo(ws, new Uint8Array([4, 5]));
    expect(buffer).toBeInstanceOf(ArrayBuffer);
    expect(hex(new Uint8Array(buffer as ArrayBuffer))).toBe("0405");
    ws.binaryType = "nodebuffer";
    expect(await echo(ws, new Uint8Array([6]))).toEqual(Buffer.from([6]));
    // Text stays a string whatever binaryType says.
    expect(await echo(ws, "t")).toBe("t");
    ws.close();
  });

  it("ignores a value outside the enumeration, as browsers do", async () => {
    const ws = await connect(server.url);
    for (const bad of ["Blob", "text", "", "arraybuffer "]) {
      ws.binaryType = bad as BinaryType;
      expect(ws.binaryType).toBe("blob");
    }
    // The value is converted to a string first, as for any IDL attribute.
    ws.binaryType = { toString: () => "arraybuffer" } as unknown as BinaryType;
    expect(ws.binaryType).toBe("arraybuffer");
    expect(await echo(ws, new Uint8Array([7]))).toBeInstanceOf(ArrayBuffer);
    ws.close();
  });
});

describe("send(): what goes on the wire", () => {
  let server: Awaited<ReturnType<typeof recorder>>;
  beforeEach(async () => {
    server = await recorder();
  });
  afterEach(() => server.close());

  it("sends a view's bytes, not its elements: a Uint16Array of 4 is 8 bytes, a DataView and a subarray their window", async () => {
    const ws = await connect(server.url);
    const backing = new Uint8Array([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    ws.send(new Uint16Array([0x0102, 0x0304, 0x0506, 0x0708])); // little-endian, as on x86 and ARM
    ws.send(new DataView(backing.buffer, 2, 3));
    ws.send(backing.subarray(7, 9));
    ws.send(new Float32Array(backing.buffer, 4, 1));
    ws.send(backing.buffer);
    ws.send(Buffer.from("nodebuf"));
    ws.send("é");
    await server.got(7);
    expect(server.seen).toEqual([
      "binary 0201040306050807",
      "binary 020304",
      "binary 0708",
      "binary 04050607",
      "binary 00010203040506070809",
      `binary ${hex("nodebuf")}`,
      "text c3a9",
    ]);
    ws.close();
  });

  it("sends a Blob's bytes in order with the sends around it; a view queued behind it is copied at send()", async () => {
    const ws = await connect(server.url);
    const bytes = new Uint8Array([3]);
    ws.send("before");
    ws.send(new Blob([new Uint8Array([0xb1, 0xb2])]));
    ws.send("after the blob");
    ws.send(bytes);
    bytes[0] = 9; // too late: send() took the bytes
    ws.send(new Blob(["text in a blob"]));
    ws.send("last");
    ws.close(1000, "done");
    await server.got(7);
    expect(server.seen).toEqual([
      `text ${hex("before")}`,
      "binary b1b2",
      `text ${hex("after the blob")}`,
      "binary 03",
      `binary ${hex("text in a blob")}`,
      `text ${hex("last")}`,
      // close() waited for the Blobs: the close frame comes last.
      "close 1000",
    ]);
  });

  it("throws a TypeError at once for anything else, before the state check, and sends nothing", async () => {
    const ws = new WebSocket(server.url);
    expect(() => ws.send(1 as never)).toThrow(TypeError);
    await next(ws, "open");
    for (const bad of [123, {}, null, undefined, [1, 2], true, Symbol("s")])
      expect(() => ws.send(bad as never)).toThrow(TypeError);
    expect(ws.bufferedAmount).toBe(0);
    ws.send("only this");
    ws.close();
    await server.got(2);
    expect(server.seen).toEqual([`text ${hex("only this")}`, "close 1005"]);
  });

  it("fails the connection when a Blob cannot be read: error WS_ERR_BLOB_READ, then close 1006, nothing thrown", async () => {
    const dir = mkdtempSync(join(tmpdir(), "wasmsock-blob-"));
    writeFileSync(join(dir, "f"), "original");
    const blob = await openAsBlob(join(dir, "f"));
    writeFileSync(join(dir, "f"), "changed after openAsBlob"); // reading it now fails
    const unhandled: unknown[] = [];
    const onUnhandled = (e: unknown) => unhandled.push(e);
    process.on("unhandledRejection", onUnhandled);
    try {
      const ws = await connect(server.url);
      const seen = record(ws);
      let error: WebSocketError | undefined;
      ws.onerror = (e) => (error = e.error);
      ws.send("first");
      ws.send(blob);
      ws.send("never");
      await next(ws, "close");
      expect(seen).toEqual(["error WS_ERR_BLOB_READ 3", "close 1006 unclean 3"]);
      expect(error).toBeInstanceOf(WebSocketError);
      expect(error!.cause).toMatchObject({ name: "NotReadableError" });
      // "never" and the Blob stay counted: bufferedAmount does not reset once closed.
      expect(ws.bufferedAmount).toBe(blob.size + 5);
      await new Promise((r) => setTimeout(r, 20));
      expect(server.seen.filter((m) => !m.startsWith("close"))).toEqual([`text ${hex("first")}`]);
      expect(unhandled).toEqual([]);
    } finally {
      process.off("unhandledRejection", onUnhandled);
    }
  });

  it("a Blob still being read when the connection ends throws nothing later, resolved or rejected", async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (e: unknown) => unhandled.push(e);
    process.on("unhandledRejection", onUnhandled);
    process.on("uncaughtException", onUnhandled);
    let peer!: WsPeer;
    const s = await wsServer({}, (p) => (peer = p));
    try {
      // Blobs whose reads finish when the test says so.
      const settle: Array<() => void> = [];
      class SlowBlob extends Blob {
        constructor(
          parts: BlobPart[],
          private readonly fails = false,
        ) {
          super(parts);
        }
        override arrayBuffer(): Promise<ArrayBuffer> {
          const read = super.arrayBuffer();
          return new Promise((resolve, reject) =>
            settle.push(() => (this.fails ? reject(new Error("late failure")) : resolve(read))),
          );
        }
      }
      for (const [fails, closeFirst] of [
        [false, false],
        [true, false],
        [false, true],
      ]) {
        const ws = await connect(s.url);
        const seen = record(ws);
        ws.send(new SlowBlob(["abc"], fails));
        ws.send("x");
        expect(ws.bufferedAmount).toBe(4);
        if (closeFirst) ws.close(); // waits for the Blob
        peer.terminate();
        await next(ws, "close");
        settle.shift()!();
        await new Promise((r) => setTimeout(r, 20));
        expect(seen).toEqual(["error WS_ERR_CONNECTION_LOST 3", "close 1006 unclean 3"]);
        expect(ws.bufferedAmount).toBe(4);
        ws.send("y");
        expect(ws.bufferedAmount).toBe(5);
      }
      expect(unhandled).toEqual([]);
    } finally {
      process.off("unhandledRejection", onUnhandled);
      process.off("uncaughtException", onUnhandled);
      await s.close();
    }
  });
});

describe("bufferedAmount (the standard's rule)", () => {
  let server: Awaited<ReturnType<typeof recorder>>;
  beforeEach(async () => {
    server = await recorder();
  });
  afterEach(() => server.close());

  it("counts the payload bytes of each send, framing excluded, until they are handed to the OS", async () => {
    const ws = await connect(server.url);
    ws.send("héllo"); // 6 bytes of UTF-8
    expect(ws.bufferedAmount).toBe(6);
    ws.send(new Uint16Array(4));
    expect(ws.bufferedAmount).toBe(14);
    ws.send(new DataView(new ArrayBuffer(100), 10, 5));
    expect(ws.bufferedAmount).toBe(19);
    ws.send(new Blob(["abc"]));
    expect(ws.bufferedAmount).toBe(22);
    ws.ping("not application data");
    expect(ws.bufferedAmount).toBe(22);
    await until(() => ws.bufferedAmount === 0);
    await server.got(4);
    ws.close();
  });

  it("drains a backlog the server does not read to 0, never counting more than was sent", async () => {
    let peer!: WsPeer;
    const s = await wsServer({}, (p) => {
      peer = p;
      (p as unknown as { _socket: { pause(): void } })._socket.pause();
    });
    try {
      const ws = await connect(s.url);
      const total = 3 * 8 * MiB;
      for (let i = 0; i < 3; i++) ws.send(new Uint8Array(8 * MiB));
      expect(ws.bufferedAmount).toBe(total);
      await new Promise((r) => setTimeout(r, 50));
      const held = ws.bufferedAmount;
      expect(held).toBeGreaterThan(0);
      expect(held).toBeLessThanOrEqual(total);
      (peer as unknown as { _socket: { resume(): void } })._socket.resume();
      await until(() => ws.bufferedAmount === 0, 20_000);
      ws.close();
    } finally {
      await s.close();
    }
  });

  it("sends once closing has begun are not sent but add their byte length, and the count never resets", async () => {
    const ws = await connect(server.url);
    ws.send("before");
    ws.close();
    ws.send(new Uint8Array(10));
    ws.send("é");
    ws.send(new Blob(["xyz"]));
    expect(ws.bufferedAmount).toBeGreaterThanOrEqual(15);
    await next(ws, "close");
    // "before" went out; the 15 bytes sent while closing never will.
    expect(ws.bufferedAmount).toBe(15);
    ws.send(new Uint16Array(2));
    expect(ws.bufferedAmount).toBe(19);
    await server.got(2);
    expect(server.seen).toEqual([`text ${hex("before")}`, "close 1005"]);
  });
});

describe("close(), events and handler attributes (the standard's rules)", () => {
  let server: Awaited<ReturnType<typeof wsServer>>;
  beforeAll(async () => {
    server = await wsServer();
  });
  afterAll(() => server.close());

  it("checks the code, then the reason, then the state: InvalidAccessError, then SyntaxError", async () => {
    const ws = await connect(server.url);
    const invalid = expect.objectContaining({ name: "InvalidAccessError" });
    const syntax = expect.objectContaining({ name: "SyntaxError" });
    for (const code of [0, 999, 1001, 1005, 2999, 5000, 65535, NaN, "abc", null, -1000])
      expect(() => ws.close(code as number)).toThrow(invalid);
    // The code is checked first, whatever the reason.
    expect(() => ws.close(1001, "x".repeat(200))).toThrow(invalid);
    expect(() => ws.close(1000, "x".repeat(124))).toThrow(syntax);
    // 123 bytes is UTF-8 bytes, not characters: é is 2, a lone surrogate becomes U+FFFD, 3.
    expect(() => ws.close(1000, "é".repeat(62))).toThrow(syntax);
    expect(() => ws.close(1000, "\ud800".repeat(42))).toThrow(syntax);
    expect(ws.readyState).toBe(WebSocket.OPEN);
    ws.close(4999, `${"é".repeat(61)}x`);
    expect(ws.readyState).toBe(WebSocket.CLOSING);
    ws.close(3000); // closing already: nothing
    expect(await next(ws, "close")).toMatchObject({
      code: 4999,
      reason: `${"é".repeat(61)}x`,
      wasClean: true,
    });
    // Arguments are still checked once closed.
    expect(() => ws.close(1001)).toThrow(invalid);
    ws.close();
  });

  it("converts the code as WebIDL's [Clamp] unsigned short: 4001.5 sends 4002, 4000.5 sends 4000", async () => {
    const codes: number[] = [];
    const s = await wsServer({}, (peer) => peer.on("close", (code) => codes.push(code)));
    try {
      for (const code of [4001.5, 4000.5, "3000"]) {
        const ws = await connect(s.url);
        ws.close(code as number);
        await next(ws, "close");
      }
      await until(() => codes.length === 3);
      expect(codes).toEqual([4002, 4000, 3000]);
    } finally {
      await s.close();
    }
  });

  it("reports a clean close, an abnormal one (1006) and a close before open, error first and once on failure", async () => {
    const clean = await connect(server.url);
    const cleanSeen = record(clean);
    clean.close(1000, "bye");
    expect(await next<CloseEvent>(clean, "close")).toMatchObject({
      code: 1000,
      reason: "bye",
      wasClean: true,
    });
    expect(cleanSeen).toEqual(["close 1000 clean 3"]);

    const s = await wsServer({}, (peer) => setTimeout(() => peer.terminate(), 10));
    try {
      const lost = await connect(s.url);
      const lostSeen = record(lost);
      expect(await next<CloseEvent>(lost, "close")).toMatchObject({
        code: 1006,
        reason: "",
        wasClean: false,
      });
      expect(lostSeen).toEqual(["error WS_ERR_CONNECTION_LOST 3", "close 1006 unclean 3"]);
    } finally {
      await s.close();
    }

    const early = new WebSocket(server.url);
    const earlySeen = record(early);
    early.close(1000, "never mind");
    expect(early.readyState).toBe(WebSocket.CLOSING);
    expect(earlySeen).toEqual([]); // events come later, never from inside close()
    await next(early, "close");
    expect(earlySeen).toEqual(["error WS_ERR_CLOSED_BEFORE_OPEN 3", "close 1006 unclean 3"]);
  });

  it("drops messages that arrive once close() was called, and gives each message the URL's origin", async () => {
    const s = await wsServer({}, (peer) => {
      peer.send("first");
      peer.send("second");
    });
    try {
      const ws = new WebSocket(`${s.url}/path?q=1`);
      const seen: string[] = [];
      ws.onmessage = (e) => {
        seen.push(`${e.data} from ${e.origin}`);
        ws.close();
      };
      await next(ws, "close");
      expect(seen).toEqual([`first from ${s.url}`]);
    } finally {
      await s.close();
    }
  });

  it("runs onX handlers like the browser: one per type, replaced in place, null removes, `this` is the socket", async () => {
    const ws = new WebSocket(server.url);
    const calls: string[] = [];
    ws.addEventListener("open", () => calls.push("listener 1"));
    ws.onopen = () => calls.push("replaced");
    ws.addEventListener("open", () => calls.push("listener 2"));
    ws.onopen = function (this: unknown) {
      calls.push(`handler, this is the socket: ${this === ws}`);
    };
    ws.onmessage = () => calls.push("message");
    ws.onmessage = null;
    ws.onerror = "not a function" as never;
    expect([ws.onmessage, ws.onerror, ws.onclose]).toEqual([null, null, null]);
    await next(ws, "open");
    expect(calls).toEqual(["listener 1", "handler, this is the socket: true", "listener 2"]);
    const closed = next(ws, "close");
    ws.onclose = (e) => calls.push(`close ${e.code}`);
    ws.close();
    await closed;
    expect(calls.at(-1)).toBe("close 1005");
  });

  it("has the IDL constants, read-only, on the class and the prototype", () => {
    expect([WebSocket.CONNECTING, WebSocket.OPEN, WebSocket.CLOSING, WebSocket.CLOSED]).toEqual([0, 1, 2, 3]);
    const ws = new WebSocket(server.url);
    expect([ws.CONNECTING, ws.OPEN, ws.CLOSING, ws.CLOSED]).toEqual([0, 1, 2, 3]);
    expect(Object.hasOwn(ws, "OPEN")).toBe(false);
    expect(WebSocket.prototype.CLOSING).toBe(2);
    expect(() => {
      (WebSocket as unknown as { OPEN: number }).OPEN = 5;
    }).toThrow(TypeError);
    expect(() => {
      (ws as unknown as { CLOSED: number }).CLOSED = 5;
    }).toThrow(TypeError);
    ws.close();
  });
});

describe("the constructor's URL, protocol and extensions", () => {
  let server: Awaited<ReturnType<typeof wsServer>>;
  beforeAll(async () => {
    server = await wsServer({ handleProtocols: (offered) => (offered.has("b") ? "b" : false) });
  });
  afterAll(() => server.close());

  it("throws a SyntaxError DOMException for an unparseable URL, another scheme or any fragment", () => {
    for (const url of [
      "",
      "not a url",
      "ws://",
      "ws://[::1",
      "ftp://127.0.0.1/",
      "ws://h/#frag",
      "ws://h/#",
    ]) {
      let thrown: unknown;
      try {
        new WebSocket(url);
      } catch (e) {
        thrown = e;
      }
      expect(thrown, url).toBeInstanceOf(DOMException);
      expect((thrown as DOMException).name, url).toBe("SyntaxError");
    }
  });

  it("maps http(s) to ws(s), serializes the URL, and reports the chosen protocol once open", async () => {
    const port = new URL(server.url).port;
    const http = new WebSocket(`http://127.0.0.1:${port}/a/../p?q=1`, ["a", "b"]);
    expect(http.url).toBe(`ws://127.0.0.1:${port}/p?q=1`);
    expect([http.protocol, http.extensions]).toEqual(["", ""]);
    await next(http, "open");
    expect([http.protocol, http.extensions]).toEqual(["b", ""]);
    http.close();
    const https = new WebSocket(new URL("HTTPS://Example.test:443/x"));
    expect(https.url).toBe("wss://example.test/x");
    https.close();
    await next(https, "close");
  });
});

describe("errors name their cause and public options", () => {
  it("a message or frame past maxPayload fails with 1009 and says maxPayload", async () => {
    const closes: number[] = [];
    const s = await wsServer({}, (peer) => {
      peer.on("close", (code) => closes.push(code));
      peer.on("message", (data) => {
        const size = Number(String(data));
        if (String(data).startsWith("frag")) {
          peer.send(new Uint8Array(600), { fin: false });
          peer.send(new Uint8Array(600), { fin: true });
        } else peer.send(new Uint8Array(size));
      });
    });
    try {
      const ok = await connect(s.url, { maxPayload: 1000 });
      ok.binaryType = "arraybuffer";
      expect(((await echo(ok, "1000")) as ArrayBuffer).byteLength).toBe(1000);
      ok.close();
      for (const [ask, code] of [
        ["1001", "WS_ERR_FRAME_TOO_LARGE"],
        ["frag", "WS_ERR_MESSAGE_TOO_LARGE"],
      ]) {
        const ws = await connect(s.url, { maxPayload: 1000 });
        const seen = record(ws);
        const error = next<ErrorEvent>(ws, "error");
        const closed = next(ws, "close");
        ws.send(ask);
        const { error: e } = await error;
        expect(e).toMatchObject({ code, closeCode: 1009, message: expect.stringContaining("maxPayload") });
        expect(e.message).not.toMatch(/maxFrameSize|maxMessageSize/);
        await closed;
        expect(seen).toEqual([`error ${code} 3`, "close 1006 unclean 3"]);
      }
      await until(() => closes.length === 3);
      expect(closes.slice(1)).toEqual([1009, 1009]);
    } finally {
      await s.close();
    }
  });

  it("accepts messages up to 100 MiB by default, as ws does", { timeout: 30_000 }, async () => {
    const closes: number[] = [];
    const s = await wsServer({ maxPayload: 200 * MiB }, (peer) => {
      peer.on("close", (code) => closes.push(code));
      peer.on("message", (data) => peer.send(Buffer.alloc(Number(String(data)))));
    });
    try {
      const ws = await connect(s.url);
      ws.binaryType = "arraybuffer";
      // Past the 16 MiB default this client had before.
      expect(((await echo(ws, String(17 * MiB))) as ArrayBuffer).byteLength).toBe(17 * MiB);
      const error = next<ErrorEvent>(ws, "error", 20_000);
      ws.send(String(100 * MiB + 1));
      expect((await error).error).toMatchObject({ code: "WS_ERR_FRAME_TOO_LARGE", closeCode: 1009 });
      await until(() => closes.length === 1);
      expect(closes).toEqual([1009]);
    } finally {
      await s.close();
    }
  });

  it("a refused or reset connection is WS_ERR_TRANSPORT, with the runtime's error as cause", async () => {
    const refused = new WebSocket("ws://127.0.0.1:1/");
    const seen = record(refused);
    const error = next<ErrorEvent>(refused, "error");
    await next(refused, "close");
    expect((await error).error).toBeInstanceOf(WebSocketError);
    expect((await error).error).toMatchObject({ code: "WS_ERR_TRANSPORT", cause: { code: "ECONNREFUSED" } });
    expect(seen).toEqual(["error WS_ERR_TRANSPORT 3", "close 1006 unclean 3"]);
    await expect(connect("ws://127.0.0.1:1/")).rejects.toMatchObject({
      code: "WS_ERR_TRANSPORT",
      message: expect.stringContaining("ECONNREFUSED"),
      cause: { code: "ECONNREFUSED" },
    });

    const s = await wsServer({}, (peer) =>
      setTimeout(
        () => (peer as unknown as { _socket: { resetAndDestroy(): void } })._socket.resetAndDestroy(),
        10,
      ),
    );
    try {
      const reset = await connect(s.url);
      const resetSeen = record(reset);
      const resetError = next<ErrorEvent>(reset, "error");
      await next(reset, "close");
      expect((await resetError).error).toMatchObject({
        code: "WS_ERR_TRANSPORT",
        cause: { code: "ECONNRESET" },
      });
      expect(resetSeen).toEqual(["error WS_ERR_TRANSPORT 3", "close 1006 unclean 3"]);
    } finally {
      await s.close();
    }
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

  it("sends header fields named __proto__ and constructor like any other", async () => {
    let raw: string[] = [];
    const wss = await wsServer(
      {
        verifyClient: ({ req }, done) => {
          raw = req.rawHeaders;
          done(true);
        },
      },
      () => {},
    );
    try {
      const ws = await connect(wss.url, { headers: JSON.parse('{"__proto__": "p", "constructor": "c"}') });
      expect(raw).toEqual(expect.arrayContaining(["__proto__", "p", "constructor", "c"]));
      ws.close();
    } finally {
      await wss.close();
    }
  });

  it("throws a SyntaxError at once for a CR, LF or other control in a header or origin, or a bad name", () => {
    const url = "ws://127.0.0.1:1/";
    const bad: ClientOptions[] = [
      { headers: { "X-Evil": "a\r\nHost: evil.test" } },
      { headers: { "X-Evil": "a\nb" } },
      { headers: { "X-Evil": "a\0b" } },
      { headers: { "Bad Name": "x" } },
      { headers: { "": "x" } },
      { origin: "http://o.test\r\nX: y" },
    ];
    for (const options of bad)
      expect(() => new WebSocket(url, [], options), JSON.stringify(options)).toThrow(
        expect.objectContaining({ name: "SyntaxError", message: expect.stringContaining("header") }),
      );
    // A tab is allowed in a value.
    new WebSocket(url, [], { headers: { "X-Ok": "a\tb" } }).close();
  });

  it("fails with error then close 1006 when the server picks a protocol not offered", async () => {
    const s = await wsServer({ handleProtocols: () => "evil" });
    try {
      const ws = new WebSocket(s.url, ["a"]);
      const seen = record(ws);
      const closed = await next<CloseEvent>(ws, "close");
      expect(ws.readyState).toBe(WebSocket.CLOSED);
      expect(seen).toEqual(["error WS_ERR_HANDSHAKE_PROTOCOL 3", "close 1006 unclean 3"]);
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
    await expect(connect("ws://127.0.0.1:1/")).rejects.toMatchObject({
      code: "WS_ERR_TRANSPORT",
      cause: { code: "ECONNREFUSED" },
    });
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
      await expect(connect(url)).rejects.toMatchObject({
        code: "WS_ERR_TRANSPORT",
        cause: { code: "DEPTH_ZERO_SELF_SIGNED_CERT" },
      });
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

    it("receives a Uint16Array's 8 bytes, a DataView's window, and a Blob before a string, in order", async () => {
      const ws = await connect(fixture.url);
      ws.binaryType = "arraybuffer";
      const got: string[] = [];
      const all = new Promise((resolve) =>
        ws.addEventListener("message", (e) => {
          const data = (e as MessageEvent).data;
          got.push(typeof data === "string" ? `text ${data}` : `binary ${hex(new Uint8Array(data))}`);
          if (got.length === 4) resolve(got);
        }),
      );
      ws.send(new Uint16Array([0x0102, 0x0304, 0x0506, 0x0708]));
      ws.send(new DataView(new Uint8Array([9, 8, 7, 6]).buffer, 1, 2));
      ws.send(new Blob([new Uint8Array([0xb1, 0xb2])]));
      ws.send("after the blob");
      await all;
      expect(got).toEqual(["binary 0201040306050807", "binary 0807", "binary b1b2", "text after the blob"]);
      ws.close();
    });

    it("round-trips a 1 MiB binary message", async () => {
      const ws = await connect(fixture.url);
      ws.binaryType = "arraybuffer";
      const bytes = new Uint8Array(MiB).map((_, i) => i & 0xff);
      expect(sameBytes(await echo(ws, bytes), bytes)).toBe(true);
      ws.close();
    });
  });
}
