// Which handler serves a connection: by path (`routes`, patterns as in `path`) and by negotiated
// subprotocol (`protocols` as a map of handlers). Each distinct handler becomes one Route, made once
// per server and shared by its sockets, carrying the codec that applies to it.
import { type Codec, type CodecOption, type OnInvalid, resolveCodec } from "./codec.ts";
import { pattern } from "./server-policy.ts";
import type { WebSocketHandler } from "./socket.ts";

/** What a socket is served by. */
export interface Route<T> {
  readonly handler: WebSocketHandler<T>;
  readonly codec: Codec | undefined;
  readonly onInvalid: OnInvalid;
}

export interface RoutingOptions<T> {
  /** The handler for every path (without `routes`) and for connections no subprotocol handler took. */
  handler?: WebSocketHandler<T>;
  /**
   * A handler per path pattern (`*` matches any characters; the query is ignored), tried in order;
   * other paths get 404. A handler's own `codec` overrides the server's.
   */
  routes?: Record<string, WebSocketHandler<T>>;
  /** Messages as values: `"json"` or `{ decode(data, isBinary), encode(value) }`. Default: none. */
  codec?: CodecOption;
  /** A message the codec cannot decode: close with 1007 (default) or report it to `error` and go on. */
  onInvalid?: OnInvalid;
}

export class Router<T> {
  private readonly byPath: [RegExp, Route<T>][] | undefined;
  private readonly byProtocol: Map<string, Route<T>> | undefined;
  private readonly fallback: Route<T> | undefined;
  private readonly made = new Map<WebSocketHandler<T>, Route<T>>();

  constructor(
    o: RoutingOptions<T> & { protocols?: unknown },
    readonly codec = resolveCodec(o.codec),
    private readonly onInvalid: OnInvalid = o.onInvalid ?? "close",
  ) {
    this.byPath = o.routes && Object.entries(o.routes).map(([glob, h]) => [pattern(glob), this.route(h)]);
    this.fallback = o.handler && this.route(o.handler);
    const p = o.protocols;
    if (p && typeof p === "object" && !Array.isArray(p))
      this.byProtocol = new Map(
        Object.entries(p as Record<string, WebSocketHandler<T>>).map(([name, h]) => [name, this.route(h)]),
      );
    if (!this.byPath && !this.fallback && !this.byProtocol)
      throw new TypeError("a server needs a handler, routes or protocol handlers");
  }

  /** The path patterns `routes` serves (others get 404), or undefined when every path is served. */
  get patterns(): RegExp[] | undefined {
    return this.byPath?.map(([re]) => re);
  }

  /** With protocol handlers: the client's first offer that has one. */
  chooser(): ((offered: string[]) => string | undefined) | undefined {
    const map = this.byProtocol;
    return map && ((offered) => offered.find((p) => map.has(p)));
  }

  /** The route for a request's path (query included) and chosen subprotocol; undefined: none serves it. */
  resolve(path: string, protocol: string | undefined): Route<T> | undefined {
    if (protocol !== undefined) {
      const byProtocol = this.byProtocol?.get(protocol);
      if (byProtocol) return byProtocol;
    }
    if (!this.byPath) return this.fallback;
    const bare = path.split("?")[0];
    return this.byPath.find(([re]) => re.test(bare))?.[1];
  }

  /**
   * The handler that hears of refusals before a route is known: `handler`, else the first route's,
   * else the first protocol handler's.
   */
  get refusals(): WebSocketHandler<T> | undefined {
    const first = this.byProtocol?.values().next().value;
    return (this.fallback ?? this.byPath?.[0]?.[1] ?? first)?.handler;
  }

  private route(handler: WebSocketHandler<T>): Route<T> {
    let route = this.made.get(handler);
    if (!route) {
      const codec = handler.codec === undefined ? this.codec : resolveCodec(handler.codec);
      route = { handler, codec, onInvalid: handler.onInvalid ?? this.onInvalid };
      this.made.set(handler, route);
    }
    return route;
  }
}
