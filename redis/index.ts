// wasmsock/redis: a backplane over Redis pub/sub, with the user's own node-redis v5 or ioredis
// client (optional peer dependencies: nothing here imports them). A topic is the channel
// prefix + topic, subscribed while some local socket is in it. Each publish is one binary
// envelope, sent as a Buffer (a binary-safe bulk string, no base64):
//   u8 version (1), u8 flags (bit 0: binary), 16 bytes sender id, u32 + u32 sequence (big-endian),
//   then the payload.
// A member ignores its own envelopes (sender id) and any that do not come after the sender's last.
import { Buffer } from "node:buffer";
import type { Backplane, BackplaneMember, Deliver } from "../host-core/pubsub.ts";

const VERSION = 1;
const FLAG_BINARY = 1;
const ID = 2;
const ID_LENGTH = 16;
const SEQ = ID + ID_LENGTH;
const HEAD = SEQ + 8;

/**
 * A connected node-redis v5 client (`createClient()`, then `await client.connect()`) or an ioredis
 * client (`new Redis()`); told apart by shape: ioredis has `status`. Typed loosely because both
 * libraries' own types are generic.
 */
export type RedisClient = object;

export interface RedisBackplaneOptions {
  /** The client PUBLISH goes through; it may be one your application also uses. */
  publisher: RedisClient;
  /**
   * A connection of its own for SUBSCRIBE (a subscribed connection runs no other commands).
   * Default: `publisher.duplicate()`, opened here and closed when the last server leaves.
   */
  subscriber?: RedisClient;
  /** The channel of topic T is prefix + T. Default "wasmsock:". */
  prefix?: string;
  /**
   * Connection errors, and publishes not sent while Redis was unreachable (they were delivered
   * to local subscribers only). Default: one line on stderr per outage.
   */
  onError?(error: Error): void;
}

/** What this file needs of either client. */
interface Link {
  ready(): boolean;
  publish(channel: string, envelope: Buffer): Promise<unknown>;
  subscribe(channel: string): Promise<unknown>;
  unsubscribe(channel: string): Promise<unknown>;
  /** For errors and for "ready" (after each reconnect). */
  on(event: "error" | "ready", listener: (arg?: unknown) => void): void;
  close(): void;
}

type OnMessage = (envelope: Buffer, channel: Buffer) => void;

/** A Redis backplane for any number of servers of this process. */
export function redisBackplane(options: RedisBackplaneOptions | RedisClient): Backplane {
  return new RedisBackplane(
    "publisher" in options ? (options as RedisBackplaneOptions) : { publisher: options },
  );
}

class RedisBackplane implements Backplane {
  private readonly publisher: Link;
  private subscriber: Link | undefined;
  private readonly prefix: string;
  private readonly members = new Set<RedisMember>();
  /** Channel → members subscribed to it. */
  private readonly channels = new Map<string, number>();
  /** Sender id → its last sequence number seen. */
  private readonly last = new Map<string, number>();
  // A publish was dropped since the last "ready"; an error was logged since then (without onError).
  private outage = false;
  private logged = false;

  constructor(private readonly options: RedisBackplaneOptions) {
    this.prefix = options.prefix ?? "wasmsock:";
    this.publisher = link(options.publisher, this.onMessage);
    this.publisher.on("error", (err) => this.report(err));
    this.publisher.on("ready", this.recovered);
  }

  join(deliver: Deliver): BackplaneMember {
    const member = new RedisMember(this, deliver);
    this.members.add(member);
    return member;
  }

  left(member: RedisMember): void {
    this.members.delete(member);
    if (this.members.size > 0 || this.options.subscriber) return;
    // The subscriber was ours: the process may exit once its servers have closed.
    this.subscriber?.close();
    this.subscriber = undefined;
    this.channels.clear();
  }

  publish(member: RedisMember, topic: string, data: Uint8Array, binary: boolean): void {
    if (!this.publisher.ready()) {
      // Not queued: while Redis is unreachable, delivery is local only (at most once elsewhere).
      if (!this.outage)
        this.report(new Error("Redis is unreachable: publishes reach local subscribers only"));
      this.outage = true;
      return;
    }
    const envelope = Buffer.allocUnsafe(HEAD + data.length);
    envelope[0] = VERSION;
    envelope[1] = binary ? FLAG_BINARY : 0;
    envelope.set(member.id, ID);
    const seq = ++member.seq;
    envelope.writeUInt32BE(Math.floor(seq / 2 ** 32), SEQ);
    envelope.writeUInt32BE(seq >>> 0, SEQ + 4);
    envelope.set(data, HEAD);
    this.publisher.publish(this.prefix + topic, envelope).catch((err) => this.report(err));
  }

  subscribe(topic: string): void {
    const channel = this.prefix + topic;
    const n = this.channels.get(channel) ?? 0;
    this.channels.set(channel, n + 1);
    if (n === 0) {
      const sub = this.subscriberLink();
      sub.subscribe(channel).catch((err) => this.reportFrom(sub, err));
    }
  }

  unsubscribe(topic: string): void {
    const channel = this.prefix + topic;
    const n = this.channels.get(channel) ?? 0;
    if (n > 1) return void this.channels.set(channel, n - 1);
    this.channels.delete(channel);
    if (n === 1) {
      const sub = this.subscriberLink();
      sub.unsubscribe(channel).catch((err) => this.reportFrom(sub, err));
    }
  }

