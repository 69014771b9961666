// One behavioural suite for the server, run in each runtime against test/runtime/fixture-server.ts
// (which server serves which group, and its commands, are described there). Peers are real: `ws` as
// the client, raw TCP where the exact bytes matter. Each runtime's test file is one call.
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { type Socket, connect as tcpConnect } from "node:net";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import WsClient from "ws";
import { acceptFor, newKey, tokens, upgradeRequest } from "../conformance/http.ts";
import {
  closePayload,
  encodeFrame,
  FrameReader,
  type FrameSpec,
  Op,
  type RawFrame,
  utf8,
} from "../conformance/wire.ts";

const HOST = "127.0.0.1";
const FIXTURE = fileURLToPath(new URL("../../dist/test/runtime/fixture-server.js", import.meta.url));

/** Runs the suite against the fixture started as `command... fixture-server.js`. */
export function runtimeSuite(runtime: string, command: string[]): void {
  const fixture = new Fixture(command);
  const port = (server: string) => fixture.ports[server];

  beforeAll(() => fixture.start(), 30_000);
  afterAll(() => fixture.stop());
  // Each test leaves no connection behind, so limits and counts start clean in the next.
  afterEach(async () => {
    for (const ws of clients.splice(0)) ws.terminate();
    for (const raw of peers.splice(0)) raw.socket.destroy();
    await fixture.settled();
  });

  describe(`server on ${runtime}`, () => {
    describe("opening handshake (4.2)", () => {
      it("answers a valid request with 101, Upgrade, Connection and the Accept of its key", async () => {
        const key = newKey();
        const path = tag();
        const raw = new RawPeer(port("echo"));
        raw.send(upgradeRequest(HOST, path, key));
        const head = await raw.response();
        expect(head).toMatch(/^HTTP\/1\.1 101 /);
        expect(tokens(header(head, "upgrade"))).toContain("websocket");
        expect(tokens(header(head, "connection"))).toContain("upgrade");
        expect(header(head, "sec-websocket-accept")).toBe(acceptFor(key));
        expect(header(head, "sec-websocket-protocol")).toBeUndefined();
        expect(await fixture.event({ server: "echo", event: "open", path })).toMatchObject({ protocol: "" });
      });

      it("keeps frame bytes that came in the same write as the request head", async () => {
        const raw = new RawPeer(port("echo"));
        const hello = encodeFrame({ op: Op.text, payload: utf8("early") }, true);
        raw.send(Buffer.concat([Buffer.from(upgradeRequest(HOST, tag(), newKey())), hello]));
        expect(await raw.response()).toMatch(/^HTTP\/1\.1 101 /);
        expect(show(await raw.next())).toBe("text early");
      });

      it("answers plain HTTP with 426 and the version it speaks, then closes", async () => {
        const answer = await refusal(port("echo"), "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
        expect(answer).toMatch(/^HTTP\/1\.1 426 /);
        expect(header(answer, "sec-websocket-version")).toBe("13");
      });

      it("refuses malformed requests with 400, other methods with 405, other versions with 426", async () => {
        const valid = upgradeRequest(HOST, "/", newKey());
        const p = port("echo");
        expect(await refusal(p, upgradeRequest(HOST, "/", "short"))).toMatch(/^HTTP\/1\.1 400 /);
        expect(await refusal(p, valid.replace(/Host: .*\r\n/, ""))).toMatch(/^HTTP\/1\.1 400 /);
        expect(await refusal(p, "\x16\x03\x01 not http\r\n\r\n")).toMatch(/^HTTP\/1\.1 400 /);
        const post = await refusal(p, valid.replace("GET", "POST"));
        expect(post).toMatch(/^HTTP\/1\.1 405 /);
        expect(header(post, "allow")).toBe("GET");
        const v8 = await refusal(p, valid.replace("Version: 13", "Version: 8"));
        expect(v8).toMatch(/^HTTP\/1\.1 426 /);
        expect(header(v8, "sec-websocket-version")).toBe("13");
      });

      it("refuses a request head over maxHeaderBytes with 431", async () => {
        const big = upgradeRequest(HOST, "/", newKey(), [`X-Big: ${"a".repeat(9000)}`]);
        expect(await refusal(port("echo"), big)).toMatch(/^HTTP\/1\.1 431 /);
      });
    });

    describe("subprotocols (4.2.2)", () => {
      it("chooses the first protocol the client offers that the server speaks", async () => {
        const cases: [string[], string][] = [
          [["superchat", "chat"], "superchat"],
          [["x", "chat"], "chat"],
        ];
        for (const [offered, chosen] of cases) {
          const path = tag();
          expect((await wsClient(port("protocols"), path, offered)).protocol).toBe(chosen);
          const open = await fixture.event({ server: "protocols", event: "open", path });
          expect(open).toMatchObject({ protocol: chosen });
        }
      });

      it("answers without Sec-WebSocket-Protocol when it speaks none of the offers", async () => {
        const path = tag();
        const raw = new RawPeer(port("protocols"));
        raw.send(upgradeRequest(HOST, path, newKey(), ["Sec-WebSocket-Protocol: x, y"]));
        const head = await raw.response();
        expect(head).toMatch(/^HTTP\/1\.1 101 /);
        expect(header(head, "sec-websocket-protocol")).toBeUndefined();
        const open = await fixture.event({ server: "protocols", event: "open", path });
        expect(open).toMatchObject({ protocol: "" });
      });
    });

    describe("paths and origins", () => {
      it("serves the listed paths and patterns, whatever the query, and answers 404 elsewhere", async () => {
        for (const path of ["/only", "/rooms/lobby", "/rooms/lobby?x=1"]) await upgraded(port("gate"), path);
        await fixture.event({ server: "gate", event: "open", path: "/rooms/lobby" });
        for (const path of ["/", "/other", "/only/more", "/rooms"]) {
          const answer = await refusal(port("gate"), upgradeRequest(HOST, path, newKey()));
          expect(answer, path).toMatch(/^HTTP\/1\.1 404 /);
        }
        const plain = await refusal(port("gate"), "GET /other HTTP/1.1\r\nHost: x\r\n\r\n");
        expect(plain).toMatch(/^HTTP\/1\.1 404 /);
      });

      it("admits a listed Origin and requests without one, and answers 403 to others", async () => {
        await wsClient(port("gate"), "/only", undefined, { origin: "https://good.example" });
        await upgraded(port("gate"), "/only");
        for (const origin of [
          "https://evil.example",
          "https://good.example.evil.test",
          "http://good.example",
        ]) {
          const request = upgradeRequest(HOST, "/only", newKey(), [`Origin: ${origin}`]);
          expect(await refusal(port("gate"), request), origin).toMatch(/^HTTP\/1\.1 403 /);
        }
      });
    });

    describe("messages (5.4, 5.6)", () => {
      it("echoes text and binary of every size class with type and bytes intact", async () => {
        const ws = await wsClient(port("echo"), tag());
        for (const n of [0, 125, 126, 65535, 65536, 1 << 20, 16 << 20]) {
          const bytes = binaryOf(n);
          const binary = await roundTrip(ws, bytes, true);
          expect(binary.isBinary, `binary ${n}`).toBe(true);
          expect(binary.data.equals(bytes), `binary ${n}`).toBe(true);
          const text = textOf(n);
          const echoed = await roundTrip(ws, text, false);
          expect(echoed.isBinary, `text ${n}`).toBe(false);
          expect(echoed.data.equals(Buffer.from(text)), `text ${n}`).toBe(true);
        }
      });

      it("delivers a fragmented message whole and answers pings between its fragments", async () => {
        const raw = await upgraded(port("echo"), tag());
        raw.send(FRAGMENTED);
        expect(await frames(raw, 4)).toEqual(FRAGMENTED_ECHO);
      });

      it("decodes a request head and frames that arrive one byte per TCP segment", async () => {
        const raw = new RawPeer(port("echo"));
        for (const byte of Buffer.concat([Buffer.from(upgradeRequest(HOST, tag(), newKey())), FRAGMENTED])) {
          raw.send(Buffer.from([byte]));
          await sleep(1);
        }
        expect(await raw.response()).toMatch(/^HTTP\/1\.1 101 /);
        expect(await frames(raw, 4)).toEqual(FRAGMENTED_ECHO);
      });

      it("answers a thousand messages sent in one TCP write in order, then the close", async () => {
        const raw = await upgraded(port("echo"), tag());
        const sent: FrameSpec[] = Array.from({ length: 1000 }, (_, i) =>
          i % 2 ? { op: Op.binary, payload: binaryOf(i) } : { op: Op.text, payload: utf8(`message ${i}`) },
        );
        const close = encodeFrame({ op: Op.close, payload: closePayload(1000) }, true);
        raw.send(Buffer.concat([...sent.map((f) => encodeFrame(f, true)), close]));
        for (const [i, f] of sent.entries()) {
          const got = await raw.next();
          expect(got.op, `message ${i}`).toBe(f.op);
          expect(got.payload.equals(f.payload!), `message ${i}`).toBe(true);
        }
        expect(closeFrame(await raw.next())).toEqual({ code: 1000, reason: "" });
        await raw.closed();
      });

      it("messages a handler keeps hold their bytes while later reads arrive, whole in a read or split", async () => {
        const raw = await upgraded(port("echo"), tag());
        const sizes = [5, 300, 20_000, 70_000, 17, 4_000, 200_000, 1, 9_000, 65_536, 3, 120];
        const sent: FrameSpec[] = sizes.map((n, i) =>
          i % 2
            ? { op: Op.binary, payload: randomBytes(n) }
            : { op: Op.text, payload: Buffer.from(textOf(n)) },
        );
        raw.send(encodeFrame({ op: Op.text, payload: utf8(`!hold ${sent.length}`) }, true));
        // A write apiece, a moment apart, so the server reads them in reads of their own.
        for (const f of sent) {
          raw.send(encodeFrame(f, true));
          await sleep(5);
        }
        for (const [i, f] of sent.entries()) {
          const got = await raw.next();
          expect(got.op, `message ${i}`).toBe(f.op);
          expect(got.payload.equals(f.payload!), `message ${i} of ${sizes[i]} bytes`).toBe(true);
        }
      });

      it("clients that leave before they are accepted are not reported, and the next one is served at once", async () => {
        const before = fixture.stderr;
        const busy = await wsClient(port("echo"), tag());
        const idle = new Promise((resolve) => busy.once("message", resolve));
        busy.send("!busy 300");
        await new Promise((resolve) => setTimeout(resolve, 50));
        // The kernel completes these handshakes while the server is busy; each is reset before
        // the server gets to accept it.
        await Promise.all(
          Array.from(
            { length: 100 },
            () =>
              new Promise<void>((resolve) => {
                const s = tcpConnect(port("echo"), HOST, () => {
                  s.resetAndDestroy();
                  resolve();
                });
                s.on("error", () => resolve());
              }),
          ),
        );
        await idle;
        const started = Date.now();
        const ws = await wsClient(port("echo"), tag());
        expect((await roundTrip(ws, "still here", false)).data.toString()).toBe("still here");
        // Each one reported and waited for (10 ms apiece) would take a second.
        expect(Date.now() - started).toBeLessThan(600);
        expect(fixture.stderr.slice(before.length)).not.toContain("accept failed");
      });

      it("with borrow: true, echoes messages of every size sent in one write intact, though later ones reuse their buffers", async () => {
        const raw = await upgraded(port("borrow"), tag());
        const sizes = [100, 20_000, 70_000, 300_000, 1 << 20, 65_536, 5, 1 << 20, 200_000, 40_000];
        const sent: FrameSpec[] = sizes.map((n) => ({ op: Op.binary, payload: randomBytes(n) }));
        raw.send(Buffer.concat(sent.map((f) => encodeFrame(f, true))));
        for (const [i, f] of sent.entries()) {
          const got = await raw.next();
          expect(got.payload.equals(f.payload!), `message ${i} of ${sizes[i]} bytes`).toBe(true);
        }
      });
    });

    describe("ping and pong (5.5.2, 5.5.3)", () => {
      it("answers a ping with a pong of the same payload and tells the handler", async () => {
        const path = tag();
        const raw = await upgraded(port("echo"), path);
        const payload = "ping ".padEnd(125, "x");
        raw.frame({ op: Op.ping, payload: utf8(payload) });
        expect(show(await raw.next())).toBe(`pong ${payload}`);
        expect(await fixture.event({ server: "echo", event: "ping", path })).toMatchObject({ data: payload });
        const ws = await wsClient(port("echo"), tag());
        const pong = new Promise<Buffer>((resolve) => ws.once("pong", resolve));
        ws.ping("abc");
        expect((await pong).toString()).toBe("abc");
      });

      it("sends a handler's ping to the client and reports the client's pong", async () => {
        const path = tag();
        const ws = await wsClient(port("echo"), path);
        const ping = new Promise<Buffer>((resolve) => ws.once("ping", resolve));
        ws.send("!ping hb");
        expect((await ping).toString()).toBe("hb");
        expect(await fixture.event({ server: "echo", event: "pong", path })).toMatchObject({ data: "hb" });
      });
    });

    describe("closing (5.5.1, 7.1, 7.4)", () => {
      it("echoes the client's close code, shows the handler its code and reason, then ends TCP", async () => {
        const path = tag();
        const ws = await wsClient(port("echo"), path);
        const closed = closeOf(ws);
        ws.close(4000, "done");
        expect((await closed).code).toBe(4000); // 5.5.1: the code is echoed; the reason need not be
        const seen = await fixture.event({ server: "echo", event: "close", path });
        expect(seen).toMatchObject({ code: 4000, reason: "done" });
        const raw = await upgraded(port("echo"), tag());
        raw.frame({ op: Op.close, payload: closePayload(1001, "going") });
        expect(closeFrame(await raw.next()).code).toBe(1001);
        await raw.closed();
      });

      it("ends TCP first after the closing handshake; Bun's closes at once, not after the client's FIN", async () => {
        const path = tag();
        const raw = await upgraded(port("echo"), path, true);
        raw.frame({ op: Op.close, payload: closePayload(1000, "") });
        expect(closeFrame(await raw.next()).code).toBe(1000);
        await raw.fin();
        // On Bun the socket is closed, not half-closed: gone for the server with the client's side
        // still open, well inside the 5 s closeTimeout. Elsewhere it goes with the client's FIN.
        if (runtime !== "bun") raw.socket.end();
        await fixture.event({ server: "echo", event: "close", path }, 2000);
      });

      it("closes with the code and reason a handler gives, or with no code (1005)", async () => {
        const path = tag();
        const ws = await wsClient(port("echo"), path);
        const closed = closeOf(ws);
        ws.send("!close 4001 bye");
        expect(await closed).toEqual({ code: 4001, reason: "bye" });
        const seen = await fixture.event({ server: "echo", event: "close", path });
        expect(seen).toMatchObject({ code: 4001, reason: "bye" });
        const bare = tag();
        const other = await wsClient(port("echo"), bare);
        const none = closeOf(other);
        other.send("!close");
        expect((await none).code).toBe(1005);
        expect(await fixture.event({ server: "echo", event: "close", path: bare })).toMatchObject({
          code: 1005,
        });
      });

      it("reports 1006 on both sides when a handler terminates the connection", async () => {
        const path = tag();
        const ws = await wsClient(port("echo"), path);
        const closed = closeOf(ws);
        ws.send("!terminate");
        expect((await closed).code).toBe(1006);
        expect(await fixture.event({ server: "echo", event: "close", path })).toMatchObject({ code: 1006 });
      });

      it("fails with 1002 on a reserved opcode or an unmasked frame (5.1, 5.2)", async () => {
        const cases: [FrameSpec, string][] = [
          [{ op: 0x3 }, "WS_ERR_RESERVED_OPCODE"],
          [{ op: Op.text, payload: utf8("x"), wrongMask: true }, "WS_ERR_EXPECTED_MASK"],
        ];
        for (const [frame, error] of cases) await expectFailure(frame, 1002, error);
      });

      it("fails with 1007 on invalid UTF-8, without waiting for the message to end (8.1)", async () => {
        const surrogate = Buffer.from([0xce, 0xba, 0xed, 0xa0, 0x80]);
        const cases: FrameSpec[] = [
          { op: Op.text, payload: surrogate },
          { op: Op.text, fin: false, payload: Buffer.from([0x61, 0xff]) },
          { op: Op.close, payload: closePayload(1000, Buffer.from([0xff])) },
        ];
        for (const frame of cases) await expectFailure(frame, 1007, "WS_ERR_INVALID_UTF8");
      });

      // Sends one frame that breaks the protocol; the server must answer with `code`, end TCP and
      // tell the handler.
      async function expectFailure(frame: FrameSpec, code: number, error: string): Promise<void> {
        const path = tag();
        const raw = await upgraded(port("echo"), path);
        raw.frame(frame);
        expect(closeFrame(await raw.next()).code, error).toBe(code);
        await raw.closed();
        expect(await fixture.event({ server: "echo", event: "error", path })).toMatchObject({ code: error });
        expect(await fixture.event({ server: "echo", event: "close", path })).toMatchObject({ code });
      }
    });

    describe("limits", () => {
      it("echoes a message of exactly maxPayload and closes with 1009 past it", async () => {
        const path = tag();
        const ws = await wsClient(port("limits"), path);
        expect((await roundTrip(ws, binaryOf(1024), true)).data.equals(binaryOf(1024))).toBe(true);
        const closed = closeOf(ws);
        ws.send(binaryOf(1025));
        expect((await closed).code).toBe(1009);
        const error = await fixture.event({ server: "limits", event: "error", path });
        expect(error.code).toMatch(/^WS_ERR_(FRAME|MESSAGE)_TOO_LARGE$/);
        expect(await fixture.event({ server: "limits", event: "close", path })).toMatchObject({ code: 1009 });
      });

      it("closes with 1009 when the fragments of one message add up past maxPayload", async () => {
        const path = tag();
        const raw = await upgraded(port("limits"), path);
        raw.frame({ op: Op.binary, fin: false, payload: binaryOf(600) });
        raw.frame({ op: Op.continuation, payload: binaryOf(600) });
        expect(closeFrame(await raw.next()).code).toBe(1009);
        await raw.closed();
        const error = await fixture.event({ server: "limits", event: "error", path });
        expect(error).toMatchObject({ code: "WS_ERR_MESSAGE_TOO_LARGE" });
      });

      it("answers 503 past maxConnections and admits a client again once one has left", async () => {
        const paths = [tag(), tag(), tag()];
        const [first] = await Promise.all(paths.map((p) => wsClient(port("limits"), p)));
        const refused = await refusal(port("limits"), upgradeRequest(HOST, tag(), newKey()));
        expect(refused).toMatch(/^HTTP\/1\.1 503 /);
        first.close();
        await fixture.event({ server: "limits", event: "close", path: paths[0] });
        const again = await wsClient(port("limits"), tag());
        expect((await roundTrip(again, "in", false)).data.toString()).toBe("in");
      });

      it("destroys a connection whose request head is not complete within handshakeTimeout", async () => {
        const raw = new RawPeer(port("limits"));
        const start = Date.now();
        raw.send("GET / HTTP/1.1\r\nHost: x\r\n");
        await raw.closed(2000);
        expect(Date.now() - start).toBeGreaterThanOrEqual(250);
        expect(raw.text).toBe("");
      });

      it("pings a silent peer halfway through idleTimeout, then closes it with 1001", async () => {
        const path = tag();
        const start = Date.now();
        const raw = await upgraded(port("limits"), path);
        expect((await raw.next(2000)).op).toBe(Op.ping);
        expect(closeFrame(await raw.next(2000)).code).toBe(1001);
        await raw.closed(2000);
        expect(Date.now() - start).toBeGreaterThanOrEqual(350);
        expect(await fixture.event({ server: "limits", event: "close", path })).toMatchObject({ code: 1001 });
      });

      it("keeps a peer that answers the heartbeat past idleTimeout", async () => {
        const path = tag();
        const ws = await wsClient(port("limits"), path);
        await sleep(1000);
        expect(ws.readyState).toBe(WsClient.OPEN);
        expect(fixture.all({ server: "limits", event: "pong", path }).length).toBeGreaterThan(0);
        expect((await roundTrip(ws, "alive", false)).data.toString()).toBe("alive");
      });

      it("destroys TCP when the peer does not answer a close within closeTimeout", async () => {
        const path = tag();
        const raw = await upgraded(port("limits"), path);
        raw.frame({ op: Op.text, payload: utf8("!close 4002 x") });
        expect(closeFrame(await raw.next())).toEqual({ code: 4002, reason: "x" });
        const start = Date.now();
        await raw.closed(2000);
        expect(Date.now() - start).toBeGreaterThanOrEqual(200);
        expect(await fixture.event({ server: "limits", event: "close", path })).toMatchObject({ code: 1006 });
      });
    });

    describe("flow control", () => {
      it("send() returns false past highWaterMark and drain fires once a slow reader caught up", async () => {
        const [count, size, highWaterMark] = [2048, 16 * 1024, 64 * 1024];
        const path = tag();
        const raw = await upgraded(port("backpressure"), path);
        raw.socket.pause();
        raw.frame({ op: Op.text, payload: utf8(`!flood ${count} ${size}`) });
        const flood = (await fixture.event({ server: "backpressure", event: "flood", path })) as Flood;
        expect(flood.firstFalse).toBeGreaterThan(0);
        expect(flood.firstFalse * size).toBeLessThanOrEqual(highWaterMark);
        expect(flood.accepted).toBe(flood.firstFalse); // false from the first false on
        expect(flood.bufferedAmount).toBeGreaterThan(highWaterMark);
        // 32 MiB is more than the kernel's buffers hold, so the server's stays full while we do not read.
        await sleep(300);
        expect(fixture.all({ server: "backpressure", event: "drain", path })).toEqual([]);
        raw.socket.resume();
        const fills = Array.from({ length: 256 }, (_, b) => Buffer.alloc(size - 4, b));
        for (let i = 0; i < count; i++) {
          const f = await raw.next();
          expect(f.op).toBe(Op.binary);
          expect(f.payload.readUInt32BE(0), "order").toBe(i);
          expect(f.payload.subarray(4).equals(fills[i & 0xff]), `message ${i}`).toBe(true);
        }
        const drain = await fixture.event({ server: "backpressure", event: "drain", path });
        expect(drain.bufferedAmount).toBeLessThan(highWaterMark);
        raw.frame({ op: Op.text, payload: utf8("after") });
        expect(show(await raw.next())).toBe("text after");
        expect(fixture.all({ server: "backpressure", event: "drain", path })).toHaveLength(1);
      });

      it("pause() stops reading until resume(), and nothing is lost or reordered", async () => {
        const path = tag();
        const ws = await wsClient(port("echo"), path);
        const sizes = Array.from({ length: 200 }, (_, i) => (i * 997) % 70_000);
        const sent = sizes.map((n, i) => (i % 2 ? binaryOf(n) : textOf(n)));
        const label = (data: Buffer | string, isBinary: boolean) =>
          `${isBinary ? "binary" : "text"} ${Buffer.from(data).toString("hex")}`;
        const got: string[] = [];
        const everything = new Promise<void>((resolve) =>
          ws.on("message", (data: Buffer, isBinary) => {
            if (got.push(label(data, isBinary)) === sent.length) resolve();
          }),
        );
        ws.send("!pause 500");
        await fixture.event({ server: "echo", event: "paused", path });
        for (const m of sent) ws.send(m, { binary: typeof m !== "string" });
        await sleep(200);
        expect(got).toEqual([]);
        await fixture.event({ server: "echo", event: "resumed", path });
        await everything;
        expect(got).toEqual(sent.map((m) => label(m, typeof m !== "string")));
      });
    });

    describe("isolation", () => {
      it("keeps serving other connections while one breaks the protocol", async () => {
        const ws = await wsClient(port("echo"), tag());
        const broken = await upgraded(port("echo"), tag());
        broken.frame({ op: 0x3 });
        const junk = new RawPeer(port("echo"));
        junk.send("\x00\x01\x02 junk\r\n\r\n");
        await Promise.all([broken.closed(), junk.closed()]);
        expect((await roundTrip(ws, "still here", false)).data.toString()).toBe("still here");
        const late = await wsClient(port("echo"), tag());
        expect((await roundTrip(late, binaryOf(300), true)).data.equals(binaryOf(300))).toBe(true);
      });
    });

    describe("the upgrade hook", () => {
      it("sees cookies, Authorization and the query; its data, fields and protocol reach open and the 101", async () => {
        const path = `/hook${tag()}?user=ann`;
        const raw = new RawPeer(port("hooks"));
        raw.send(
          upgradeRequest(HOST, path, newKey(), [
            "Cookie: session=abc; theme=dark",
            "Authorization: Bearer t0ken",
            "Sec-WebSocket-Protocol: x, chat",
          ]),
        );
        const head = await raw.response();
        expect(head).toMatch(/^HTTP\/1\.1 101 /);
        expect(header(head, "x-hook")).toBe("accepted");
        expect(header(head, "sec-websocket-protocol")).toBe("chat");
        const upgrade = await fixture.event({
          server: "hooks",
          event: "upgrade",
          url: `http://${HOST}${path}`,
        });
        expect(upgrade).toMatchObject({
          method: "GET",
          cookie: "session=abc; theme=dark",
          authorization: "Bearer t0ken",
          remoteAddress: HOST,
        });
        const open = await fixture.event({ server: "hooks", event: "open", path });
        expect(open).toMatchObject({ protocol: "chat", data: { user: "ann" } });
        raw.frame({ op: Op.text, payload: utf8("after the hook") });
        expect(show(await raw.next())).toBe("text after the hook");
      });

      it("refuses with the Response the hook returns: its status, fields and body", async () => {
        const path = `/hook/refuse${tag()}`;
        const answer = await refusal(port("hooks"), upgradeRequest(HOST, path, newKey()));
        const [head, body] = answer.split("\r\n\r\n");
        expect(head).toMatch(/^HTTP\/1\.1 401 /);
        expect(header(head, "www-authenticate")).toBe("Bearer");
        expect(header(head, "x-refused-by")).toBe("hook");
        expect(header(head, "connection")).toBe("close");
        expect(header(head, "content-length")).toBe("12");
        expect(body).toBe("members only");
        const reject = await fixture.event({
          server: "hooks",
          event: "reject",
          url: `http://${HOST}${path}`,
        });
        expect(reject).toMatchObject({ code: "WS_ERR_HANDSHAKE_REFUSED" });
      });

      it("answers 500 when the hook throws, and 503 when it outlasts handshakeTimeout", async () => {
        const thrown = `/hook/throw${tag()}`;
        expect(await refusal(port("hooks"), upgradeRequest(HOST, thrown, newKey()))).toMatch(
          /^HTTP\/1\.1 500 /,
        );
        expect(
          await fixture.event({ server: "hooks", event: "reject", url: `http://${HOST}${thrown}` }),
        ).toMatchObject({ code: "WS_ERR_HANDSHAKE_HOOK", cause: "hook failed on purpose" });
        const slow = `/hook/slow${tag()}`;
        const start = Date.now();
        expect(await refusal(port("hooks"), upgradeRequest(HOST, slow, newKey()))).toMatch(
          /^HTTP\/1\.1 503 /,
        );
        expect(Date.now() - start).toBeGreaterThanOrEqual(250);
        expect(
          await fixture.event({ server: "hooks", event: "reject", url: `http://${HOST}${slow}` }),
        ).toMatchObject({ code: "WS_ERR_HANDSHAKE_TIMEOUT" });
      });

      it("serves a request with fields named __proto__ and constructor like any other", async () => {
        const fields = ["__proto__: p", "constructor: c", "toString: t"];
        const plain = new RawPeer(port("echo"));
        plain.send(upgradeRequest(HOST, tag(), newKey(), fields));
        expect(await plain.response()).toMatch(/^HTTP\/1\.1 101 /);
        plain.frame({ op: Op.text, payload: utf8("fine") });
        expect(show(await plain.next())).toBe("text fine");
        const path = `/hook${tag()}`;
        const hooked = new RawPeer(port("hooks"));
        hooked.send(upgradeRequest(HOST, path, newKey(), fields));
        expect(await hooked.response()).toMatch(/^HTTP\/1\.1 101 /);
        const upgrade = await fixture.event({
          server: "hooks",
          event: "upgrade",
          url: `http://${HOST}${path}`,
        });
        expect(upgrade).toMatchObject({ __proto__: "p", constructor: "c" });
      });
    });

    describe("refusals are observable", () => {
      it("reject hears of a path not served (with the Request) and of a malformed head (without)", async () => {
        const path = `/elsewhere${tag()}`;
        expect(await refusal(port("hooks"), upgradeRequest(HOST, path, newKey()))).toMatch(
          /^HTTP\/1\.1 404 /,
        );
        const missed = await fixture.event({
          server: "hooks",
          event: "reject",
          url: `http://${HOST}${path}`,
        });
        expect(missed).toMatchObject({ code: "WS_ERR_HANDSHAKE_PATH" });
        expect(await refusal(port("hooks"), "\x16\x03\x01 not http\r\n\r\n")).toMatch(/^HTTP\/1\.1 400 /);
        const junk = await fixture.event({
          server: "hooks",
          event: "reject",
          code: "WS_ERR_HANDSHAKE_MALFORMED",
        });
        expect(junk.url).toBeUndefined();
      });
    });

    describe("handlers that throw", () => {
      it("an open that throws closes its connection with 1011 and reaches error; others keep echoing", async () => {
        const before = await wsClient(port("echo"), tag());
        const path = `/throw-open${tag()}`;
        const broken = new WsClient(`ws://${HOST}:${port("echo")}${path}`);
        clients.push(broken);
        broken.on("error", () => {});
        expect((await closeOf(broken)).code).toBe(1011);
        expect(await fixture.event({ server: "echo", event: "error", path })).toMatchObject({
          code: "WS_ERR_HANDLER",
          cause: "open failed on purpose",
        });
        expect((await roundTrip(before, "still here", false)).data.toString()).toBe("still here");
        const after = await wsClient(port("echo"), tag());
        expect((await roundTrip(after, "and here", false)).data.toString()).toBe("and here");
      });

      it("another handler's exception surfaces as the runtime's own, after what it queued has left", async () => {
        const path = tag();
        const ws = await wsClient(port("echo"), path);
        const reply = new Promise<string>((resolve) =>
          ws.once("message", (d: Buffer) => resolve(d.toString())),
        );
        ws.send("!throw");
        expect(await reply).toBe("before the throw");
        const uncaught = await fixture.event({ event: "uncaught", message: "handler threw on purpose" });
        expect(uncaught.via).toBe("uncaughtException");
        fixture.events.splice(fixture.events.indexOf(uncaught), 1);
        // The connection goes on being served.
        expect((await roundTrip(ws, "still here", false)).data.toString()).toBe("still here");
      });
    });

    describe("a peer that floods and never reads (reading follows writing)", () => {
      // Batches of frames written while the kernel takes them; the peer never reads. `batch(first)`
      // gives the bytes of frames first, first + 1, ... and how many there are.
      async function flood(
        raw: RawPeer,
        batch: (first: number) => { bytes: Buffer; frames: number },
        ms: number,
      ): Promise<{ frames: number; bytes: number }> {
        const sent = { frames: 0, bytes: 0 };
        let on = true;
        raw.socket.pause();
        // Yields to the timers: a server that never stops reading must fail, not hang.
        const write = () => {
          for (let i = 0; on && i < 100; i++) {
            const { bytes, frames } = batch(sent.frames);
            sent.frames += frames;
            sent.bytes += bytes.length;
            if (!raw.socket.write(bytes)) return void raw.socket.once("drain", write);
          }
          if (on) setImmediate(write);
        };
        write();
        await sleep(ms);
        on = false;
        return sent;
      }

      // 1024 pings carrying their index, masked with a zero key (5.3 allows any key), built fast
      // enough that the flood, not the test, is what the server meets.
      const pings = (first: number) => {
        const bytes = Buffer.alloc(1024 * 10);
        for (let i = 0; i < 1024; i++) {
          bytes[i * 10] = 0x80 | Op.ping;
          bytes[i * 10 + 1] = 0x80 | 4;
          bytes.writeUInt32BE(first + i, i * 10 + 6);
        }
        return { bytes, frames: 1024 };
      };

      // Other connections are served meanwhile, and the server stopped reading: the kernel's buffers
      // and its highWaterMark of output are all the flood took.
      async function heldAndServed(rssBefore: number, sentBytes: number): Promise<void> {
        const other = await wsClient(port("flood"), tag());
        expect((await roundTrip(other, "still here", false)).data.toString()).toBe("still here");
        expect(fixture.rss() - rssBefore).toBeLessThan(FLOOD_RSS_BOUND);
        expect(sentBytes).toBeLessThan(FLOOD_SENT_BOUND);
      }

      it("a ping flood fills the peer's TCP window, not the server's memory; every pong comes in order", async () => {
        const before = fixture.rss();
        const raw = await upgraded(port("flood"), tag());
        const sent = await flood(raw, pings, 1500);
        await heldAndServed(before, sent.bytes);
        raw.socket.resume();
        // expect() only on a mismatch: called for each of the 1.25 million pongs, it took 26 of 30 s.
        for (let i = 0; i < sent.frames; i++) {
          const f = await raw.next();
          if (f.op !== Op.pong || f.payload.readUInt32BE(0) !== i)
            expect([f.op, f.payload.readUInt32BE(0)]).toEqual([Op.pong, i]);
        }
      }, 30_000);

      it("a message flood at an echo handler is held the same way; every echo comes in order", async () => {
        const before = fixture.rss();
        const raw = await upgraded(port("flood"), tag());
        const size = 64 * 1024;
        const message = (i: number) => {
          const payload = Buffer.alloc(size, i & 0xff);
          payload.writeUInt32BE(i);
          return { bytes: encodeFrame({ op: Op.binary, payload }, true), frames: 1 };
        };
        const sent = await flood(raw, message, 1500);
        await heldAndServed(before, sent.bytes);
        raw.socket.resume();
        for (let i = 0; i < sent.frames; i++) {
          const f = await raw.next();
          expect(f.op).toBe(Op.binary);
          if (f.payload.readUInt32BE(0) !== i || f.payload.length !== size)
            expect([f.payload.readUInt32BE(0), f.payload.length]).toEqual([i, size]);
        }
      }, 30_000);
    });

    describe("payload types", () => {
      it("send takes a view's bytes and throws a TypeError for anything else", async () => {
        const ws = await wsClient(port("echo"), tag());
        const got: { data: Buffer; isBinary: boolean }[] = [];
        const seven = new Promise<void>((resolve) =>
          ws.on("message", (data: Buffer, isBinary) => {
            if (got.push({ data, isBinary }) === 7) resolve();
          }),
        );
        ws.send("!typed");
        await seven;
        const u16 = Buffer.from(new Uint16Array([0x0102, 0x0304, 0x0506, 0x0708]).buffer);
        expect(got.slice(0, 4).map((m) => m.isBinary)).toEqual([true, true, true, true]);
        expect(got.slice(0, 4).map((m) => [...m.data])).toEqual([[...u16], [2, 3, 4], [7, 8, 9], [0, 1]]);
        expect(got.slice(4).map((m) => m.data.toString())).toEqual(
          Array(3).fill("TypeError WS_ERR_INVALID_PAYLOAD"),
        );
      });
    });

    describe("exports", () => {
      it("exports the names every host shares", async () => {
        const { exported } = await fixture.event({ ready: true });
        const shared = [
          "CLOSED",
          "CLOSING",
          "CONNECTING",
          "CloseEvent",
          "ErrorEvent",
          "MemoryBackplane",
          "OPEN",
        ];
        shared.push("Server");
        shared.push(
          "ServerWebSocket",
          "WebSocket",
          "WebSocketError",
          "WebSocketServer",
          "WebSocketState",
          "acceptResponse",
          "computeAccept",
        );
        shared.push("connect", "host", "parseUpgrade", "rejectResponse", "serve");
        const nodeOnly = runtime.startsWith("node") ? ["attach", "createUpgradeHandler"] : [];
        expect(exported).toEqual([...shared, ...nodeOnly].sort());
      });
    });

    describe("shutdown", () => {
      it("server.close() sends 1001 to every client, drops handshakes, resolves and frees the port", async () => {
        const paths = [tag(), tag(), tag()];
        const all = await Promise.all(paths.map((p) => wsClient(port("shutdown"), p)));
        const halfway = new RawPeer(port("shutdown"));
        halfway.send("GET / HTTP/1.1\r\n");
        await sleep(100); // so the server has accepted it before it closes
        const codes = Promise.all(all.map(closeOf));
        all[0].send("!shutdown");
        expect((await codes).map((c) => c.code)).toEqual([1001, 1001, 1001]);
        await halfway.closed();
        const resolved = await fixture.event({ server: "shutdown", event: "closed" });
        for (const path of paths) {
          const close = await fixture.event({ server: "shutdown", event: "close", path });
          expect(close).toMatchObject({ code: 1001 });
          expect(fixture.events.indexOf(close), "close before close() resolved").toBeLessThan(
            fixture.events.indexOf(resolved),
          );
        }
        expect(await connectError(port("shutdown"))).toBe("ECONNREFUSED");
        const other = await wsClient(port("echo"), tag());
        expect((await roundTrip(other, "unaffected", false)).data.toString()).toBe("unaffected");
      });
    });
  });
}

// ---- The fragmented message both fragment tests send, and what must come back ----

// "Hello wörld" in three fragments with an "ö" split between two, pings between them; then a binary
// message with an empty middle fragment.
const FRAGMENTED = Buffer.concat(
  (
    [
      { op: Op.text, fin: false, payload: utf8("Hel") },
      { op: Op.ping, payload: utf8("p1") },
      { op: Op.continuation, fin: false, payload: Buffer.from([0x6c, 0x6f, 0x20, 0x77, 0xc3]) },
      { op: Op.ping, payload: utf8("p2") },
      { op: Op.continuation, payload: Buffer.from([0xb6, 0x72, 0x6c, 0x64]) },
      { op: Op.binary, fin: false, payload: Buffer.from([1, 2]) },
      { op: Op.continuation, fin: false },
      { op: Op.continuation, payload: Buffer.from([3]) },
    ] satisfies FrameSpec[]
  ).map((f) => encodeFrame(f, true)),
);
const FRAGMENTED_ECHO = ["pong p1", "pong p2", "text Hello wörld", "binary 010203"];

// ---- Peers and the fixture ----

const clients: WsClient[] = [];
const peers: RawPeer[] = [];
let connections = 0;

/** A unique path, so the fixture's lines about a connection can be told apart. */
const tag = () => `/c${++connections}`;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
// A flooding peer's worth of server memory and of bytes the kernel takes before the server stops
// reading: the server's highWaterMark (1 MiB) of output, plus socket buffers of a few MB each way.
// Unbounded, the same floods grew servers by 590 MiB to over 1 GiB in 5 s.
const FLOOD_RSS_BOUND = 64 * 1024 * 1024;
const FLOOD_SENT_BOUND = 48 * 1024 * 1024;

type Event = Record<string, unknown>;
type Flood = { firstFalse: number; accepted: number; bufferedAmount: number };

/** Wakes whoever waits for more input. */
class Signal {
  private waiters: (() => void)[] = [];

  notify(): void {
    for (const wake of this.waiters.splice(0)) wake();
  }

  /** get()'s first value other than undefined, checked again on every notify(). */
  async until<T>(get: () => T | undefined, what: () => string, ms: number): Promise<T> {
    const deadline = Date.now() + ms;
    for (let value = get(); ; value = get()) {
      if (value !== undefined) return value;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out after ${ms} ms waiting for ${what()}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }
}

/** The fixture process and the JSON lines it printed. */
class Fixture {
  ports: Record<string, number> = {};
  readonly events: Event[] = [];
  /** What the fixture wrote to stderr (also passed on to ours). */
  stderr = "";
  private process: ChildProcess | undefined;
  private readonly signal = new Signal();

  constructor(private readonly command: string[]) {}

  async start(): Promise<void> {
    const [program, ...args] = this.command;
    const child = spawn(program, [...args, FIXTURE], { stdio: ["ignore", "pipe", "pipe"] });
    this.process = child;
    child.stderr!.on("data", (chunk: Buffer) => {
      this.stderr += chunk.toString();
      process.stderr.write(chunk);
    });
    createInterface({ input: child.stdout! }).on("line", (line) => {
      this.events.push(JSON.parse(line));
      this.signal.notify();
    });
    const exited = new Promise<never>((_, reject) =>
      child.once("exit", (code) => reject(new Error(`fixture exited with ${code}`))),
    );
    const ready = await Promise.race([this.event({ ready: true }, 20_000), exited]);
    this.ports = ready.ports as Record<string, number>;
  }

  /** The fixture's resident memory in bytes (Linux's /proc). */
  rss(): number {
    const status = readFileSync(`/proc/${this.process!.pid}/status`, "utf8");
    return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) * 1024;
  }

  stop(): void {
    this.process?.kill("SIGKILL");
  }

  /** Every line so far with these fields. */
  all(fields: Event): Event[] {
    return this.events.filter((e) => Object.entries(fields).every(([k, v]) => e[k] === v));
  }

  /** The first line with these fields, waiting for it if need be. */
  event(fields: Event, ms = 5000): Promise<Event> {
    return this.signal.until(
      () => this.all(fields)[0],
      () => JSON.stringify(fields),
      ms,
    );
  }

  /** Resolves once the server has reported a close for every connection it opened. */
  settled(ms = 3000): Promise<true> {
    return this.signal.until(
      () => this.open().length === 0 || undefined,
      () => `the server to close ${this.open().join(", ")}`,
      ms,
    );
  }

  private open(): string[] {
    const count = new Map<string, number>();
    for (const e of this.events) {
      const key = `${e.server} ${e.path}`;
      if (e.event === "open") count.set(key, (count.get(key) ?? 0) + 1);
      if (e.event === "close") count.set(key, (count.get(key) ?? 0) - 1);
    }
    return [...count].filter(([, n]) => n !== 0).map(([key]) => key);
  }
}

/** A TCP peer that sends exact bytes and answers nothing on its own; after a 101 it reads frames. */
class RawPeer {
  readonly socket: Socket;
  /** The response head, once complete. */
  head: string | undefined;
  ended = false;
  // Bytes before the frames: the head, or a whole refusal.
  private before = Buffer.alloc(0);
  private readonly reader = new FrameReader();
  private readonly signal = new Signal();

  /** The server's FIN arrived (with halfOpen the socket stays open for writing). */
  finned = false;

  constructor(port: number, halfOpen = false) {
    this.socket = tcpConnect({ port, host: HOST, allowHalfOpen: halfOpen });
    this.socket.on("end", () => {
      this.finned = true;
      this.signal.notify();
    });
    this.socket.setNoDelay(true);
    this.socket.on("data", (chunk: Buffer) => {
      this.take(chunk);
      this.signal.notify();
    });
    this.socket.on("close", () => {
      this.ended = true;
      this.signal.notify();
    });
    this.socket.on("error", () => {});
    peers.push(this);
  }

  /** Everything received before any frames, as text. */
  get text(): string {
    return this.before.toString("latin1");
  }

  send(bytes: string | Uint8Array): void {
    this.socket.write(bytes);
  }

  /** One frame, masked as a client's must be (5.3) unless the spec says otherwise. */
  frame(spec: FrameSpec): void {
    this.send(encodeFrame(spec, true));
  }

  response(ms = 3000): Promise<string> {
    return this.signal.until(
      () => this.head ?? (this.ended ? this.text : undefined),
      this.state("a head"),
      ms,
    );
  }

  next(ms = 3000): Promise<RawFrame> {
    return this.signal.until(() => this.reader.next(), this.state("a frame"), ms);
  }

  fin(ms = 3000): Promise<true> {
    return this.signal.until(() => this.finned || undefined, this.state("the server's FIN"), ms);
  }

  closed(ms = 3000): Promise<true> {
    return this.signal.until(() => this.ended || undefined, this.state("the connection to close"), ms);
  }

  private state(what: string): () => string {
    return () => `${what} (${this.ended ? "closed" : "open"}, received ${JSON.stringify(this.text)})`;
  }

  private take(chunk: Buffer): void {
    if (this.head?.startsWith("HTTP/1.1 101 ")) {
      this.reader.push(chunk);
      return;
    }
    this.before = Buffer.concat([this.before, chunk]);
    const end = this.before.indexOf("\r\n\r\n");
    if (this.head !== undefined || end < 0) return;
    this.head = this.before.subarray(0, end + 4).toString("latin1");
    if (!this.head.startsWith("HTTP/1.1 101 ")) return;
    this.reader.push(this.before.subarray(end + 4));
    this.before = this.before.subarray(0, end + 4);
  }
}

async function upgraded(port: number, path: string, halfOpen = false): Promise<RawPeer> {
  const raw = new RawPeer(port, halfOpen);
  raw.send(upgradeRequest(HOST, path, newKey()));
  expect(await raw.response()).toMatch(/^HTTP\/1\.1 101 /);
  return raw;
}

/** Everything the server answers to a request it refuses; the server must also close. */
async function refusal(port: number, request: string): Promise<string> {
  const raw = new RawPeer(port);
  raw.send(request);
  await raw.closed();
  return raw.text;
}

function header(head: string, name: string): string | undefined {
  const line = head.split("\r\n").find((l) => l.toLowerCase().startsWith(`${name}:`));
  return line?.slice(name.length + 1).trim();
}

async function frames(raw: RawPeer, n: number): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(show(await raw.next()));
  return out;
}

