// wasmsock/web: the stream client with the inlined core (compiled at first use).
import "../host-core/inline.ts";

export * from "./api.ts";
