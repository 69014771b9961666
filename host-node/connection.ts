// One node stream (a net or tls socket, or an http server's upgraded Duplex) as host-core's Transport,
// for servers and clients alike. Node's streams queue writes themselves: this only translates.
import type { Socket } from "node:net";
import type { Duplex } from "node:stream";
import type { Transport, TransportEvents } from "../host-core/transport.ts";

/** The stream as a Transport; its events go to what `accept` returns for it. */
export function wire(s: Duplex, accept: (transport: Transport) => TransportEvents): Transport {
  (s as Socket).setNoDelay?.(true);
  let address: string | undefined;
  const transport: Transport = {
    write(chunks) {
      if (s.destroyed) return false;
      s.cork();
      for (const c of chunks) s.write(c);
      s.uncork();
      return !s.writableNeedDrain;
    },
    get bufferedAmount() {
      return s.writableLength;
    },
    end: () => s.end(),
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
  s.on("drain", () => events.drain());
  s.on("error", (err) => events.error(err));
  s.on("close", () => events.close());
  // http's sockets allow half-open; a peer that ends its side gets ours ended too.
  s.on("end", () => s.end());
  return transport;
}
