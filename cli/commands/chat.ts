// wasmsock chat: a page at / and a chat endpoint at /chat?name=NAME&room=ROOM on one HTTP server.
// A room is the pub/sub topic "room:ROOM": a joiner gets who is there and the last 50 messages,
// then every message, join and leave, each with a timestamp. With --redis the topics, the presence
// lists and the histories live in Redis, so one chat spans every process given the same URL.
import { createServer as createHttp, type IncomingMessage, type ServerResponse } from "node:http";
import { createServer as createHttps } from "node:https";
import type { WebSocketServer } from "../../host-core/server.ts";
import type { WebSocketHandler } from "../../host-core/socket.ts";
import { Deno } from "../../host-deno/deno-api.ts";
import { attach } from "../../host-node/index.ts";
import { UsageError } from "../args.ts";
import { chatPage, NAME } from "../chat-page.ts";
import { type Command, withDefaults, wsUrl } from "../command.ts";
import { logged } from "../log.ts";
import { redisFor } from "../redis.ts";
import { type Line, memoryRooms, type Rooms, redisRooms } from "./chat-rooms.ts";

const ROOM = /^[A-Za-z0-9_-]{1,32}$/;
const MAX_TEXT = 2000;
// A joiner waits at most this long for its welcome: node-redis holds commands while Redis is down.
const JOIN_MS = 5000;

interface Member {
  id: string;
  name: string;
  room: string;
  /** Set by open: whether its join went out (its leave must follow it, and only then). */
  joined?: Promise<boolean>;
}

