// Drives an Autobahn-style fuzzing server with our client: echo every message of every case.
//   node|deno run -A|bun dist/examples/autobahn-client.js --url ws://127.0.0.1:9001 --agent wasmsock
import { parseArgs } from "node:util";
import { WebSocket } from "../host-auto/index.ts";

const { values } = parseArgs({
  options: {
    url: { type: "string", default: "ws://127.0.0.1:9001" },
    agent: { type: "string", default: "wasmsock" },
  },
});
const base = values.url!.replace(/\/$/, "");
const agent = encodeURIComponent(values.agent!);

/** Opens base+path, optionally echoing each message, and resolves with the first message once closed. */
function visit(path: string, echo: boolean): Promise<unknown> {
  return new Promise((resolve) => {
    // Cases go up to 16 MiB messages; leave headroom. Short waits keep a broken case from stalling the run.
    const ws = new WebSocket(base + path, [], { maxPayload: 64 * 1024 * 1024, closeTimeout: 2000 });
    // Echo binary as it came, without a Blob's asynchronous read.
    ws.binaryType = "arraybuffer";
    let first: unknown;
    ws.onmessage = (e) => {
      const data = e.data;
      first ??= data;
      if (echo) ws.send(data);
    };
    ws.onclose = () => resolve(first);
  });
}

const count = Number(await visit("/getCaseCount", false));
for (let i = 1; i <= count; i++) await visit(`/runCase?case=${i}&agent=${agent}`, true);
await visit(`/updateReports?agent=${agent}`, false);
console.log(`${count} cases run for ${values.agent}`);
