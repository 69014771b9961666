// Bun's socket.write() takes what the kernel takes and keeps nothing, so host-bun keeps the rest in
// order until `drain`. Here a socket that takes a random number of bytes per write checks that
// queue: every byte once and in order, bufferedAmount exact, end() only after the last byte.
import { expect, it } from "vitest";
import type { BunSocket } from "../host-bun/bun-api.ts";
import { BunConnection } from "../host-bun/connection.ts";

const SIZES = [0, 3, 14, 100, 5000, 16384, 70000, 300000];

/** A socket whose kernel takes `budget` bytes, then nothing until the budget is raised. */
class StingySocket {
  data = null as unknown as BunConnection;
  remoteAddress = "127.0.0.1";
  budget = 0;
  ended = false;
  readonly out: Uint8Array[] = [];

  write(b: Uint8Array, off = 0, len = b.length - off): number {
    const n = Math.min(len, this.budget);
    this.budget -= n;
    this.out.push(b.slice(off, off + n));
    return n;
  }
  shutdown(): void {
    this.ended = true;
  }
  terminate(): void {}
  pause(): void {}
  resume(): void {}
}

const concat = (parts: Uint8Array[]) => Buffer.concat(parts);
const total = (parts: Uint8Array[]) => parts.reduce((n, p) => n + p.length, 0);

it("writes every byte once, in order, across partial writes and drains", () => {
  let seed = 12345;
  const rnd = (n: number) => {
    seed = (Math.imul(seed, 1103515245) + 12345) & 0x7fffffff;
    return seed % n;
  };
  for (let round = 0; round < 200; round++) {
    const socket = new StingySocket();
    const connection = new BunConnection(socket as unknown as BunSocket<BunConnection>);
    connection.peer = { data() {}, drain() {}, error() {}, close() {} };
    const expected: Uint8Array[] = [];
    let next = 0;
    for (let step = 0; step < 40; step++) {
      socket.budget = rnd(4) === 0 ? Number.MAX_SAFE_INTEGER : rnd(200_000);
      const chunks = Array.from({ length: rnd(5) + 1 }, () => {
        const b = new Uint8Array(SIZES[rnd(SIZES.length)]);
        for (let i = 0; i < b.length; i++) b[i] = next++ & 255;
        return b;
      });
      expected.push(...chunks.map((c) => c.slice()));
      connection.write(chunks);
      if (rnd(2)) {
        socket.budget = rnd(300_000);
        connection.drained();
      }
      expect(connection.bufferedAmount).toBe(total(expected) - total(socket.out));
    }
    const ending = round % 3 === 0;
    if (ending) connection.end();
    while (connection.bufferedAmount > 0) {
      expect(socket.ended).toBe(false);
      socket.budget = rnd(100_000) + 1;
      connection.drained();
    }
    expect(socket.ended).toBe(ending);
    expect(concat(socket.out).equals(concat(expected))).toBe(true);
  }
});

it("keeps order when a long queue of small chunks is joined and compacted", () => {
  const socket = new StingySocket();
  const connection = new BunConnection(socket as unknown as BunSocket<BunConnection>);
  connection.peer = { data() {}, drain() {}, error() {}, close() {} };
  const chunks = Array.from({ length: 1000 }, (_, i) => new Uint8Array(10).fill(i & 255));
  for (let i = 0; i < chunks.length; i += 100) connection.write(chunks.slice(i, i + 100));
  // 10,000 bytes at 25 a drain: a queue that lost its place would never empty.
  for (let drains = 0; connection.bufferedAmount > 0 && drains < 400; drains++) {
    socket.budget = 25;
    connection.drained();
  }
  expect(connection.bufferedAmount).toBe(0);
  expect(concat(socket.out).equals(concat(chunks))).toBe(true);
});

it("queues a client's writes until Bun.connect opens the socket", () => {
  const connection = new BunConnection(null);
  connection.write([new Uint8Array([1, 2])]);
  connection.write([new Uint8Array([3])]);
  expect(connection.bufferedAmount).toBe(3);
  const socket = new StingySocket();
  socket.budget = 100;
  connection.opened(socket as unknown as BunSocket<BunConnection>);
  expect([...concat(socket.out)]).toEqual([1, 2, 3]);
  expect(connection.bufferedAmount).toBe(0);
});

it("reports a destroyed connection closed after destroy() returns, once", async () => {
  let closed = 0;
  const socket = { terminate: () => connection.closed() } as unknown as BunSocket<BunConnection>;
  const connection = new BunConnection(socket);
  connection.peer = { data() {}, drain() {}, error() {}, close: () => closed++ };
  connection.destroy();
  expect(closed).toBe(0);
  await Promise.resolve();
  connection.closed();
  await Promise.resolve();
  expect(closed).toBe(1);
});