export const chat: Command = {
  name: "chat",
  summary: "a chat page with rooms, presence and history (rooms are pub/sub topics)",
  usage: "wasmsock chat [--port N] [--redis URL] [options]",
  options: [],
  topics: true,
  notes: ["Open http://HOST:PORT/ in a browser; the page's WebSocket is /chat?name=NAME&room=ROOM."],
  check(opts) {
    // The page and the endpoint share a node:http server, and Bun's takes no reusePort.
    if ("Bun" in globalThis && ((opts.workers as number | undefined) ?? 1) > 1)
      throw new UsageError("--workers: chat on Bun serves one process (Bun's node:http cannot share a port)");
  },
  async run({ opts, listen, log }) {
    const redis = opts.redis ? await redisFor(opts.redis as string) : undefined;
    const rooms = redis ? redisRooms(redis.client) : memoryRooms();
    const page = (req: IncomingMessage, res: ServerResponse) => {
      const path = (req.url ?? "/").split("?")[0];
      if (path !== "/" || (req.method !== "GET" && req.method !== "HEAD"))
        return void res.writeHead(404, { "content-type": "text/plain" }).end("not found\n");
      res
        .writeHead(200, { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" })
        .end(chatPage);
    };
    // Deno's node:https takes any certificate and key, then fails every handshake; Deno's own TLS
    // listener, on a free port, refuses a pair it cannot use at once, as serve() does on Deno.
    if (listen.tls && "Deno" in globalThis)
      Deno.listenTls({ hostname: listen.host, port: 0, ...listen.tls }).close();
    const http = listen.tls ? createHttps(listen.tls, page) : createHttp(page);
    const { port, host, tls, reusePort, backlog, noDelay, keepAlive, ...policy } = withDefaults(
      { maxPayload: 64 * 1024 },
      listen,
    );
    let server: WebSocketServer<Member> | undefined;
    const { handler, settled } = chatHandler(rooms, (topic, text) => server?.publish(topic, text));
    server = attach<Member>(http, {
      ...policy,
      path: "/chat",
      backplane: redis?.backplane,
      handler: logged(handler, log),
    });
    if (keepAlive) http.on("connection", (s) => s.setKeepAlive(true));
    await new Promise<void>((resolve, reject) => {
      http.once("error", reject);
      http.listen({ port, host, backlog, ...(reusePort ? { reusePort } : {}) }, () => resolve());
    });
    const actual = (http.address() as { port: number }).port;
    const url = wsUrl(listen, actual).replace(/^ws/, "http");
    return {
      url,
      async close() {
        const closed = new Promise<void>((resolve) => http.close(() => resolve()));
        http.closeAllConnections?.();
        await server.close();
        await closed;
        // The process exits next: the leaves of the peers just closed must reach Redis first, if
        // it answers at all.
        await Promise.race([settled(), new Promise((resolve) => setTimeout(resolve, JOIN_MS))]);
      },
    };
  },
};

/** The endpoint, and settled(): resolves once every leave begun so far is stored and published. */
export function chatHandler(
  rooms: Rooms,
  publish: (topic: string, text: string) => void,
): { handler: WebSocketHandler<Member>; settled(): Promise<void> } {
  const topic = (room: string) => `room:${room}`;
  const leaving = new Set<Promise<void>>();
  const handler: WebSocketHandler<Member> = {
    upgrade(request) {
      const query = new URL(request.url).searchParams;
      const name = (query.get("name") ?? "").trim();
      const room = query.get("room") ?? "lobby";
      if (!NAME.test(name)) return new Response("name: 1-32 characters\n", { status: 400 });
      if (!ROOM.test(room)) return new Response("room: 1-32 of A-Z a-z 0-9 _ -\n", { status: 400 });
      return { data: { id: crypto.randomUUID().slice(0, 8), name, room } };
    },
    open(ws) {
      const { id, name, room } = ws.data;
      ws.subscribe(topic(room));
      let late = false;
      const welcome = async () => {
        await rooms.join(room, id, name);
        const [{ present, gone }, history] = await Promise.all([rooms.members(room), rooms.history(room)]);
        // Members of a process that died without its leaves: the pages still open learn it here.
        for (const m of gone)
          ws.publish(topic(room), JSON.stringify({ type: "leave", ...m, ts: Date.now() }));
        if (late) return;
        ws.send(JSON.stringify({ type: "welcome", you: { id, name }, room, members: present, history }));
        ws.publish(topic(room), JSON.stringify({ type: "join", id, name, ts: Date.now() })); // to the others
      };
      let timer: ReturnType<typeof setTimeout> | undefined;
      const tooLate = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          late = true;
          reject(new Error(`room ${room}: no answer in ${JOIN_MS / 1000} s`));
        }, JOIN_MS);
      });
      ws.data.joined = Promise.race([welcome(), tooLate]).then(
        () => {
          clearTimeout(timer);
          return true;
        },
        (err) => {
          clearTimeout(timer);
          console.error(`wasmsock chat: ${err}`);
          ws.close(1011, "room unavailable");
          return false;
        },
      );
    },
    message(ws, data, isBinary) {
      if (isBinary || typeof data !== "string") return;
      const text = clip(data, MAX_TEXT);
      if (text.trim() === "") return;
      const { id, name, room } = ws.data;
      const line: Line = { type: "message", id, name, text, ts: Date.now() };
      rooms.remember(room, line).catch(() => {}); // the message still goes out
      publish(topic(room), JSON.stringify(line));
    },
    close(ws) {
      const { id, name, room, joined } = ws.data;
      // After the join: a leave published first would leave a ghost on the others' pages.
      const left = (async () => {
        const published = await joined;
        await rooms.leave(room, id);
        if (published) publish(topic(room), JSON.stringify({ type: "leave", id, name, ts: Date.now() }));
      })();
      leaving.add(left);
      void left.finally(() => leaving.delete(left));
    },
  };
  return {
    handler,
    settled: async () => void (await Promise.all(leaving)),
  };
}

/** At most max UTF-16 units, without splitting a surrogate pair. */
function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  const last = text.charCodeAt(max - 1);
  return text.slice(0, last >= 0xd800 && last <= 0xdbff ? max - 1 : max);
}
