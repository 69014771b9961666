// --log json: one JSON line per connection event (open, close, reject) on stdout, for collectors.
import type { ServerWebSocket, WebSocketHandler } from "../host-core/socket.ts";

export type EventLog = (event: string, fields: Record<string, unknown>) => void;

export const silent: EventLog = () => {};

export const jsonLines: EventLog = (event, fields) => {
  process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), event, ...fields })}\n`);
};

/** The handler with its connection events logged; the handler's own callbacks still run. */
export function logged<T>(handler: WebSocketHandler<T>, log: EventLog): WebSocketHandler<T> {
  if (log === silent) return handler;
  const who = (ws: ServerWebSocket<T>) => ({ remote: ws.remoteAddress, path: ws.path });
  return {
    ...handler,
    open(ws) {
      log("open", { ...who(ws), protocol: ws.protocol, extensions: ws.extensions });
      handler.open?.(ws);
    },
    close(ws, code, reason) {
      log("close", { ...who(ws), code, reason });
      handler.close?.(ws, code, reason);
    },
    reject(request, error, info) {
      const url = request ? new URL(request.url) : undefined;
      // As ws.path in open and close: the query kept.
      const path = url ? url.pathname + url.search : undefined;
      log("reject", { remote: info.remoteAddress, path, code: error.code, message: error.message });
      return handler.reject?.(request, error, info);
    },
  };
}