/** A server frame as "kind payload": a whole (FIN), unmasked (5.1) frame, or the reason it is not. */
function show(f: RawFrame): string {
  if (!f.fin || f.masked || f.rsv) return `bad frame ${JSON.stringify({ ...f, payload: undefined })}`;
  const kind = Object.entries(Op).find(([, op]) => op === f.op)?.[0] ?? `op${f.op}`;
  return `${kind} ${f.op === Op.binary ? f.payload.toString("hex") : f.payload.toString()}`;
}

/** 5.5.1: a close frame's code and reason. */
function closeFrame(f: RawFrame): { code: number; reason: string } {
  expect(f.op).toBe(Op.close);
  return { code: f.payload.readUInt16BE(0), reason: f.payload.subarray(2).toString() };
}

function wsClient(
  port: number,
  path: string,
  protocols?: string[],
  options?: WsClient.ClientOptions,
): Promise<WsClient> {
  const ws = new WsClient(`ws://${HOST}:${port}${path}`, protocols, options);
  clients.push(ws);
  ws.on("error", () => {}); // failures show as close codes
  return new Promise((resolve, reject) => {
    ws.once("open", () => resolve(ws));
    ws.once("error", reject);
  });
}

function roundTrip(
  ws: WsClient,
  data: Buffer | string,
  binary: boolean,
): Promise<{ data: Buffer; isBinary: boolean }> {
  return new Promise((resolve) => {
    ws.once("message", (d: Buffer, isBinary) => resolve({ data: d, isBinary }));
    ws.send(data, { binary });
  });
}

function closeOf(ws: WsClient): Promise<{ code: number; reason: string }> {
  return new Promise((resolve) =>
    ws.once("close", (code, reason) => resolve({ code, reason: reason.toString() })),
  );
}

function connectError(port: number): Promise<string> {
  return new Promise((resolve) => {
    const s = tcpConnect(port, HOST);
    s.once("connect", () => {
      s.destroy();
      resolve("connected");
    });
    s.once("error", (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
  });
}

/** n bytes that differ from their neighbours, so a misplaced byte shows. */
function binaryOf(n: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (i * 7 + (i >> 8)) & 0xff;
  return b;
}

/** Text of exactly n UTF-8 bytes with characters of every length, so they straddle every boundary. */
function textOf(n: number): string {
  const unit = "aé€😀"; // 1 + 2 + 3 + 4 bytes
  return unit.repeat(Math.floor(n / 10)) + "a".repeat(n % 10);
}
