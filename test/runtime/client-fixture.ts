// Our client's browser behaviours in one runtime, run unchanged by node, deno and bun against the ws
// server at WS_URL (test/client-runtimes.test.ts): `/echo` echoes, `/paused` stops reading for a
// while. Prints one JSON report of what the client saw.
import { env } from "node:process";
import { WebSocket } from "../../host-auto/index.ts";

type Socket = InstanceType<typeof WebSocket>;
const base = env.WS_URL!;
const hex = (bytes: Uint8Array) => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const next = (ws: Socket, type: string) =>
  new Promise<Event>((resolve) => ws.addEventListener(type, resolve, { once: true }));

async function open(path: string): Promise<Socket> {
  const ws = new WebSocket(base + path);
  await next(ws, "open");
  return ws;
}

/** What f threw, as "Class name", e.g. "DOMException SyntaxError". */
function thrown(f: () => unknown): string {
  try {
    f();
    return "nothing";
  } catch (e) {
    return `${(e as Error).constructor.name} ${(e as Error).name}`;
  }
}

const report: Record<string, unknown> = {};

// binaryType is "blob" by default; a value outside the enumeration is ignored.
{
  const ws = await open("/echo");
  report.binaryType = ws.binaryType;
  const reply = next(ws, "message");
  ws.send(new Uint8Array([1, 2, 3]));
  const data = ((await reply) as MessageEvent).data;
  report.blob = data instanceof Blob ? hex(new Uint8Array(await data.arrayBuffer())) : String(data);
  ws.binaryType = "bogus" as never;
  report.bogus = ws.binaryType;
  ws.binaryType = "nodebuffer";
  report.nodebuffer = ws.binaryType;
  ws.close();
  await next(ws, "close");
}

// A view's bytes and a Blob, in order with the string after it; bufferedAmount counts payload
// bytes only, and keeps those sent once closing has begun.
{
  const ws = await open("/echo");
  ws.binaryType = "arraybuffer";
  const replies: string[] = [];
  ws.onmessage = (e) =>
    replies.push(typeof e.data === "string" ? `text ${e.data}` : `binary ${hex(new Uint8Array(e.data))}`);
  const buffered: number[] = [];
  ws.send("héllo");
  buffered.push(ws.bufferedAmount);
  ws.send(new Uint16Array([0x0102, 0x0304, 0x0506, 0x0708]));
  buffered.push(ws.bufferedAmount);
  ws.send(new DataView(new Uint8Array([9, 8, 7, 6]).buffer, 1, 2));
  buffered.push(ws.bufferedAmount);
  ws.send(new Blob([new Uint8Array([0xb1, 0xb2])]));
  buffered.push(ws.bufferedAmount);
  ws.send("after the blob");
  buffered.push(ws.bufferedAmount);
  report.buffered = buffered;
  report.sendNumber = thrown(() => ws.send(123 as never));
  report.closeCode = thrown(() => ws.close(1001));
  report.closeReason = thrown(() => ws.close(1000, "é".repeat(62)));
  while (replies.length < 5) await sleep(5);
  report.replies = replies;
  report.drained = ws.bufferedAmount;
  ws.close();
  ws.send(new Uint8Array(10));
  await next(ws, "close");
  report.afterClose = ws.bufferedAmount;
}

// While the server does not read, bufferedAmount holds at most what was sent; it drains to 0.
{
  const ws = await open("/paused");
  const size = 16 * 1024 * 1024;
  ws.send(new Uint8Array(size));
  await sleep(100);
  const held = ws.bufferedAmount;
  report.paused = { held: held > 0 && held <= size, partly: held < size };
  while (ws.bufferedAmount > 0) await sleep(5);
  ws.close();
  await next(ws, "close");
}

report.badUrls = ["not a url", "ftp://127.0.0.1/", "ws://127.0.0.1/#"].map((url) =>
  thrown(() => new WebSocket(url)),
);
report.badHeader = thrown(() => new WebSocket(base, [], { headers: { "X-Evil": "a\r\nb" } }));

{
  const ws = new WebSocket("ws://127.0.0.1:1/");
  const { error } = (await next(ws, "error")) as unknown as { error: { code: string; cause: unknown } };
  report.refused = { code: error.code, cause: error.cause instanceof Error, readyState: ws.readyState };
}

console.log(JSON.stringify(report));
