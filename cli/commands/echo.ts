// wasmsock echo: the measuring instrument (examples/echo.ts as a command). Echoes every message
// unchanged, as the same type, without decoding text; frames and messages up to 1 GiB, no idle or
// connection limits unless given. --deflate accepts any offer, with context takeover unless declined.
import { serve } from "../../host-auto/index.ts";
import { type Command, withDefaults, wsUrl } from "../command.ts";
import { logged } from "../log.ts";

export const echo: Command = {
  name: "echo",
  summary: "echo every message back, unchanged (the measuring echo server)",
  usage: "wasmsock echo [--port N] [--deflate] [options]",
  options: [],
  async run({ listen, log }) {
    const { perMessageDeflate, ...rest } = listen;
    const server = await serve({
      ...withDefaults({ maxPayload: 1024 ** 3, maxConnections: 0, idleTimeout: 0 }, rest),
      textAs: "bytes",
      backpressureLimit: 0,
      perMessageDeflate: perMessageDeflate && {
        serverNoContextTakeover: false,
        clientNoContextTakeover: false,
      },
      handler: logged({ message: (ws, data, isBinary) => ws.send(data, { binary: isBinary }) }, log),
    });
    return { url: wsUrl(listen, server.port), close: () => server.close() };
  },
};
