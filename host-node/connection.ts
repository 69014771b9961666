// One node stream (a net or tls socket, or an http server's upgraded Duplex) as host-core's Transport,
// for servers and clients alike. Node's streams queue writes themselves, but each write is an entry
// of its own: once the stream is backed up, later chunks wait in host-core's WriteQueue, which joins
// small ones, so a peer that stops reading pins joined buffers, not a few hundred bytes of
// bookkeeping per 6-byte pong.
import type { Socket } from "node:net";
import type { Duplex } from "node:stream";
import type { Transport, TransportEvents } from "../host-core/transport.ts";
import { WriteQueue } from "../host-core/write-queue.ts";

/** The stream as a Transport; its events go to what `accept` returns for it. */
export function wire(s: Duplex, accept: (transport: Transport) => TransportEvents): Transport {
  (s as Socket).setNoDelay?.(true);
  let address: string | undefined;
  const queue = new WriteQueue();
  let ending = false;
  // Hands the stream what waits until it is backed up again.
  const flush = () => {
    for (let chunk = queue.next(); chunk && !s.writableNeedDrain; chunk = queue.next()) {
      s.write(chunk);
      queue.wrote(chunk.length);
    }
  };
  const transport: Transport = {
    write(chunks) {
      if (s.destroyed) return false;
      if (s.writableNeedDrain || queue.bufferedAmount > 0) {
        queue.push(chunks);
        return false;
      }
      s.cork();
      for (const c of chunks) s.write(c);
      s.uncork();
      return !s.writableNeedDrain;
    },
    get bufferedAmount() {
      return s.writableLength + queue.bufferedAmount;
    },
    // After what waits in the queue, if anything does.
    end: () => {
      ending = true;
      if (queue.bufferedAmount === 0) s.end();
    },
    destroy: () => s.destroy(),
    pause: () => s.pause(),
    resume: () => s.resume(),
    // Kept once known: node forgets a socket's peer once it is closed.
    get remoteAddress() {
      return (address ??= (s as Socket).remoteAddress);
    },
  };
  const events = accept(transport);
  s.on("data", (chunk: Buffer) => events.data(chunk));
  s.on("drain", () => {
    flush();
    if (queue.bufferedAmount > 0) return;
    if (ending) s.end();
    events.drain();
  });
  s.on("error", (err) => events.error(err));
  s.on("close", () => {
    queue.clear();
    events.close();
  });
  // http's sockets allow half-open; a peer that ends its side gets ours ended too.
  s.on("end", () => s.end());
  return transport;
}
