// One node stream (a net or tls socket, or an http server's upgraded Duplex) as host-core's Transport,
// for servers and clients alike. Node's streams queue writes themselves, but each write is an entry
// of its own: once the stream is backed up, later chunks wait in host-core's WriteQueue, which joins
// small ones, so a peer that stops reading pins joined buffers, not a few hundred bytes of
// bookkeeping per 6-byte pong.
//
// An idle connection costs one NodeConnection and its place in the stream's listeners: the listeners
// are functions shared by every stream (they find their connection through the stream), the queue
// and the `drain` listener come with the first write the stream does not take at once.
import { Socket } from "node:net";
import type { Duplex } from "node:stream";
import type { Transport, TransportEvents } from "../host-core/transport.ts";
import { WriteQueue } from "../host-core/write-queue.ts";

const connection = Symbol("wasmsock.connection");
type Wired = Duplex & { [connection]: NodeConnection };

/** The stream as a Transport; its events go to what `accept` returns for it. */
export function wire(s: Duplex, accept: (transport: Transport) => TransportEvents): Transport {
  (s as Socket).setNoDelay?.(true);
  const c = new NodeConnection(s);
  (s as Wired)[connection] = c;
  c.events = accept(c);
  s.on("data", onData);
  s.on("error", onError);
  s.on("close", onClose);
  // http's sockets allow half-open; a peer that ends its side gets ours ended too. (Other streams
  // end themselves.)
  if (s.allowHalfOpen) s.on("end", onEnd);
  return c;
}

class NodeConnection implements Transport {
  events!: TransportEvents;
  // What the stream did not take yet; made by the first write it refused.
  private queue: WriteQueue | undefined;
  private ending = false;
  private address: string | undefined;

  constructor(private readonly s: Duplex) {}

  write(chunks: Uint8Array[]): boolean {
    const s = this.s;
    if (s.destroyed) return false;
    if (s.writableNeedDrain || (this.queue?.bufferedAmount ?? 0) > 0) {
      this.backlog().push(chunks);
      return false;
    }
    s.cork();
    for (const c of chunks) s.write(c);
    s.uncork();
    if (!s.writableNeedDrain) return true;
    this.backlog();
    return false;
  }

  get bufferedAmount(): number {
    return this.s.writableLength + (this.queue?.bufferedAmount ?? 0);
  }

  /** After what waits in the queue, if anything does. */
  end(): void {
    this.ending = true;
    // Ending twice makes node build an ERR_STREAM_ALREADY_FINISHED error (with a formatted message)
    // only to drop it: 3% of a handshake's time when the peer's FIN follows our end.
    if ((this.queue?.bufferedAmount ?? 0) === 0 && !this.s.writableEnded) this.s.end();
  }

  destroy(): void {
    this.s.destroy();
  }

  pause(): void {
    this.s.pause();
  }

  resume(): void {
    this.s.resume();
  }

  /** A socket's reads (net or tls) each come in a buffer of their own; any other stream's may not. */
  get givesChunks(): boolean {
    return this.s instanceof Socket;
  }

  /** Kept once known: node forgets a socket's peer once it is closed. */
  get remoteAddress(): string | undefined {
    return (this.address ??= (this.s as Socket).remoteAddress);
  }

  /** The stream emptied its buffer: what waits goes, until it is backed up again. */
  drained(): void {
    const { s, queue } = this;
    if (queue) {
      for (let chunk = queue.next(); chunk && !s.writableNeedDrain; chunk = queue.next()) {
        s.write(chunk);
        queue.wrote(chunk.length);
      }
      if (queue.bufferedAmount > 0) return;
    }
    if (this.ending && !s.writableEnded) s.end();
    this.events.drained();
  }

  closed(): void {
    this.queue?.clear();
    this.events.closed();
  }

  // The stream is backed up: from now on it reports drain, and later chunks wait in the queue.
  private backlog(): WriteQueue {
    if (this.queue) return this.queue;
    this.s.on("drain", onDrain);
    this.queue = new WriteQueue();
    return this.queue;
  }
}

// Listeners shared by every stream; node calls them with the stream as `this`.
function onData(this: Wired, chunk: Buffer): void {
  this[connection].events.receive(chunk);
}

function onDrain(this: Wired): void {
  this[connection].drained();
}

function onError(this: Wired, err: Error): void {
  this[connection].events.error(err);
}

function onClose(this: Wired): void {
  this[connection].closed();
}

function onEnd(this: Wired): void {
  this.end();
}
