// The opening handshake (RFC 6455 section 4.2) as the reference servers answer it over raw TCP:
// the floor servers (node-floor.js, deno-floor.ts, bun-floor.ts) and the ceiling (tcp-ceiling.js).
// Parsing and the 101's text only; each runtime computes Sec-WebSocket-Accept with its own SHA-1.

/** Section 4.2.2 item 5.4: appended to the key before SHA-1. */
export const GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/** A request head larger than this is refused (the generator's are about 200 bytes). */
export const MAX_HEAD = 8192;

function header(head, name) {
  const m = new RegExp(`\\r\\n${name}:[ \\t]*([^\\r\\n]*?)[ \\t]*\\r\\n`, "i").exec(head);
  return m === null ? undefined : m[1];
}

/**
 * RFC 7692 section 7.1: with `deflate`, a permessage-deflate offer is accepted with the
 * no_context_takeover parameters it named (section 7.1.1), nothing else negotiated.
 */
function extensionAnswer(offer, deflate) {
  if (!deflate || offer === undefined) return undefined;
  const [name, ...params] = offer
    .split(",")[0]
    .split(";")
    .map((p) => p.trim().toLowerCase());
  if (name !== "permessage-deflate") return undefined;
  const takeover = params.filter(
    (p) => p === "client_no_context_takeover" || p === "server_no_context_takeover",
  );
  return ["permessage-deflate", ...takeover].join("; ");
}

/**
 * Reads a request head (latin1, up to and including the blank line). Returns the key to hash and a
 * function that builds the 101 from the accept value, or undefined when it is no WebSocket upgrade.
 */
export function parseUpgrade(head, deflate = false) {
  const key = header(head, "sec-websocket-key");
  if (!head.startsWith("GET ") || key === undefined || header(head, "upgrade")?.toLowerCase() !== "websocket")
    return undefined;
  const extensions = extensionAnswer(header(head, "sec-websocket-extensions"), deflate);
  return {
    key,
    response: (accept) =>
      "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
      `Sec-WebSocket-Accept: ${accept}\r\n` +
      (extensions === undefined ? "" : `Sec-WebSocket-Extensions: ${extensions}\r\n`) +
      "\r\n",
  };
}

export const BAD_REQUEST = "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";

/**
 * A request head read so far (latin1, one character per byte): undefined while incomplete, TOO_LARGE
 * past MAX_HEAD, else what parseUpgrade makes of it (undefined for no upgrade) and how many frame
 * bytes came after it.
 */
export function completeHead(head, deflate) {
  const end = head.indexOf("\r\n\r\n");
  if (end < 0) return head.length > MAX_HEAD ? TOO_LARGE : undefined;
  return { upgrade: parseUpgrade(head.slice(0, end + 2), deflate), early: head.length - (end + 4) };
}

export const TOO_LARGE = "too large";

/**
 * Reads a node:net socket's request head, then calls `upgraded(upgrade, early)` with what
 * parseUpgrade returned and the frame bytes that came with the head (or undefined); a head that
 * does not parse gets a 400, one past MAX_HEAD the end of the connection.
 */
export function readHead(socket, deflate, upgraded) {
  let head = "";
  const onHead = (chunk) => {
    head += chunk.toString("latin1");
    const done = completeHead(head, deflate);
    if (done === TOO_LARGE) return void socket.destroy();
    if (done === undefined) return;
    socket.off("data", onHead);
    head = "";
    if (done.upgrade === undefined) return void socket.end(BAD_REQUEST);
    // The bytes after the head are the end of this chunk.
    upgraded(done.upgrade, done.early > 0 ? chunk.subarray(chunk.length - done.early) : undefined);
  };
  socket.on("data", onHead);
}

/** `--port N` from argv, or exit with the usage line (Deno 2 and Bun have Node's `process`). */
export function portArg(argv, usage) {
  const i = argv.indexOf("--port");
  const port = Number(argv[i + 1]);
  if (i < 0 || !Number.isInteger(port)) {
    console.error(`usage: ${usage}`);
    process.exit(2);
  }
  return port;
}
