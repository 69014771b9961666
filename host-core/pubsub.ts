// Pub/sub: a topic maps to its subscribers; a published message is framed once and the same bytes
// go into every subscriber's batch. A backplane carries publishes between servers and processes.
import { B0_FIN, B0_RSV1, OP_BINARY, OP_TEXT } from "./abi.ts";
import { WebSocketError } from "./errors.ts";
import { keep } from "./lend.ts";
import { allocate } from "./output.ts";
import { bytesOf, invalidPayload, type Payload } from "./payload.ts";
import { COPY_LIMIT, Session } from "./session.ts";

/** A message framed once for every server connection. */
export interface Framed {
  /** The header, followed by the payload when it is small enough to copy into batches. */
  readonly frame: Uint8Array;
  /** Where frame is: arena[at, at + frame.length), so that connections queue runs of the arena. */
  readonly arena: Uint8Array;
  readonly at: number;
  /** A payload of COPY_LIMIT bytes or more, written by reference after the header. */
  readonly payload: Uint8Array | undefined;
  /** The message itself, for connections that compress it. */
  readonly data: Uint8Array;
  readonly binary: boolean;
  /** Compressed and framed once per shared compressor (RFC 7692 without context takeover). */
  compressed?: Map<object, Framed>;
}

// Only its handle is used, for the core's header encoder; it never sends.
let framer: Session | undefined;

// Small published frames are laid out one after another in an arena, so a connection queues a
// turn's publishes as one run of it (Output.share). An arena lives while any of its frames waits to
// be written; larger frames get buffers of their own, so an arena holds at least 16 frames.
const ARENA = 16 * 1024;
const ARENA_FRAME_MAX = 1024;
let arena: Uint8Array = new Uint8Array(0);
let arenaUsed = 0;

/** Where a frame of `size` bytes (at most ARENA_FRAME_MAX) goes in `arena`, which it may replace. */
function carve(size: number): number {
  if (arenaUsed + size > arena.length) {
    arena = allocate(ARENA);
    arenaUsed = 0;
  }
  const at = arenaUsed;
  arenaUsed += size;
  return at;
}

/**
 * RFC 6455 5.1, 5.2: server frames are not masked, so one frame is valid on every server connection.
 * With `compressed`, `bytes` are the message's DEFLATE bytes and the frame has RSV1 (RFC 7692 6).
 */
export function frameOnce(bytes: Uint8Array, binary: boolean, compressed?: Uint8Array): Framed {
  framer ??= new Session({ role: "server", autoFree: false });
  const core = framer.core;
  const body = compressed ?? bytes;
  const first = B0_FIN | (compressed ? B0_RSV1 : 0) | (binary ? OP_BINARY : OP_TEXT);
  const h = core.exports.header(framer.handle, first, body.length);
  if (h < 0) throw WebSocketError.fromCore(-h);
  const at = core.sendPtr;
  if (body.length >= COPY_LIMIT) {
    const frame = core.u8.slice(at, at + h);
    return { frame, arena: frame, at: 0, payload: body, data: bytes, binary };
  }
  const size = h + body.length;
  let frame: Uint8Array;
  let room: Uint8Array;
  let start = 0;
  if (size > ARENA_FRAME_MAX) frame = room = allocate(size);
  else {
    start = carve(size);
    room = arena;
    frame = room.subarray(start, start + size);
  }
  frame.set(core.u8.subarray(at, at + h));
  frame.set(body, h);
  return { frame, arena: room, at: start, payload: undefined, data: bytes, binary };
}

/** What a topic holds: a socket's driving half. */
export interface Subscriber {
  /** The topics it is in, kept by Topics: most sockets are in one, which needs no Set. */
  topics: string | Set<string> | undefined;
  /** Queues a framed message; false when it was not queued (closed, or past backpressureLimit). */
  deliver(message: Framed): boolean;
}

export function isSubscribed(s: Pick<Subscriber, "topics">, topic: string): boolean {
  const mine = s.topics;
  return typeof mine === "string" ? mine === topic : (mine?.has(topic) ?? false);
}

/** The topics s is in, as a new array. */
export function topicsOf(s: Pick<Subscriber, "topics">): string[] {
  const mine = s.topics;
  return mine === undefined ? [] : typeof mine === "string" ? [mine] : [...mine];
}

/** Where a backplane hands what other members published; `data` must not be changed afterwards. */
export type Deliver = (topic: string, data: Uint8Array, binary: boolean) => void;

