// A TCP proxy that breaks a good peer on purpose, to prove the suite notices: it can rewrite the
// opening handshake either way, and rewrite frames the server sends after it.
import { connect, createServer, type Socket } from "node:net";
import { encodeFrame, FrameReader, type RawFrame } from "./wire.ts";

export interface Mutations {
  /** Rewrite the client's request head (text up to and including the blank line). */
  request?(head: string): string;
  /** Rewrite the server's response head. */
  response?(head: string): string;
  /** Rewrite the n-th (0-based) frame the server sends after its response head. */
  serverFrame?(f: RawFrame, n: number): RawFrame;
}

export interface Proxy {
  port: number;
  close(): Promise<void>;
}

/** Listens on 127.0.0.1 and forwards each connection to 127.0.0.1:`target`, applying `m`. */
export async function startMutatingProxy(target: number, m: Mutations): Promise<Proxy> {
  const sockets = new Set<Socket>();
  const server = createServer((down) => {
    const up = connect(target, "127.0.0.1");
    for (const s of [down, up]) {
      sockets.add(s);
      s.on("close", () => sockets.delete(s));
      s.on("error", () => {});
    }
    down.on("close", () => up.destroy());
    up.on("close", () => down.destroy());
    pipeHead(down, up, m.request);
    pipeHead(up, down, m.response, m.serverFrame);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  return {
    port: (server.address() as { port: number }).port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Forward `from` to `to`: the HTTP head through `head`, then frames through `frame` (if given). */
function pipeHead(
  from: Socket,
  to: Socket,
  head?: (h: string) => string,
  frame?: (f: RawFrame, n: number) => RawFrame,
): void {
  let buffered = Buffer.alloc(0);
  let inHead = true;
  const reader = new FrameReader();
  let n = 0;
  const forward = (data: Buffer) => {
    if (!frame) return void to.write(data);
    reader.push(data);
    for (let f = reader.next(); f; f = reader.next()) {
      const g = frame(f, n++);
      const bytes = encodeFrame({ op: g.op, payload: g.payload, fin: g.fin, rsv: g.rsv }, g.masked);
      to.write(bytes);
    }
  };
  from.on("data", (chunk: Buffer) => {
    if (!inHead) return forward(chunk);
    buffered = Buffer.concat([buffered, chunk]);
    const end = buffered.indexOf("\r\n\r\n");
    if (end < 0) return;
    inHead = false;
    const text = buffered.subarray(0, end + 4).toString("latin1");
    to.write(Buffer.from(head ? head(text) : text, "latin1"));
    const rest = buffered.subarray(end + 4);
    if (rest.length) forward(rest);
  });
}
