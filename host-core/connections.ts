// Every open connection of a server in one insertion-ordered Set: the first is the one that arrived
// first or, with `evict: "idle"`, the one whose last received bytes are oldest (a received chunk
// moves its socket to the end: delete + add, O(1)). Eviction takes from the front; no timers.
import type { ServerWebSocket } from "./socket.ts";

const EVICTED = "evicted: server at maxConnections";

export class Connections<T> {
  /** Open sockets, front = next to evict. */
  readonly all = new Set<ServerWebSocket<T>>();
  /** Evicted, closing, and still counted in `all`. */
  private readonly leaving = new Set<ServerWebSocket<T>>();

  constructor(private readonly lru: boolean) {}

  /** Open sockets that count toward maxConnections (evicted ones no longer do). */
  get size(): number {
    return this.all.size - this.leaving.size;
  }

  add(ws: ServerWebSocket<T>): void {
    this.all.add(ws);
  }

  delete(ws: ServerWebSocket<T>): void {
    this.all.delete(ws);
    this.leaving.delete(ws);
  }

  /** Bytes arrived on ws: with "idle" eviction it becomes the most recently active. */
  touch(ws: ServerWebSocket<T>): void {
    if (!this.lru || this.leaving.has(ws) || !this.all.delete(ws)) return;
    this.all.add(ws);
  }

  /** Closes the front socket with 1001; false when there is none to evict. */
  evict(): boolean {
    for (const ws of this.all) {
      if (this.leaving.has(ws)) continue;
      this.leaving.add(ws);
      ws.close(1001, EVICTED);
      return true;
    }
    return false;
  }
}
