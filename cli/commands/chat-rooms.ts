// Who is in each chat room and its last 50 messages: in this process, or in Redis (--redis) so
// every process of one chat sees the same (hash wasmsock:chat:ROOM:members, list ...:history, and
// wasmsock:chat:process:ID, which says the process holding a member is alive).
export const HISTORY = 50;

// Room names are the clients' to choose: in Redis a room's history expires a day after its last
// line, so rooms named once do not stay forever.
export const HISTORY_TTL_S = 24 * 60 * 60;

// A process that crashes cannot take its members out: each process renews a key of its own this
// often, which expires three times as late, and members whose process key is gone are dropped.
export const ALIVE_MS = 2000;

export interface Line {
  type: "message";
  id: string;
  name: string;
  text: string;
  ts: number;
}

export interface Member {
  id: string;
  name: string;
}

export interface Rooms {
  join(room: string, id: string, name: string): Promise<void>;
  leave(room: string, id: string): Promise<void>;
  /** Who is in the room, and who was taken out just now because their process is gone. */
  members(room: string): Promise<{ present: Member[]; gone: Member[] }>;
  remember(room: string, line: Line): Promise<void>;
  history(room: string): Promise<Line[]>;
}

// Room names are the clients' to choose, so this process keeps the histories of the rooms written
// to last, at most this many: up to 50 lines of 2000 UTF-16 units each, 50 MB in all at worst.
export const ROOMS_KEPT = 256;

export function memoryRooms(roomsKept = ROOMS_KEPT): Rooms {
  const members = new Map<string, Map<string, string>>();
  // In order of their last line, the oldest first.
  const history = new Map<string, Line[]>();
  return {
    async join(room, id, name) {
      members.set(room, (members.get(room) ?? new Map()).set(id, name));
    },
    async leave(room, id) {
      const m = members.get(room);
      m?.delete(id);
      if (m?.size === 0) members.delete(room);
    },
    async members(room) {
      return { present: [...(members.get(room) ?? [])].map(([id, name]) => ({ id, name })), gone: [] };
    },
    async remember(room, line) {
      const lines = history.get(room) ?? [];
      lines.push(line);
      if (lines.length > HISTORY) lines.shift();
      history.delete(room);
      history.set(room, lines);
      if (history.size > roomsKept) history.delete(history.keys().next().value as string);
    },
    async history(room) {
      return history.get(room) ?? [];
    },
  };
}

/** node-redis v5's commands used here. */
interface RedisCommands {
  hSet(key: string, field: string, value: string): Promise<unknown>;
  hDel(key: string, field: string): Promise<number>;
  hGetAll(key: string): Promise<Record<string, string>>;
  rPush(key: string, value: string): Promise<unknown>;
  lTrim(key: string, start: number, stop: number): Promise<unknown>;
  lRange(key: string, start: number, stop: number): Promise<string[]>;
  expire(key: string, seconds: number): Promise<unknown>;
  set(key: string, value: string): Promise<unknown>;
  pExpire(key: string, ms: number): Promise<unknown>;
  exists(key: string): Promise<number>;
}

export function redisRooms(client: unknown, prefix = "wasmsock:chat:"): Rooms {
  const redis = client as RedisCommands;
  const key = (room: string, what: string) => `${prefix}${room}:${what}`;
  // A room called "process" has keys ending in :members and :history, never 8 hex digits.
  const alive = (process: string) => `${prefix}process:${process}`;
  const self = crypto.randomUUID().slice(0, 8);
  // This process's members by room, to list again should its key lapse (a stall, a Redis failover)
  // and another process drop them meanwhile.
  const own = new Map<string, Map<string, string>>();
  // The field's value is "PROCESS NAME": whose member it is, then the name.
  const list = (room: string, id: string, name: string) =>
    redis.hSet(key(room, "members"), id, `${self} ${name}`);
  let first = true;
  const renew = async () => {
    const lapsed = !first && (await redis.exists(alive(self))) === 0;
    first = false;
    await redis.set(alive(self), "1");
    await redis.pExpire(alive(self), 3 * ALIVE_MS);
    if (lapsed) for (const [room, ids] of own) for (const [id, name] of ids) await list(room, id, name);
  };
  let renewed = renew();
  renewed.catch(() => {}); // a join awaiting it fails instead
  const timer = setInterval(() => {
    renewed = renew().catch(() => {});
  }, ALIVE_MS);
  (timer as { unref?(): void }).unref?.();
  return {
    async join(room, id, name) {
      await renewed;
      own.set(room, (own.get(room) ?? new Map()).set(id, name));
      await list(room, id, name);
    },
    async leave(room, id) {
      const ids = own.get(room);
      ids?.delete(id);
      if (ids?.size === 0) own.delete(room);
      await redis.hDel(key(room, "members"), id).catch(() => {});
    },
    async members(room) {
      const members = key(room, "members");
      const all = Object.entries(await redis.hGetAll(members)).map(([id, value]) => {
        const space = value.indexOf(" ");
        return { id, process: value.slice(0, space), name: value.slice(space + 1) };
      });
      const processes = [...new Set(all.map((m) => m.process))];
      const living = await Promise.all(processes.map((p) => redis.exists(alive(p))));
      const dead = new Set(processes.filter((_, i) => living[i] === 0));
      const present = all.filter((m) => !dead.has(m.process)).map(({ id, name }) => ({ id, name }));
      // Of processes looking at once, only the one whose HDEL removed a member reports it gone.
      const removed = await Promise.all(
        all.map((m) => (dead.has(m.process) ? redis.hDel(members, m.id).catch(() => 0) : 0)),
      );
      const gone = all.filter((_, i) => removed[i] === 1).map(({ id, name }) => ({ id, name }));
      return { present, gone };
    },
    async remember(room, line) {
      const history = key(room, "history");
      await redis.rPush(history, JSON.stringify(line));
      await redis.lTrim(history, -HISTORY, -1);
      await redis.expire(history, HISTORY_TTL_S);
    },
    async history(room) {
      return (await redis.lRange(key(room, "history"), -HISTORY, -1)).map((s) => JSON.parse(s) as Line);
    },
  };
}
