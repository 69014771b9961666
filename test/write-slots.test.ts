// The Deno host's limit on writes in flight (host-deno/write-slots.ts): waiting writes go in order,
// no write waits for ever behind peers that stopped reading, and writes from before a stall do not
// count once they complete. The Deno runtime suite runs it with real sockets.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { WriteSlots } from "../host-deno/write-slots.ts";

const LIMIT = 16;
const STALL_MS = 10;

/** Waits for the given number of write slots, recording the order in which they are granted. */
function waitAll(slots: WriteSlots, n: number, granted: number[]): Promise<number>[] {
  return Array.from({ length: n }, (_, i) =>
    slots.wait().then((ticket) => {
      granted.push(i);
      return ticket;
    }),
  );
}

describe("WriteSlots", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("grants up to the limit at once, then one per slot given back, first come first served", async () => {
    const slots = new WriteSlots(LIMIT, STALL_MS);
    const held = Array.from({ length: LIMIT }, () => slots.take());
    expect(held.every((t) => t >= 0)).toBe(true);
    expect(slots.take()).toBe(-1);
    const granted: number[] = [];
    const waiting = waitAll(slots, 3, granted);
    slots.give(held[0]);
    await vi.advanceTimersByTimeAsync(0);
    expect(granted).toEqual([0]);
    slots.give(held[1]);
    slots.give(held[2]);
    await vi.advanceTimersByTimeAsync(0);
    expect(granted).toEqual([0, 1, 2]);
    // The slots handed over are still taken: nothing is free until one more comes back.
    expect(slots.take()).toBe(-1);
    slots.give(await waiting[0]);
    expect(slots.take()).toBeGreaterThanOrEqual(0);
  });

  it("lets waiting writes go when the writes in flight stall, and up to the limit only", async () => {
    const slots = new WriteSlots(LIMIT, STALL_MS);
    const stuck = Array.from({ length: LIMIT }, () => slots.take());
    const granted: number[] = [];
    const waiting = waitAll(slots, LIMIT + 4, granted);
    await vi.advanceTimersByTimeAsync(STALL_MS - 1);
    expect(granted).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(granted).toEqual(Array.from({ length: LIMIT }, (_, i) => i));
    // A stuck write that finally completes is not counted again: it frees nothing.
    for (const ticket of stuck) slots.give(ticket);
    await vi.advanceTimersByTimeAsync(0);
    expect(granted.length).toBe(LIMIT);
    // The writes granted after the stall do free slots for the last four.
    const after = await Promise.all(waiting.slice(0, 4));
    for (const ticket of after) slots.give(ticket);
    await vi.advanceTimersByTimeAsync(0);
    expect(granted.length).toBe(LIMIT + 4);
  });

  it("treats a trickle as a stall, and steady completions as none", async () => {
    const trickle = new WriteSlots(LIMIT, STALL_MS);
    const held = Array.from({ length: LIMIT }, () => trickle.take());
    const granted: number[] = [];
    waitAll(trickle, LIMIT * 2, granted);
    // One of sixteen back within the window: too few (fewer than an eighth of the slots).
    trickle.give(held[0]);
    await vi.advanceTimersByTimeAsync(STALL_MS);
    expect(granted.length).toBe(1 + LIMIT);

    const steady = new WriteSlots(LIMIT, STALL_MS);
    const tickets = Array.from({ length: LIMIT }, () => steady.take());
    const steadyGranted: number[] = [];
    waitAll(steady, LIMIT, steadyGranted);
    for (const ticket of tickets.slice(0, LIMIT / 4)) steady.give(ticket);
    await vi.advanceTimersByTimeAsync(STALL_MS);
    // Four back, so four went, and the watchdog let nobody else jump the queue.
    expect(steadyGranted).toEqual([0, 1, 2, 3]);
  });

  it("keeps no watchdog while nothing waits", async () => {
    const slots = new WriteSlots(LIMIT, STALL_MS);
    const ticket = slots.take();
    slots.give(ticket);
    expect(vi.getTimerCount()).toBe(0);
    const held = Array.from({ length: LIMIT }, () => slots.take());
    const waiting = slots.wait();
    expect(vi.getTimerCount()).toBe(1);
    slots.give(held[0]);
    await waiting;
    await vi.advanceTimersByTimeAsync(STALL_MS);
    expect(vi.getTimerCount()).toBe(0);
  });
});
