// The host for whichever runtime loaded this file, picked at run time, so one built file (the echo
// example, the test fixtures) runs unchanged under node, deno and bun.
import type * as NodeHost from "../host-node/index.ts";

const host: typeof NodeHost = await import("../host-node/index.ts");

export const { serve, connect, WebSocket } = host;
