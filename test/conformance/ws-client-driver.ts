// The reference client for mode 2: `ws` driving the fuzzing-server protocol, as examples/autobahn-client.ts
// does with our client. Run directly: npx tsx test/conformance/ws-client-driver.ts [url] [agent]
import { fileURLToPath } from "node:url";
import WebSocket, { type ClientOptions } from "ws";

/** Opens base+path, echoing each message if asked, and resolves with the first message once closed. */
export function visit(
  base: string,
  path: string,
  echo: boolean,
  options: ClientOptions = {},
): Promise<string | undefined> {
  return new Promise((resolve) => {
    const ws = new WebSocket(base + path, { maxPayload: 64 * 1024 * 1024, ...options });
    let first: string | undefined;
    ws.on("message", (data, isBinary) => {
      first ??= data.toString();
      if (echo) ws.send(data, { binary: isBinary });
    });
    ws.on("error", () => {}); // the failures each case provokes; "close" follows
    ws.on("close", () => resolve(first));
  });
}

/**
 * Every case, then /updateReports. By default ws offers permessage-deflate (`client_max_window_bits`)
 * and compresses every message (`threshold: 0`); `options` changes that, e.g. `perMessageDeflate: false`.
 */
export async function runWsClient(
  base: string,
  agent: string,
  options: ClientOptions = { perMessageDeflate: { threshold: 0 } },
): Promise<number> {
  const count = Number(await visit(base, "/getCaseCount", false));
  for (let i = 1; i <= count; i++) await visit(base, `/runCase?case=${i}&agent=${agent}`, true, options);
  await visit(base, `/updateReports?agent=${agent}`, false);
  return count;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const count = await runWsClient(process.argv[2] ?? "ws://127.0.0.1:9001", process.argv[3] ?? "ws");
  console.log(`${count} cases run`);
}
