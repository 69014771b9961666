// `wasmsock jsonrpc --module FILE` as a process on node, deno and bun: the JSON-RPC 2.0
// specification's section 7 examples answered exactly, concurrency, errors, calls back to the
// client, and the wasmsock/jsonrpc client over ws and over our own WebSocket.

import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket, { WebSocketServer } from "ws";
import { WebSocket as OurWebSocket } from "../dist/host-node/index.js";
import { JsonRpcClient, JsonRpcError } from "../dist/jsonrpc/index.js";
import { type Cli, startCli } from "./fixtures/cli/spawn-cli.ts";
import { RUNTIMES } from "./helpers/runtimes.ts";

/** A raw client: send text, take the next answer; `silence` checks nothing comes. */
async function rawClient(url: string) {
  const ws = new WebSocket(url);
  const queue: string[] = [];
  let wake: (() => void) | undefined;
  ws.on("message", (data) => {
    queue.push(String(data));
    wake?.();
  });
  await new Promise((resolve, reject) => ws.once("open", resolve).once("error", reject));
  const next = async (ms = 2000) => {
    const deadline = Date.now() + ms;
    while (queue.length === 0) {
      if (Date.now() > deadline) throw new Error("no answer");
      await new Promise<void>((r) => {
        wake = r;
        setTimeout(r, 50);
      });
    }
    return JSON.parse(queue.shift()!);
  };
  const ask = async (text: string) => {
    ws.send(text);
    return next();
  };
  const silence = async (ms = 200) => {
    await new Promise((r) => setTimeout(r, ms));
    expect(queue).toEqual([]);
  };
  return { ws, ask, next, silence, send: (t: string | Buffer) => ws.send(t) };
}

const err = (code: number, message: string, id: unknown) => ({
  jsonrpc: "2.0",
  error: { code, message },
  id,
});

