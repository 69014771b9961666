// The adapter contract, for servers and clients alike: an adapter turns one runtime byte stream
// (node:net, Deno.Conn, a Bun socket, a WHATWG stream pair) into a Transport, and reports what
// happens on it through TransportEvents. Everything above this file is runtime-neutral.

/** One byte stream as host-core drives it. */
export interface Transport {
  /**
   * Writes chunks in order, keeping what the runtime cannot take yet (the chunks, not the array,
   * which the caller reuses); false once past its high-water mark.
   */
  write(chunks: Uint8Array[]): boolean;
  /** Bytes given to write() and not yet handed to the OS. */
  readonly bufferedAmount: number;
  /**
   * Half-closes once everything written has gone; reading goes on, so the peer's end is seen.
   * `complete`: the closing handshake is done, nothing more is to be read, and the adapter may
   * close fully instead (no shutdown, no wait for the peer's FIN). `close` is then reported after
   * the call, as with destroy().
   */
  end(complete?: boolean): void;
  /** Closes at once, dropping unsent bytes. Must not report `close` from inside the call. */
  destroy(): void;
  /** Stops reading: the peer's TCP window fills and holds what it sends. */
  pause(): void;
  resume(): void;
  /**
   * True when each chunk given to `events.receive` is the receiver's to keep and change: a buffer
   * of its own per read that the runtime does not touch again (Node's sockets, Bun's). Sessions
   * then unmask whole messages in it and hand out views of it instead of copies.
   */
  readonly givesChunks?: boolean;
  /** The peer's address, when the runtime knows it. */
  readonly remoteAddress: string | undefined;
  /**
   * Where the adapter reports, read at each event: a server points it from the handshake to the
   * open WebSocket, so an open connection keeps no object in between.
   */
  events: TransportEvents;
}

/** What an adapter reports about its Transport, in the order it happens. */
export interface TransportEvents {
  /** Bytes received; the view is valid only during the call (adapters may reuse it) unless given. */
  receive(chunk: Uint8Array): void;
  /** Everything written has been handed to the OS. */
  drained(): void;
  /** The connection failed (reset, refused, a TLS error); `closed` follows. */
  error(err: Error): void;
  /** The connection is gone: once, also after destroy(). */
  closed(): void;
}
