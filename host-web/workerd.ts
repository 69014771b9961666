// The entry for workerd (Cloudflare Workers), picked by the "workerd" export condition. workerd
// forbids compiling WebAssembly at run time, so the core arrives as an imported module (a
// `WebAssembly.Module`; wrangler's default CompiledWasm rule for *.wasm), and connect() from
// cloudflare:sockets, which only this entry may import statically, becomes the default connector.
// Inbound, workerd's own WebSocketPair carries the frames: WebSocketServer mounts the same handler,
// policy, routes and codecs on it (`export default { fetch: (req) => wss.upgrade(req) }`).
import { connect as tcp } from "cloudflare:sockets";
// The path is the built file's: dist/host-web/workerd.js -> build/wasmsock.wasm.
import wasm from "../../build/wasmsock.wasm";
import { useModule } from "../host-core/core.ts";
import { acceptHeaders, admitRequest, MountedDriver } from "../host-core/mounted.ts";
import { WebSocketServer as CoreServer, serverInternals } from "../host-core/server.ts";
import { isResponse } from "../host-core/upgrade.ts";
import { useConnect } from "./client.ts";

useModule(wasm, true);
useConnect((t) => tcp({ hostname: t.host, port: t.port }, { secureTransport: t.secure ? "on" : "off" }));

/** A WebSocket server mounted in a worker's fetch; workerd's WebSocketPair carries the frames. */
export class WebSocketServer<T = unknown> extends CoreServer<T> {
  /** The 101 Response (with the pair's client end), or the refusal. */
  async upgrade(request: Request): Promise<Response> {
    const core = serverInternals(this);
    const a = await admitRequest(core, request, request.headers.get("cf-connecting-ip") ?? "");
    if (isResponse(a)) return a;
    const { 0: client, 1: server } = new WebSocketPair();
    server.accept();
    const driver = new MountedDriver(core, { ...native(server), bufferedAmount: 0 }, a);
    server.addEventListener("message", (e) => driver.received((e as MessageEvent).data));
    server.addEventListener("close", (e) => {
      const { code, reason } = e as CloseEvent;
      // 5.5.1: the peer's close is answered (a no-op where workerd already did).
      try {
        server.close(code === 1005 ? undefined : code, reason);
      } catch {}
      driver.closed(code, reason);
    });
    server.addEventListener("error", () => driver.closed(1006, ""));
    driver.opened();
    return new Response(null, { status: 101, webSocket: client, headers: acceptHeaders(a) });
  }
}

function native(ws: WorkerdWebSocket) {
  return {
    send: (data: string | Uint8Array) => ws.send(data),
    close: (code?: number, reason?: string) => ws.close(code, reason),
  };
}

export type { HandlerOptions } from "../host-core/server.ts";
export type { ServerWebSocket, WebSocketHandler } from "../host-core/socket.ts";
export * from "./api.ts";