describe.each(RUNTIMES)("wasmsock jsonrpc on %s", (_name, runtime) => {
  let cli: Cli;
  let url: string;
  beforeAll(async () => {
    cli = await startCli(runtime, ["jsonrpc", "--module", "test/fixtures/cli/methods.mjs"]);
    url = `ws://127.0.0.1:${cli.port}/`;
  }, 20_000);
  afterAll(async () => {
    expect(await cli.stop()).toBe(0);
  });

  it("answers every example of the specification's section 7 exactly", async () => {
    const c = await rawClient(url);
    // rpc call with positional parameters
    expect(await c.ask('{"jsonrpc": "2.0", "method": "subtract", "params": [42, 23], "id": 1}')).toEqual({
      jsonrpc: "2.0",
      result: 19,
      id: 1,
    });
    expect(await c.ask('{"jsonrpc": "2.0", "method": "subtract", "params": [23, 42], "id": 2}')).toEqual({
      jsonrpc: "2.0",
      result: -19,
      id: 2,
    });
    // rpc call with named parameters
    expect(
      await c.ask(
        '{"jsonrpc": "2.0", "method": "subtract", "params": {"subtrahend": 23, "minuend": 42}, "id": 3}',
      ),
    ).toEqual({ jsonrpc: "2.0", result: 19, id: 3 });
    expect(
      await c.ask(
        '{"jsonrpc": "2.0", "method": "subtract", "params": {"minuend": 42, "subtrahend": 23}, "id": 4}',
      ),
    ).toEqual({ jsonrpc: "2.0", result: 19, id: 4 });
    // a Notification, also of a method that does not exist
    c.send('{"jsonrpc": "2.0", "method": "update", "params": [1,2,3,4,5]}');
    c.send('{"jsonrpc": "2.0", "method": "foobar"}');
    await c.silence();
    // rpc call of non-existent method
    expect(await c.ask('{"jsonrpc": "2.0", "method": "foobar", "id": "1"}')).toEqual(
      err(-32601, "Method not found", "1"),
    );
    // rpc call with invalid JSON
    expect(await c.ask('{"jsonrpc": "2.0", "method": "foobar, "params": "bar", "baz]')).toEqual(
      err(-32700, "Parse error", null),
    );
    // rpc call with invalid Request object
    expect(await c.ask('{"jsonrpc": "2.0", "method": 1, "params": "bar"}')).toEqual(
      err(-32600, "Invalid Request", null),
    );
    // rpc call Batch, invalid JSON
    expect(
      await c.ask(
        '[\n  {"jsonrpc": "2.0", "method": "sum", "params": [1,2,4], "id": "1"},\n  {"jsonrpc": "2.0", "method"\n]',
      ),
    ).toEqual(err(-32700, "Parse error", null));
    // rpc call with an empty Array
    expect(await c.ask("[]")).toEqual(err(-32600, "Invalid Request", null));
    // rpc call with an invalid Batch (but not empty)
    expect(await c.ask("[1]")).toEqual([err(-32600, "Invalid Request", null)]);
    // rpc call with invalid Batch
    expect(await c.ask("[1,2,3]")).toEqual([1, 2, 3].map(() => err(-32600, "Invalid Request", null)));
    // rpc call Batch
    const batch = await c.ask(`[
      {"jsonrpc": "2.0", "method": "sum", "params": [1,2,4], "id": "1"},
      {"jsonrpc": "2.0", "method": "notify_hello", "params": [7]},
      {"jsonrpc": "2.0", "method": "subtract", "params": [42,23], "id": "2"},
      {"foo": "boo"},
      {"jsonrpc": "2.0", "method": "foo.get", "params": {"name": "myself"}, "id": "5"},
      {"jsonrpc": "2.0", "method": "get_data", "id": "9"}
    ]`);
    expect(batch).toHaveLength(5);
    expect(new Set(batch.map(JSON.stringify))).toEqual(
      new Set(
        [
          { jsonrpc: "2.0", result: 7, id: "1" },
          { jsonrpc: "2.0", result: 19, id: "2" },
          err(-32600, "Invalid Request", null),
          err(-32601, "Method not found", "5"),
          { jsonrpc: "2.0", result: ["hello", 5], id: "9" },
        ].map((x) => JSON.stringify(x)),
      ),
    );
    // rpc call Batch (all notifications)
    c.send(`[
      {"jsonrpc": "2.0", "method": "notify_sum", "params": [1,2,4]},
      {"jsonrpc": "2.0", "method": "notify_hello", "params": [7]}
    ]`);
    await c.silence();
    c.ws.close();
  });

  it("bad params, a throwing method and a binary message get error objects; serving goes on", async () => {
    const c = await rawClient(url);
    expect(await c.ask('{"jsonrpc":"2.0","method":"subtract","params":[1,2,3],"id":1}')).toEqual(
      err(-32602, "Invalid params", 1),
    );
    expect(await c.ask('{"jsonrpc":"2.0","method":"fail","id":2}')).toEqual({
      jsonrpc: "2.0",
      error: { code: -32603, message: "Internal error", data: "boom" },
      id: 2,
    });
    expect(await c.ask('{"jsonrpc":"2.0","method":"refuse","id":3}')).toEqual({
      jsonrpc: "2.0",
      error: { code: 4001, message: "not today", data: { retry: false } },
      id: 3,
    });
    expect(await c.ask('{"jsonrpc":"2.0","method":"toString","id":4}')).toEqual(
      err(-32601, "Method not found", 4),
    );
    c.send(Buffer.from('{"jsonrpc":"2.0","method":"fast","id":5}'));
    expect(await c.next()).toMatchObject(err(-32600, "Invalid Request", null));
    expect(await c.ask('{"jsonrpc":"2.0","method":"fast","id":6}')).toEqual({
      jsonrpc: "2.0",
      result: "fast",
      id: 6,
    });
    c.ws.close();
  });

  it("answers a result JSON cannot hold with an Internal error and keeps serving; bounds batches", async () => {
    const c = await rawClient(url);
    const other = await rawClient(url);
    expect(await c.ask('{"jsonrpc":"2.0","method":"huge","id":1}')).toEqual({
      jsonrpc: "2.0",
      error: { code: -32603, message: "Internal error", data: expect.stringMatching(/not JSON.*BigInt/) },
      id: 1,
    });
    const answers = await c.ask(`[{"jsonrpc":"2.0","method":"huge","id":2},
      {"jsonrpc":"2.0","method":"fast","id":3}]`);
    expect(answers).toEqual([
      { jsonrpc: "2.0", error: expect.objectContaining({ code: -32603 }), id: 2 },
      { jsonrpc: "2.0", result: "fast", id: 3 },
    ]);
    expect(await c.ask(JSON.stringify(Array.from({ length: 1001 }, () => 1)))).toEqual({
      jsonrpc: "2.0",
      error: { code: -32600, message: "Invalid Request", data: "a batch of 1001; at most 1000" },
      id: null,
    });
    expect(await c.ask(JSON.stringify(Array.from({ length: 1000 }, () => 1)))).toHaveLength(1000);
    expect(await other.ask('{"jsonrpc":"2.0","method":"fast","id":4}')).toMatchObject({ result: "fast" });
    c.ws.close();
    other.ws.close();
  });

  it("counts default and rest parameters as declared, and keeps a thrown integer code", async () => {
    const c = await rawClient(url);
    const call = (method: string, params: unknown[]) =>
      c.ask(JSON.stringify({ jsonrpc: "2.0", method, params, id: method }));
    expect(await call("withDefault", [1, 2])).toMatchObject({ result: [1, 2] });
    expect(await call("withDefault", [1])).toMatchObject({ result: [1, 10] });
    expect(await call("withDefault", [1, 2, 3])).toEqual(err(-32602, "Invalid params", "withDefault"));
    expect(await call("withRest", [1, 2, 3])).toMatchObject({ result: [1, [2, 3]] });
    expect(await call("coded", [])).toEqual(err(4002, "Server error", "coded"));
    c.ws.close();
  });

  it("is not serialized: a fast call answers before a slow one sent earlier", async () => {
    const c = await rawClient(url);
    c.send('{"jsonrpc":"2.0","method":"slow","params":[300],"id":"slow"}');
    c.send('{"jsonrpc":"2.0","method":"fast","id":"fast"}');
    expect((await c.next()).id).toBe("fast");
    expect(await c.next()).toEqual({ jsonrpc: "2.0", result: "slept 300", id: "slow" });
    c.ws.close();
  });

  it("the wasmsock/jsonrpc client: calls, timeouts, notifications and the server calling back (over ws)", async () => {
    const progress: unknown[] = [];
    const client = new JsonRpcClient(new WebSocket(url), {
      methods: { double: (x: number) => x * 2, progress: (x: number) => void progress.push(x) },
    });
    // Sent while connecting: queued until open.
    expect(await client.call("subtract", [42, 23])).toBe(19);
    expect(await client.call("subtract", { minuend: 1, subtrahend: 2 })).toBe(-1);
    expect(await client.call("ask", [21])).toBe(42);
    expect(progress).toEqual([21]);
    await expect(client.call("slow", [1000], { timeout: 100 })).rejects.toThrow(/timed out/);
    const thrown = await client.call("refuse").catch((e) => e);
    expect(thrown).toBeInstanceOf(JsonRpcError);
    expect(thrown).toMatchObject({ code: 4001, message: "not today", data: { retry: false } });
    client.notify("update", [1]);
    // Pending calls reject when the socket closes.
    const pending = client.call("slow", [5000]);
    client.close();
    await expect(pending).rejects.toThrow(/closed/);
    await expect(client.call("fast")).rejects.toThrow(/closed/);
  });

  it("the client over our own WebSocket, many calls at once", async () => {
    const client = new JsonRpcClient(new OurWebSocket(url), { methods: { double: (x: number) => x * 2 } });
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => client.call("ask", [i])));
    expect(results).toEqual(Array.from({ length: 50 }, (_, i) => i * 2));
    client.close();
  });
});

