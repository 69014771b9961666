// Server memory per idle connection: RSS before and after opening many handshaken connections.
import type { Socket } from "node:net";
import { closeFrame } from "../frames.ts";
import { headerValue, openWebSocket } from "../handshake.ts";
import { rssKiB } from "../proc.ts";
import type { Runtime } from "../servers.ts";
import { type Result, type Scenario, sleep, type Target } from "./scenario.ts";

const OPEN_CONCURRENCY = 128;
const WARM_CONNECTIONS = 200;
const SETTLE_MS = 1000;
// JavaScriptCore's collector frees what a burst of handshakes left behind some 8-14 s after it (ours
// on Bun: 2.0 KiB per connection until then, 1.1-1.4 from then on), while Bun.serve's and
// Bun.listen's figures do not move, and ours and ws on Node and ours on Deno stayed flat for 15 s.
// So on Bun an idle connection's cost is the lowest reading over a longer wait, before and after,
// for every server alike (the baseline's watch lets the warm-up's garbage go first).
const IDLE_WATCH_MS: Record<Runtime, number> = { node: 0, deno: 0, bun: 16_000 };
const WATCH_EVERY_MS = 500;

/** The lowest RSS (KiB) read over `ms`, every WATCH_EVERY_MS; one reading now when ms is 0. */
async function lowestRss(pid: number, ms: number): Promise<number> {
  let lowest = rssKiB(pid);
  for (let waited = 0; waited < ms; waited += WATCH_EVERY_MS) {
    await sleep(WATCH_EVERY_MS);
    lowest = Math.min(lowest, rssKiB(pid));
  }
  return lowest;
}

async function openMany(port: number, count: number, held: Socket[], offer?: string): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < count) {
      next++;
      const { socket, head } = await openWebSocket(port, 10_000, { extensions: offer });
      if (
        offer !== undefined &&
        !headerValue(head, "sec-websocket-extensions")?.includes("permessage-deflate")
      )
        throw new Error("memory: the server did not negotiate permessage-deflate");
      held.push(socket);
    }
  };
  await Promise.all(Array.from({ length: Math.min(OPEN_CONCURRENCY, count) }, worker));
}

// V8 leaves the garbage of the handshakes in its young generation (up to 16 MiB a semi-space by
// default) until allocation fills it, and an idle server allocates nothing: divided by 10,000
// connections that allowance reads as up to 1.6 KiB of each. Capped at 1 MiB, what the division
// shows is mostly what a connection keeps.
const CAPPED_YOUNG = ["--max-semi-space-size=1"];

interface IdleMemoryOptions {
  name: string;
  /** Every connection negotiates permessage-deflate (servers started with --deflate). */
  extensions?: string;
  /** V8's young generation capped at 1 MiB in every server on Node and Deno. */
  cappedYoung?: boolean;
}

export function idleMemory(connections: number, options?: IdleMemoryOptions): Scenario {
  const offer = options?.extensions;
  const capped = options?.cappedYoung === true;
  return {
    name: options?.name ?? "memory",
    unit: "KiB/conn",
    higherIsBetter: false,
    describe:
      `server RSS growth over ${connections} idle connections` +
      `${offer ? `, offering ${offer}` : ""}${capped ? `, V8 with ${CAPPED_YOUNG.join(" ")} (Bun as without)` : ""}`,
    serverArgs: offer ? ["--deflate"] : undefined,
    v8Flags: capped ? CAPPED_YOUNG : undefined,
    floor: true,
    async run(target: Target): Promise<Result> {
      const held: Socket[] = [];
      let dropped = 0;
      try {
        // Warm the accept and upgrade paths so their one-time cost is not charged to connections.
        const warm: Socket[] = [];
        await openMany(target.port, WARM_CONNECTIONS, warm, offer);
        const closing = closeFrame();
        for (const s of warm) s.write(closing);
        await sleep(SETTLE_MS);
        for (const s of warm) s.resetAndDestroy();
        const watch = IDLE_WATCH_MS[target.runtime];
        const before = await lowestRss(target.pid, watch);
        await openMany(target.port, connections, held, offer);
        for (const s of held) s.on("close", () => dropped++);
        await sleep(SETTLE_MS);
        const after = await lowestRss(target.pid, watch);
        if (dropped > 0) throw new Error(`memory: server dropped ${dropped} idle connections`);
        return { value: (after - before) / connections };
      } finally {
        // RST, not FIN: 10,000 client-side TIME_WAITs would starve later runs of ephemeral ports.
        for (const s of held) s.resetAndDestroy();
      }
    },
  };
}
