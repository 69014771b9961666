// Server memory per idle connection: RSS before and after opening many handshaken connections.
import type { Socket } from "node:net";
import { closeFrame } from "../frames.ts";
import { headerValue, openWebSocket } from "../handshake.ts";
import { rssKiB } from "../proc.ts";
import { type Result, type Scenario, sleep, type Target } from "./scenario.ts";

const OPEN_CONCURRENCY = 128;
const WARM_CONNECTIONS = 200;
const SETTLE_MS = 1000;

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

/** With `offer`, every connection negotiates permessage-deflate (servers started with --deflate). */
export function idleMemory(connections: number, offer?: { name: string; extensions: string }): Scenario {
  return {
    name: offer?.name ?? "memory",
    unit: "KiB/conn",
    higherIsBetter: false,
    describe: `server RSS growth over ${connections} idle connections${offer ? `, offering ${offer.extensions}` : ""}`,
    serverArgs: offer ? ["--deflate"] : undefined,
    floor: true,
    async run(target: Target): Promise<Result> {
      const held: Socket[] = [];
      let dropped = 0;
      try {
        // Warm the accept and upgrade paths so their one-time cost is not charged to connections.
        const warm: Socket[] = [];
        await openMany(target.port, WARM_CONNECTIONS, warm, offer?.extensions);
        const closing = closeFrame();
        for (const s of warm) s.write(closing);
        await sleep(SETTLE_MS);
        for (const s of warm) s.resetAndDestroy();
        const before = rssKiB(target.pid);
        await openMany(target.port, connections, held, offer?.extensions);
        for (const s of held) s.on("close", () => dropped++);
        await sleep(SETTLE_MS);
        const after = rssKiB(target.pid);
        if (dropped > 0) throw new Error(`memory: server dropped ${dropped} idle connections`);
        return { value: (after - before) / connections };
      } finally {
        // RST, not FIN: 10,000 client-side TIME_WAITs would starve later runs of ephemeral ports.
        for (const s of held) s.resetAndDestroy();
      }
    },
  };
}