describe("the wasmsock/jsonrpc client, answered wrongly", () => {
  let server: WebSocketServer;
  let url: string;
  // Each method names the answer the server gives to it (section 5 allows one: a result or an error).
  const answers: Record<string, (id: unknown) => object | undefined> = {
    errorNull: (id) => ({ jsonrpc: "2.0", error: null, id }),
    errorString: (id) => ({ jsonrpc: "2.0", error: "boom", id }),
    errorBadCode: (id) => ({ jsonrpc: "2.0", error: { code: "E1", message: 5 }, id }),
    resultBesideNullError: (id) => ({ jsonrpc: "2.0", result: 7, error: null, id }),
    never: () => undefined,
  };
  beforeAll(async () => {
    server = new WebSocketServer({ port: 0, host: "127.0.0.1" });
    server.on("connection", (ws) =>
      ws.on("message", (data) => {
        const { method, id } = JSON.parse(String(data));
        const answer = answers[method]?.(id);
        if (answer) ws.send(JSON.stringify(answer));
      }),
    );
    await new Promise((resolve) => server.once("listening", resolve));
    url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));

  it("rejects a response without a result or with a malformed error, and resolves a result", async () => {
    const client = new JsonRpcClient(new WebSocket(url));
    await expect(client.call("errorNull")).rejects.toThrow(/neither result nor error/);
    await expect(client.call("errorString")).rejects.toMatchObject({ code: -32603, data: "boom" });
    await expect(client.call("errorBadCode")).rejects.toThrow(/not an error object/);
    expect(await client.call("resultBesideNullError")).toBe(7);
    client.close();
  });

  it("takes a timeout past setTimeout's range as none, and params JSON cannot hold hold no timer", async () => {
    const client = new JsonRpcClient(new WebSocket(url), { timeout: 60_000 });
    const waiting = client.call("never", [], { timeout: 2 ** 31 });
    const early = await Promise.race([
      waiting.then(
        () => "resolved",
        (e) => `rejected: ${e.message}`,
      ),
      new Promise((r) => setTimeout(() => r("still waiting"), 200)),
    ]);
    expect(early).toBe("still waiting");
    const timers = () => process.getActiveResourcesInfo().filter((r) => r === "Timeout").length;
    const before = timers();
    await expect(client.call("never", [1n])).rejects.toThrow(TypeError);
    expect(timers()).toBe(before);
    client.close();
    await expect(waiting).rejects.toThrow(/closed/);
  });
});
