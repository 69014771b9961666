// The client's bytes over a WHATWG stream pair (a worker's connect() socket, or any other) as
// host-core's Transport: the read loop reports what arrives, a writer (which queues) takes the frames.
import type { ClientTarget } from "../host-core/client.ts";
import type { Transport, TransportEvents } from "../host-core/transport.ts";

/** A byte stream pair, e.g. what `connect()` from `cloudflare:sockets` returns. */
export interface StreamPair {
  readable: ReadableStream<Uint8Array>;
  writable: WritableStream<Uint8Array>;
  /** Ends both directions; called once the connection is done with. */
  close?(): unknown;
}

/** Opens the stream pair for a target (host, port, secure for wss://). */
export type OpenStreams = (target: ClientTarget) => StreamPair | Promise<StreamPair>;

const asError = (e: unknown): Error => (e instanceof Error ? e : new Error(String(e)));
const ignore = () => {};

/**
 * Opens the pair and drives it. Nothing is reported before dialStreams returns: receive, drained,
 * error and closed all come from promise callbacks, closed exactly once.
 */
export function dialStreams(open: OpenStreams, target: ClientTarget, events: TransportEvents): Transport {
  let pair: StreamPair | undefined;
  let writer: WritableStreamDefaultWriter<Uint8Array> | undefined;
  let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  let early: Uint8Array[] = []; // written before the pair is up
  let buffered = 0; // bytes given to write() that the writer has not yet accepted
  let closing: Promise<unknown> | undefined; // the writer's close, by end() or the peer's end
  let ending = false;
  let paused = false;
  let unpause: (() => void) | undefined;
  let done = false;

  const close = () => (closing ??= writer!.close());

  // Ends it once: an error or destroy() aborts pending writes, the peer's end lets them flush.
  const finish = (error?: unknown, abort = error !== undefined) => {
    if (done) return;
    done = true;
    if (error !== undefined) transport.events.error(asError(error));
    reader?.cancel().catch(ignore);
    const flushed = writer ? (abort ? writer.abort(error) : close()) : Promise.resolve();
    flushed
      .catch(ignore)
      .then(() => pair?.close?.())
      .catch(ignore);
    transport.events.closed();
  };

  const put = (chunk: Uint8Array) => {
    buffered += chunk.byteLength;
    writer!.write(chunk).then(() => {
      buffered -= chunk.byteLength;
      if (buffered === 0 && !done) transport.events.drained();
    }, finish);
  };

  // One events.receive() per chunk the stream yields, none while paused: the next read waits for
  // resume(). The stream's end (the peer closed TCP) ends the connection.
  const pump = async (r: ReadableStreamDefaultReader<Uint8Array>) => {
    try {
      for (let next = await r.read(); !next.done && !done; next = await r.read()) {
        if (paused) await new Promise<void>((go) => (unpause = go));
        if (!done) transport.events.receive(next.value);
      }
      finish();
    } catch (e) {
      finish(e);
    }
  };

  const start = (p: StreamPair) => {
    if (done) return void Promise.resolve(p.close?.()).catch(ignore);
    pair = p;
    writer = p.writable.getWriter();
    reader = p.readable.getReader();
    buffered = 0;
    for (const c of early) put(c);
    early = [];
    if (ending) close().catch(ignore);
    void pump(reader);
  };

  Promise.resolve()
    .then(() => open(target))
    .then(start)
    .catch(finish);

  const transport: Transport = {
    events,
    write(chunks) {
      if (done || ending) return false;
      if (writer) for (const c of chunks) put(c);
      else
        for (const c of chunks) {
          early.push(c);
          buffered += c.byteLength;
        }
      return (writer?.desiredSize ?? 0) > 0;
    },
    get bufferedAmount() {
      return buffered;
    },
    end() {
      if (ending || done) return;
      ending = true;
      if (writer) close().catch(ignore);
    },
    destroy: () => void Promise.resolve().then(() => finish(undefined, true)),
    pause() {
      paused = true;
    },
    resume() {
      paused = false;
      unpause?.();
    },
    remoteAddress: undefined,
  };
  return transport;
}