/** Carries publishes between servers: in one process (MemoryBackplane) or across them (wasmsock/redis). */
export interface Backplane {
  /** A server joins: what other members publish to the topics it subscribes reaches `deliver`. */
  join(deliver: Deliver): BackplaneMember;
}

/** One server's link to a backplane. */
export interface BackplaneMember {
  /** A local publish, for the other members; `data` must not be changed afterwards. */
  publish(topic: string, data: Uint8Array, binary: boolean): void;
  /** The first local socket entered `topic`. */
  subscribe(topic: string): void;
  /** The last local socket left `topic`. */
  unsubscribe(topic: string): void;
  /** The server closed. */
  leave(): void | Promise<void>;
}

/**
 * Topics shared by the servers of one process that join it. A server without a backplane keeps
 * its topics to itself.
 */
export class MemoryBackplane implements Backplane {
  private readonly members = new Set<MemoryMember>();

  join(deliver: Deliver): BackplaneMember {
    const member = new MemoryMember(this.members, deliver);
    this.members.add(member);
    return member;
  }
}

class MemoryMember implements BackplaneMember {
  private readonly topics = new Set<string>();

  constructor(
    private readonly members: Set<MemoryMember>,
    private readonly deliver: Deliver,
  ) {}

  publish(topic: string, data: Uint8Array, binary: boolean): void {
    for (const m of this.members) if (m !== this && m.topics.has(topic)) m.deliver(topic, data, binary);
  }

  subscribe(topic: string): void {
    this.topics.add(topic);
  }

  unsubscribe(topic: string): void {
    this.topics.delete(topic);
  }

  leave(): void {
    this.members.delete(this);
  }
}

/** One server's topics: a Set of subscribers per topic, and the backplane it has joined. */
export class Topics {
  private readonly subscribers = new Map<string, Set<Subscriber>>();
  private readonly member: BackplaneMember | undefined;

  constructor(backplane?: Backplane) {
    this.member = backplane?.join((topic, data, binary) => this.deliver(topic, data, binary, undefined));
  }

  /** False when s was already in topic. */
  subscribe(s: Subscriber, topic: string): boolean {
    let set = this.subscribers.get(topic);
    if (!set) {
      set = new Set();
      this.subscribers.set(topic, set);
      this.member?.subscribe(topic);
    } else if (set.has(s)) return false;
    set.add(s);
    const mine = s.topics;
    if (mine === undefined) s.topics = topic;
    else if (typeof mine === "string") s.topics = new Set([mine, topic]);
    else mine.add(topic);
    return true;
  }

  /** False when s was not in topic. */
  unsubscribe(s: Subscriber, topic: string): boolean {
    const set = this.subscribers.get(topic);
    if (!set?.delete(s)) return false;
    if (typeof s.topics === "string") s.topics = undefined;
    else s.topics?.delete(topic);
    if (set.size === 0) {
      this.subscribers.delete(topic);
      this.member?.unsubscribe(topic);
    }
    return true;
  }

  /** A socket that closed leaves every topic it was in. */
  leaveAll(s: Subscriber): void {
    for (const topic of topicsOf(s)) this.unsubscribe(s, topic);
  }

  count(topic: string): number {
    return this.subscribers.get(topic)?.size ?? 0;
  }

  /**
   * To every local subscriber but `except`, and through the backplane to other servers. Returns
   * how many local subscribers it was queued for.
   */
  publish(topic: string, data: Payload, binary: boolean | undefined, except?: Subscriber): number {
    const given = bytesOf(data);
    if (!given) throw invalidPayload(data, "a string, an ArrayBuffer or an ArrayBufferView");
    // Subscribers and the backplane may keep it past the handler that lent it.
    const bytes = keep(given);
    const isBinary = binary ?? typeof data !== "string";
    this.member?.publish(topic, bytes, isBinary);
    return this.deliver(topic, bytes, isBinary, except);
  }

  close(): void | Promise<void> {
    return this.member?.leave();
  }

  private deliver(topic: string, bytes: Uint8Array, binary: boolean, except: Subscriber | undefined): number {
    const set = this.subscribers.get(topic);
    if (!set || (set.size === 1 && except !== undefined && set.has(except))) return 0;
    const framed = frameOnce(bytes, binary);
    let queued = 0;
    // Iterated live, not copied: a delivery never adds a subscriber, and one that closes meanwhile
    // is only deleted, which a Set's iterator allows.
    for (const s of set) if (s !== except && s.deliver(framed)) queued++;
    return queued;
  }
}