  private subscriberLink(): Link {
    if (this.subscriber) return this.subscriber;
    const own = this.options.subscriber === undefined;
    const client = this.options.subscriber ?? duplicate(this.options.publisher);
    const sub = link(client, this.onMessage);
    sub.on("error", (err) => this.reportFrom(sub, err));
    sub.on("ready", this.recovered);
    if (own) open(client).catch((err) => this.reportFrom(sub, err));
    this.subscriber = sub;
    return sub;
  }

  private readonly onMessage: OnMessage = (envelope, channelName) => {
    const channel = channelName.toString();
    if (!channel.startsWith(this.prefix)) return;
    if (envelope.length < HEAD || envelope[0] !== VERSION) {
      this.report(new Error(`an envelope on ${channel} that is not wasmsock's version ${VERSION}`));
      return;
    }
    const sender = envelope.toString("latin1", ID, SEQ);
    const seq = envelope.readUInt32BE(SEQ) * 2 ** 32 + envelope.readUInt32BE(SEQ + 4);
    // Per-publisher order: nothing older than, or the same as, what this sender already sent.
    if (seq <= (this.last.get(sender) ?? 0)) return;
    this.last.set(sender, seq);
    const topic = channel.slice(this.prefix.length);
    const binary = (envelope[1] & FLAG_BINARY) !== 0;
    const payload = envelope.subarray(HEAD);
    for (const m of this.members)
      if (m.key !== sender && m.topics.has(topic)) m.deliver(topic, payload, binary);
  };

  private readonly recovered = (): void => {
    this.outage = false;
    this.logged = false;
  };

  // A subscriber this backplane closed (its last server left) fails what it still had pending:
  // nothing to report.
  private reportFrom(sub: Link, err: unknown): void {
    if (sub === this.subscriber) this.report(err);
  }

  private report(err: unknown): void {
    const error = err instanceof Error ? err : new Error(String(err));
    if (this.options.onError) this.options.onError(error);
    else if (!this.logged) console.error(`wasmsock/redis: ${error.message || error.name}`);
    this.logged = true;
  }
}

class RedisMember implements BackplaneMember {
  readonly id = crypto.getRandomValues(new Uint8Array(ID_LENGTH));
  /** The id as the envelope's bytes read as latin1, for comparing. */
  readonly key = Buffer.from(this.id).toString("latin1");
  readonly topics = new Set<string>();
  seq = 0;

  constructor(
    private readonly backplane: RedisBackplane,
    readonly deliver: Deliver,
  ) {}

  publish(topic: string, data: Uint8Array, binary: boolean): void {
    this.backplane.publish(this, topic, data, binary);
  }

  subscribe(topic: string): void {
    this.topics.add(topic);
    this.backplane.subscribe(topic);
  }

  unsubscribe(topic: string): void {
    if (this.topics.delete(topic)) this.backplane.unsubscribe(topic);
  }

  leave(): void {
    for (const topic of this.topics) this.backplane.unsubscribe(topic);
    this.topics.clear();
    this.backplane.left(this);
  }
}

// The two clients' shapes, as far as this file uses them.
interface IoRedis {
  readonly status: string;
  duplicate(): IoRedis;
  publish(channel: string, message: Buffer): Promise<unknown>;
  subscribe(channel: string): Promise<unknown>;
  unsubscribe(channel: string): Promise<unknown>;
  on(event: string, listener: (...args: never[]) => void): unknown;
  disconnect(): void;
}

interface NodeRedis {
  readonly isReady: boolean;
  readonly isOpen: boolean;
  connect(): Promise<unknown>;
  duplicate(): NodeRedis;
  publish(channel: string, message: Buffer): Promise<unknown>;
  subscribe(channel: string, listener: OnMessage, bufferMode: true): Promise<unknown>;
  unsubscribe(channel: string, listener: OnMessage, bufferMode: true): Promise<unknown>;
  on(event: string, listener: (...args: never[]) => void): unknown;
  destroy(): void;
}

function isIoRedis(client: object): client is IoRedis {
  return typeof (client as IoRedis).status === "string";
}

function isNodeRedis(client: object): client is NodeRedis {
  return typeof (client as NodeRedis).isOpen === "boolean";
}

function link(client: object, onMessage: OnMessage): Link {
  if (isIoRedis(client)) {
    let listening = false;
    return {
      ready: () => client.status === "ready",
      publish: (channel, envelope) => client.publish(channel, envelope),
      subscribe(channel) {
        // ioredis re-subscribes by itself after a reconnect (autoResubscribe).
        if (!listening) client.on("messageBuffer", (ch: Buffer, message: Buffer) => onMessage(message, ch));
        listening = true;
        return client.subscribe(channel);
      },
      unsubscribe: (channel) => client.unsubscribe(channel),
      on: (event, listener) => void client.on(event, listener),
      close: () => client.disconnect(),
    };
  }
  if (isNodeRedis(client)) {
    return {
      ready: () => client.isReady,
      publish: (channel, envelope) => client.publish(channel, envelope),
      // node-redis keeps its listeners and re-subscribes them after a reconnect.
      subscribe: (channel) => client.subscribe(channel, onMessage, true),
      unsubscribe: (channel) => client.unsubscribe(channel, onMessage, true),
      on: (event, listener) => void client.on(event, listener),
      close: () => client.destroy(),
    };
  }
  throw new TypeError("wasmsock/redis: expected a node-redis v5 client or an ioredis client");
}

function duplicate(client: object): object {
  if (isIoRedis(client) || isNodeRedis(client)) return client.duplicate();
  throw new TypeError("wasmsock/redis: expected a node-redis v5 client or an ioredis client");
}

/** A duplicate we made: node-redis waits for connect(); ioredis connects by itself. */
async function open(client: object): Promise<void> {
  if (isNodeRedis(client) && !client.isOpen) await client.connect();
}
