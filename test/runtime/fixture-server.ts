// The server side of test/runtime/suite.ts, run unchanged by node, deno and bun: one server per group
// of tests on 127.0.0.1, all with the same handler. It prints one JSON line with their ports, then one
// JSON line per server-side event, so tests can assert what the server saw.
//
// Every message is echoed as it came, except text starting with "!", a command:
//   !close [code] [reason]   ws.close(code, reason)
//   !ping data               ws.ping(data)
//   !terminate               ws.terminate()
//   !pause ms                ws.pause(), ws.resume() after ms
//   !flood count size        count binary messages of size bytes in one go, each starting with its
//                            index (u32), ignoring send()'s answer; logs those answers
//   !shutdown                server.close()
import { serve } from "../../host-auto/index.ts";

type ServeOptions = Parameters<typeof serve>[0];
type Handler = ServeOptions["handler"];
type Socket = Parameters<NonNullable<Handler["open"]>>[0];
type Server = Awaited<ReturnType<typeof serve>>;

const options: Record<string, Omit<ServeOptions, "handler">> = {
  echo: {},
  protocols: { protocols: ["chat", "superchat"] },
  gate: { origins: ["https://good.example"], path: ["/only", "/rooms/*"] },
  limits: {
    maxPayload: 1024,
    maxConnections: 3,
    handshakeTimeout: 300,
    idleTimeout: 400,
    closeTimeout: 300,
  },
  backpressure: { highWaterMark: 64 * 1024, backpressureLimit: 0 },
  shutdown: {},
};

const servers: Record<string, Server> = {};
const utf8 = new TextDecoder();
const log = (line: Record<string, unknown>) => console.log(JSON.stringify(line));

/** One line about a connection; its path tells the test which of its connections it was. */
function seen(server: string, event: string, ws: Socket, more: Record<string, unknown> = {}): void {
  log({ server, event, path: ws.path, ...more });
}

function handler(server: string): Handler {
  return {
    open: (ws) => seen(server, "open", ws, { protocol: ws.protocol }),
    message: (ws, data, isBinary) => {
      if (typeof data === "string" && data.startsWith("!")) command(server, ws, data.slice(1).split(" "));
      else ws.send(data, { binary: isBinary });
    },
    close: (ws, code, reason) => seen(server, "close", ws, { code, reason }),
    drain: (ws) => seen(server, "drain", ws, { bufferedAmount: ws.bufferedAmount }),
    error: (ws, err) => seen(server, "error", ws, { code: err.code }),
    ping: (ws, data) => seen(server, "ping", ws, { data: utf8.decode(data) }),
    pong: (ws, data) => seen(server, "pong", ws, { data: utf8.decode(data) }),
  };
}

function command(server: string, ws: Socket, [name, ...args]: string[]): void {
  switch (name) {
    case "close":
      ws.close(args[0] ? Number(args[0]) : undefined, args.slice(1).join(" ") || undefined);
      break;
    case "ping":
      ws.ping(args.join(" "));
      break;
    case "terminate":
      ws.terminate();
      break;
    case "pause":
      ws.pause();
      seen(server, "paused", ws);
      setTimeout(() => {
        seen(server, "resumed", ws);
        ws.resume();
      }, Number(args[0]));
      break;
    case "flood": {
      const [count, size] = args.map(Number);
      const results: boolean[] = [];
      for (let i = 0; i < count; i++) {
        const chunk = new Uint8Array(size).fill(i & 0xff);
        new DataView(chunk.buffer).setUint32(0, i);
        results.push(ws.send(chunk, { binary: true }));
      }
      const firstFalse = results.indexOf(false);
      const accepted = results.filter(Boolean).length;
      seen(server, "flood", ws, { firstFalse, accepted, bufferedAmount: ws.bufferedAmount });
      break;
    }
    case "shutdown":
      seen(server, "shutdown", ws);
      servers[server].close().then(() => log({ server, event: "closed" }));
      break;
    default:
      ws.send(`unknown command ${name}`);
  }
}

const ports: Record<string, number> = {};
for (const [name, o] of Object.entries(options)) {
  servers[name] = await serve({ host: "127.0.0.1", port: 0, ...o, handler: handler(name) });
  ports[name] = servers[name].port;
}
log({ ready: true, ports });
