// One Bun socket as host-core's Transport, for servers and clients alike. Bun's write() hands bytes
// straight to the kernel, one syscall per call, and keeps nothing: what the kernel does not take
// waits here, in order, until `drain`.
import type { Transport, TransportEvents } from "../host-core/transport.ts";
import type { BunSocket, SocketHandler } from "./bun-api.ts";

/** What a connection reports to: a server's, or a client's sink. */
export type Receiver = TransportEvents;

// Bun has no writev, so neighbouring chunks adding up to this much are copied into one write. Fewer,
// larger writes measured faster than copying less: echoing 16 KiB messages, 64 KiB joins left the
// server waiting on a load generator busy with small segments. Larger chunks go by reference.
const JOIN_MAX = 256 * 1024;
// Written entries at the front of a long queue are dropped once they are half of it.
const COMPACT_MIN = 256;
const GONE = 1;
const ENDING = 2;
const DESTROYING = 4;
const empty = new Uint8Array(0);
const nobody: Receiver = { data() {}, drain() {}, error() {}, close() {} };

export class BunConnection implements Transport {
  peer: Receiver = nobody;
  private socket: BunSocket<BunConnection> | null;
  /** What the kernel has not taken: queue[head] from byte `offset`, then the rest. Null when empty. */
  private queue: Uint8Array[] | null = null;
  private head = 0;
  private offset = 0;
  private queued = 0;
  private state = 0;

  /** A client's connection has no socket until Bun.connect opens it; writes queue until then. */
  constructor(socket: BunSocket<BunConnection> | null) {
    this.socket = socket;
  }

  get remoteAddress(): string | undefined {
    return this.socket?.remoteAddress;
  }

  get bufferedAmount(): number {
    return this.queued;
  }

  /** Writes in order; false once something waits for drain. */
  write(chunks: Uint8Array[]): boolean {
    if (this.state & GONE) return false;
    for (const c of chunks) this.queued += c.length;
    if (this.queue) for (const c of chunks) this.queue.push(c);
    else if (!this.socket) this.queue = chunks.slice();
    else this.flush(chunks, 0, 0);
    return this.queue === null;
  }

  /** Half-closes once the queue is written; reading goes on, so the peer's FIN is seen. */
  end(): void {
    if (this.state & GONE) return;
    this.state |= ENDING;
    if (!this.queue) this.socket?.shutdown();
    this.socket?.resume();
  }

  destroy(): void {
    if (this.state & GONE) return;
    // Bun runs the close handler inside terminate(); the peer hears of it after this call, as on Node.
    this.state |= DESTROYING;
    if (this.socket) this.socket.terminate();
    else this.closed();
  }

  pause(): void {
    this.socket?.pause();
  }

  resume(): void {
    this.socket?.resume();
  }

  // ---- From the socket's handlers ----

  /** A client's socket is up: write what queued meanwhile. */
  opened(socket: BunSocket<BunConnection>): void {
    this.socket = socket;
    if (this.state & GONE) socket.terminate();
    else if (this.queue) this.drained();
  }

  drained(): void {
    if (!this.queue || !this.socket) return;
    this.flush(this.queue, this.head, this.offset);
    if (this.queue) return;
    if (this.state & ENDING) this.socket.shutdown();
    this.peer.drain();
  }

  closed(): void {
    if (this.state & GONE) return;
    this.state |= GONE;
    this.queue = null;
    this.queued = 0;
    if (this.state & DESTROYING) queueMicrotask(() => this.peer.close());
    else this.peer.close();
  }

  /** Bun.connect failed. */
  failed(err: Error): void {
    if (this.state & GONE) return;
    this.peer.error?.(err);
    this.closed();
  }

  /** Writes list[i..], list[i] from byte `from`, and keeps what the kernel does not take. */
  private flush(list: Uint8Array[], i: number, from: number): void {
    const socket = this.socket!;
    const owned = list === this.queue;
    while (i < list.length) {
      let chunk = list[i];
      let next = i + 1;
      if (next < list.length && chunk.length - from + list[next].length <= JOIN_MAX) {
        let size = chunk.length - from;
        while (next < list.length && size + list[next].length <= JOIN_MAX) size += list[next++].length;
        chunk = join(list, i, next, from, size);
        from = 0;
      }
      const n = socket.write(chunk, from, chunk.length - from);
      if (n > 0) this.queued -= n;
      if (owned) list.fill(empty, i, next);
      if (n < chunk.length - from) {
        this.keep(list, owned, next - 1, chunk, from + Math.max(n, 0));
        return;
      }
      i = next;
      from = 0;
    }
    this.queue = null;
    this.head = this.offset = 0;
  }

  /** The queue becomes `chunk` from `offset`, then list[at + 1..]. */
  private keep(list: Uint8Array[], owned: boolean, at: number, chunk: Uint8Array, offset: number): void {
    this.offset = offset;
    if (!owned) {
      const rest = list.slice(at);
      rest[0] = chunk;
      this.queue = rest;
      this.head = 0;
      return;
    }
    list[at] = chunk;
    if (at >= COMPACT_MIN && at * 2 >= list.length) {
      list.splice(0, at);
      at = 0;
    }
    this.head = at;
  }
}

/** One buffer of `size` bytes: list[i] from byte `from`, then list[i + 1..end]. */
function join(list: Uint8Array[], i: number, end: number, from: number, size: number): Uint8Array {
  const out = Buffer.allocUnsafe(size);
  out.set(from > 0 ? list[i].subarray(from) : list[i]);
  for (let j = i + 1, at = list[i].length - from; j < end; at += list[j++].length) out.set(list[j], at);
  return out;
}

/** Handlers shared by every socket of the adapter: the socket's data is its BunConnection. */
export const handlers: SocketHandler<BunConnection> = {
  data: (socket, chunk) => socket.data.peer.data(chunk),
  drain: (socket) => socket.data.drained(),
  close: (socket, err) => {
    if (err) socket.data.peer.error?.(err);
    socket.data.closed();
  },
  // No `error` handler: Bun would route exceptions thrown by user handlers there, and they must
  // surface as uncaught exceptions, as on Node. Connection errors arrive with `close`.
};
