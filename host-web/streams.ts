// The client's bytes over a WHATWG stream pair (a worker's connect() socket, or any other):
// the read loop feeds the sink, a writer takes the frames. I/O only; the protocol is host-core's.
import type { ClientConnection, ClientSink, ClientTarget } from "../host-core/client.ts";

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
 * Opens the pair and drives it. The sink hears nothing before dial returns: data, error and
 * closed all come from promise callbacks, closed exactly once.
 */
export function dialStreams(open: OpenStreams, target: ClientTarget, sink: ClientSink): ClientConnection {
  let pair: StreamPair | undefined;
  let writer: WritableStreamDefaultWriter<Uint8Array> | undefined;
  let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  let early: Uint8Array[] = []; // written before the pair is up
  let buffered = 0; // bytes given to write() that the writer has not yet accepted
  let done = false;

  // Ends it once: an error or destroy() aborts pending writes, the peer's end lets them flush.
  const finish = (error?: unknown, abort = error !== undefined) => {
    if (done) return;
    done = true;
    if (error !== undefined) sink.error(asError(error));
    reader?.cancel().catch(ignore);
    const flushed = writer ? (abort ? writer.abort(error) : writer.close()) : Promise.resolve();
    flushed
      .catch(ignore)
      .then(() => pair?.close?.())
      .catch(ignore);
    sink.closed();
  };

  const put = (chunk: Uint8Array) => {
    buffered += chunk.byteLength;
    writer!.write(chunk).then(() => {
      buffered -= chunk.byteLength;
    }, finish);
  };

  // One sink.data() per chunk the stream yields; its end (the peer closed TCP) ends the connection.
  const pump = async (r: ReadableStreamDefaultReader<Uint8Array>) => {
    try {
      for (let next = await r.read(); !next.done && !done; next = await r.read()) sink.data(next.value);
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
    void pump(reader);
  };

  Promise.resolve()
    .then(() => open(target))
    .then(start)
    .catch(finish);

  return {
    write(chunks) {
      if (done) return;
      if (writer) for (const c of chunks) put(c);
      else
        for (const c of chunks) {
          early.push(c);
          buffered += c.byteLength;
        }
    },
    get bufferedAmount() {
      return buffered;
    },
    destroy: () => void Promise.resolve().then(() => finish(undefined, true)),
  };
}
