// Floor server for the idle-memory benchmark on Deno: Deno.listen, a 101 with crypto.subtle's SHA-1,
// then the socket is only held: one pending read per connection, as a real server holds, its bytes
// discarded (no framing). What a connection costs on this API before any WebSocket work: our server's
// memory figure minus this one is what our engine adds.
// Run with: deno run -A bench/peers/deno-floor.ts [--deflate] --port N
// --deflate: a permessage-deflate offer is accepted in the 101, and nothing is ever inflated.
import { BAD_REQUEST, GUID, MAX_HEAD, parseUpgrade, portArg } from "./raw-upgrade.js";

// Minimal declarations so the repo's Node-typed tsc accepts this Deno-only file.
interface Conn {
  read(p: Uint8Array): Promise<number | null>;
  write(p: Uint8Array): Promise<number>;
  close(): void;
}
declare const Deno: {
  args: string[];
  listen(options: { hostname: string; port: number }): { accept(): Promise<Conn> };
};

// The smallest read buffer our Deno host keeps for an idle connection (host-deno/connection.ts).
const READ_BUFFER = 256;
const port = portArg(Deno.args, "deno run -A bench/peers/deno-floor.ts [--deflate] --port N");
const deflate = Deno.args.includes("--deflate");
const latin1 = new TextDecoder("latin1");
const encoder = new TextEncoder();

async function writeAll(conn: Conn, bytes: Uint8Array): Promise<void> {
  for (let at = 0; at < bytes.length; ) at += await conn.write(bytes.subarray(at));
}

async function accept(key: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-1", encoder.encode(key + GUID)));
  return btoa(String.fromCharCode(...digest));
}

async function hold(conn: Conn): Promise<void> {
  const buffer = new Uint8Array(READ_BUFFER);
  try {
    let head = "";
    let end = -1;
    while (end < 0) {
      const n = await conn.read(buffer);
      if (n === null || head.length > MAX_HEAD) return;
      head += latin1.decode(buffer.subarray(0, n));
      end = head.indexOf("\r\n\r\n");
    }
    const upgrade = parseUpgrade(head.slice(0, end + 2), deflate);
    if (upgrade === undefined) return void (await writeAll(conn, encoder.encode(BAD_REQUEST)));
    await writeAll(conn, encoder.encode(upgrade.response(await accept(upgrade.key))));
    while ((await conn.read(buffer)) !== null) {
      // Read and discard until the client goes.
    }
  } catch {
    // Reset by the client: the connection is gone either way.
  } finally {
    try {
      conn.close();
    } catch {
      // Closed already.
    }
  }
}

const listener = Deno.listen({ hostname: "127.0.0.1", port });
for (;;) {
  try {
    void hold(await listener.accept());
  } catch {
    // A connection reset before it was accepted (NotConnected): the listener itself is fine.
  }
}
