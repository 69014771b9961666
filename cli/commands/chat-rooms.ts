// Who is in each chat room and its last 50 messages: in this process, or in Redis (--redis) so
// every process of one chat sees the same (hash wasmsock:chat:ROOM:members, list ...:history).
export const HISTORY = 50;

// Room names are the clients' to choose: in Redis a room's history expires a day after its last
// line, so rooms named once do not stay forever.
export const HISTORY_TTL_S = 24 * 60 * 60;

export interface Line {
  type: "message";
  id: string;
  name: string;
  text: string;
  ts: number;
}

export interface Rooms {
  join(room: string, id: string, name: string): Promise<void>;
  leave(room: string, id: string): Promise<void>;
  members(room: string): Promise<{ id: string; name: string }[]>;
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
      return [...(members.get(room) ?? [])].map(([id, name]) => ({ id, name }));
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
  hDel(key: string, field: string): Promise<unknown>;
  hGetAll(key: string): Promise<Record<string, string>>;
  rPush(key: string, value: string): Promise<unknown>;
  lTrim(key: string, start: number, stop: number): Promise<unknown>;
  lRange(key: string, start: number, stop: number): Promise<string[]>;
  expire(key: string, seconds: number): Promise<unknown>;
}

export function redisRooms(client: unknown, prefix = "wasmsock:chat:"): Rooms {
  const redis = client as RedisCommands;
  const key = (room: string, what: string) => `${prefix}${room}:${what}`;
  return {
    async join(room, id, name) {
      await redis.hSet(key(room, "members"), id, name);
    },
    async leave(room, id) {
      await redis.hDel(key(room, "members"), id).catch(() => {});
    },
    async members(room) {
      const all = await redis.hGetAll(key(room, "members"));
      return Object.entries(all).map(([id, name]) => ({ id, name }));
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
