// `wasmsock chat`: the endpoint on node, deno and bun (names, rooms, presence, history, TLS, --redis
// across processes and on exit), and the page in Debian's chromium (playwright-core): two pages
// join one room, see each other, talk, and both survive a restart of the server; a name the
// endpoint would refuse is refused by the page. Screenshots go to test-results/.
import { mkdirSync } from "node:fs";
import { createClient } from "redis";
import { describe, expect, it } from "vitest";
import WebSocket from "ws";
import { ALIVE_MS, HISTORY_TTL_S, memoryRooms, ROOMS_KEPT } from "../cli/commands/chat-rooms.ts";
import { startCli } from "./fixtures/cli/spawn-cli.ts";
import { makeCerts } from "./helpers/certs.ts";
import { launchChromium } from "./helpers/chromium.ts";
import { RedisServer } from "./helpers/redis.ts";
import { RUNTIMES } from "./helpers/runtimes.ts";

interface Chatter {
  ws: WebSocket;
  inbox: Record<string, unknown>[];
  wait(pred: (m: Record<string, unknown>) => boolean): Promise<Record<string, unknown>>;
}

async function join_(port: number, name: string, room: string): Promise<Chatter> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/chat?${new URLSearchParams({ name, room })}`);
  const inbox: Record<string, unknown>[] = [];
  const waiters: (() => void)[] = [];
  ws.on("message", (d) => {
    inbox.push(JSON.parse(String(d)));
    for (const w of waiters.splice(0)) w();
  });
  await new Promise((resolve, reject) => ws.once("open", resolve).once("error", reject));
  const wait = async (pred: (m: Record<string, unknown>) => boolean) => {
    const deadline = Date.now() + 5000;
    for (;;) {
      const found = inbox.find(pred);
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`no such message in ${JSON.stringify(inbox)}`);
      await new Promise<void>((r) => {
        waiters.push(r);
        setTimeout(r, 100);
      });
    }
  };
  return { ws, inbox, wait };
}

describe.each(RUNTIMES)("chat endpoint on %s", (_name, runtime) => {
  it("serves the page; presence, history (last 50), timestamps, rooms apart, bad names refused, long messages cut whole", async () => {
    const cli = await startCli(runtime, ["chat"]);
    expect(cli.banner).toBe(`chat on http://127.0.0.1:${cli.port}/`);
    const page = await fetch(`http://127.0.0.1:${cli.port}/`);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('name="viewport"');
    expect((await fetch(`http://127.0.0.1:${cli.port}/nope`)).status).toBe(404);
    await expect(join_(cli.port, "", "lobby")).rejects.toThrow(/400/);
    await expect(join_(cli.port, "x", "bad room!")).rejects.toThrow(/400/);

    const ann = await join_(cli.port, "ann", "lobby");
    const welcome = await ann.wait((m) => m.type === "welcome");
    expect(welcome).toMatchObject({ room: "lobby", you: { name: "ann" }, history: [] });
    // Cut at 2000 UTF-16 units, but not inside the emoji that would end at 2001.
    ann.ws.send(`${"a".repeat(1999)}😀`);
    expect(await ann.wait((m) => m.type === "message")).toMatchObject({ text: "a".repeat(1999) });
    for (let i = 0; i < 55; i++) ann.ws.send(`m${i}`);
    await ann.wait((m) => m.text === "m54");
    const elsewhere = await join_(cli.port, "eve", "other");
    const bob = await join_(cli.port, "bob", "lobby");
    const hello = (await bob.wait((m) => m.type === "welcome")) as {
      members: { name: string }[];
      history: { text: string; ts: number; name: string }[];
    };
    expect(hello.members.map((m) => m.name).sort()).toEqual(["ann", "bob"]);
    expect(hello.history.map((h) => h.text)).toEqual(Array.from({ length: 50 }, (_, i) => `m${i + 5}`));
    expect(hello.history[0]).toMatchObject({ name: "ann", ts: expect.any(Number) });
    await ann.wait((m) => m.type === "join" && m.name === "bob");
    bob.ws.send("hi ann");
    expect(await ann.wait((m) => m.text === "hi ann")).toMatchObject({ type: "message", name: "bob" });
    bob.ws.close();
    await ann.wait((m) => m.type === "leave" && m.name === "bob");
    expect(elsewhere.inbox.filter((m) => m.type !== "welcome")).toEqual([]);
    expect(await cli.stop()).toBe(0);
  });

  it("--tls-cert/--tls-key: serves wss://; a key file with no key in it is a usage error naming the option", async () => {
    const certs = makeCerts();
    try {
      const { cert, key } = certs.files;
      // Started anyway, it is stopped, and the test fails on what it printed.
      const bad = await startCli(runtime, ["chat", "--tls-cert", cert, "--tls-key", cert]).then(
        async (cli) => `started: ${cli.banner} (${await cli.stop()})`,
        (err: Error) => err.message,
      );
      expect(bad).toBe(
        `wasmsock chat exited with 2: wasmsock: --tls-key: ${cert} holds no PEM private key\n`,
      );
      const cli = await startCli(runtime, ["chat", "--tls-cert", cert, "--tls-key", key]);
      try {
        expect(cli.banner).toBe(`chat on https://127.0.0.1:${cli.port}/`);
        const ws = new WebSocket(`wss://localhost:${cli.port}/chat?name=ann`, { ca: certs.ca });
        const welcome = await new Promise((resolve) =>
          ws.once("message", (d) => resolve(JSON.parse(String(d)))),
        );
        expect(welcome).toMatchObject({ type: "welcome", room: "lobby" });
      } finally {
        expect(await cli.stop()).toBe(0);
      }
    } finally {
      certs.remove();
    }
  });
});

describe("chat's rooms in memory", () => {
  it("keep the histories of the rooms written to last, at most 256", async () => {
    const rooms = memoryRooms();
    const line = (text: string) => ({ type: "message" as const, id: "i", name: "n", text, ts: 0 });
    await rooms.remember("r0", line("first"));
    for (let i = 1; i <= ROOMS_KEPT; i++) {
      await rooms.remember(`r${i}`, line(`r${i}`));
      // r1 is written again before the bound is passed, so it is not the oldest then.
      if (i === ROOMS_KEPT - 1) await rooms.remember("r1", line("again"));
    }
    expect(await rooms.history("r0")).toEqual([]);
    expect((await rooms.history("r1")).map((l) => l.text)).toEqual(["r1", "again"]);
    expect((await rooms.history(`r${ROOMS_KEPT}`)).map((l) => l.text)).toEqual([`r${ROOMS_KEPT}`]);
    await rooms.remember("r257", line("one more"));
    expect(await rooms.history("r2")).toEqual([]);
    expect((await rooms.history("r1")).map((l) => l.text)).toEqual(["r1", "again"]);
  });
});

describe("chat --redis", () => {
  it("one chat across a node and a deno process: presence, messages and history", async () => {
    const redis = await RedisServer.start();
    const one = await startCli(RUNTIMES[0][1], ["chat", "--redis", redis.url]);
    const two = await startCli(RUNTIMES[1][1], ["chat", "--redis", redis.url]);
    try {
      const ann = await join_(one.port, "ann", "r1");
      await ann.wait((m) => m.type === "welcome");
      ann.ws.send("before bob");
      await ann.wait((m) => m.text === "before bob");
      const bob = await join_(two.port, "bob", "r1");
      const hello = (await bob.wait((m) => m.type === "welcome")) as {
        members: { name: string }[];
        history: { text: string }[];
      };
      expect(hello.members.map((m) => m.name).sort()).toEqual(["ann", "bob"]);
      expect(hello.history.map((h) => h.text)).toEqual(["before bob"]);
      // The history goes a day after its last line (room names are the clients' to choose).
      const client = createClient({ url: redis.url });
      await client.connect();
      const ttl = await client.ttl("wasmsock:chat:r1:history");
      await client.close();
      expect(ttl).toBeGreaterThan(HISTORY_TTL_S - 60);
      expect(ttl).toBeLessThanOrEqual(HISTORY_TTL_S);
      await ann.wait((m) => m.type === "join" && m.name === "bob");
      bob.ws.send("across");
      await ann.wait((m) => m.text === "across");
    } finally {
      await Promise.all([one.stop(), two.stop()]);
      await redis.kill();
    }
  });

  it("a process that stops answering loses its members from the list, and lists them again once back", async () => {
    const redis = await RedisServer.start();
    const one = await startCli(RUNTIMES[0][1], ["chat", "--redis", redis.url]);
    const two = await startCli(RUNTIMES[0][1], ["chat", "--redis", redis.url]);
    const names = async (name: string) => {
      const c = await join_(two.port, name, "k");
      const hello = (await c.wait((m) => m.type === "welcome")) as { members: { name: string }[] };
      return hello.members.map((m) => m.name).sort();
    };
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
    try {
      await (await join_(one.port, "ann", "k")).wait((m) => m.type === "welcome");
      const dave = await join_(two.port, "dave", "k");
      await dave.wait((m) => m.type === "welcome");
      // Stopped (as good as crashed, to the others): its key lapses after 3 renewal periods.
      one.proc.kill("SIGSTOP");
      await sleep(3 * ALIVE_MS + 500);
      expect(await names("bob")).toEqual(["bob", "dave"]);
      // The page already open hears that ann left, once.
      await dave.wait((m) => m.type === "leave" && m.name === "ann");
      await sleep(200);
      expect(dave.inbox.filter((m) => m.type === "leave")).toHaveLength(1);
      one.proc.kill("SIGCONT");
      await sleep(ALIVE_MS + 1000);
      expect(await names("carol")).toEqual(["ann", "bob", "carol", "dave"]);
    } finally {
      one.proc.kill("SIGCONT");
      await Promise.all([one.stop(), two.stop()]);
      await redis.kill();
    }
  }, 20_000);

  it("a clean exit takes its members out of the room, as the others see it", async () => {
    const redis = await RedisServer.start();
    const one = await startCli(RUNTIMES[0][1], ["chat", "--redis", redis.url]);
    const two = await startCli(RUNTIMES[0][1], ["chat", "--redis", redis.url]);
    try {
      for (const name of ["ann", "bob"])
        await (await join_(one.port, name, "g")).wait((m) => m.type === "welcome");
      expect(await one.stop()).toBe(0);
      // Closing its own Redis subscriber is no error to report.
      expect(one.stderr).toBe("");
      const carol = await join_(two.port, "carol", "g");
      const hello = (await carol.wait((m) => m.type === "welcome")) as { members: { name: string }[] };
      expect(hello.members.map((m) => m.name)).toEqual(["carol"]);
    } finally {
      await Promise.all([one.stop(), two.stop()]);
      await redis.kill();
    }
  });

  it("with Redis gone, a joiner is closed with 1011 in 5 s instead of waiting for its welcome", async () => {
    const redis = await RedisServer.start();
    const cli = await startCli(RUNTIMES[0][1], ["chat", "--redis", redis.url]);
    try {
      await (await join_(cli.port, "ann", "r")).wait((m) => m.type === "welcome");
      await redis.kill();
      const late = new WebSocket(`ws://127.0.0.1:${cli.port}/chat?name=bob&room=r`);
      const got = new Promise<unknown>((resolve) => {
        late.once("message", (d) => resolve(String(d)));
        late.once("close", (code) => resolve(code));
      });
      expect(await got).toBe(1011);
    } finally {
      await cli.stop();
    }
  }, 15_000);

  it("a member who leaves at once is announced joining, then leaving", async () => {
    const redis = await RedisServer.start();
    const cli = await startCli(RUNTIMES[0][1], ["chat", "--redis", redis.url]);
    try {
      const watcher = await join_(cli.port, "watcher", "race");
      await watcher.wait((m) => m.type === "welcome");
      const quick = 10;
      for (let i = 0; i < quick; i++) {
        const ws = new WebSocket(`ws://127.0.0.1:${cli.port}/chat?name=quick${i}&room=race`);
        ws.on("open", () => ws.terminate()).on("error", () => {});
      }
      const events = () => watcher.inbox.filter((m) => m.type === "join" || m.type === "leave");
      await watcher.wait(() => events().length === 2 * quick);
      const order = new Map<unknown, string>();
      for (const m of events()) order.set(m.id, `${order.get(m.id) ?? ""}${m.type}`);
      expect([...order.values()]).toEqual(Array(quick).fill("joinleave"));
    } finally {
      await cli.stop();
      await redis.kill();
    }
  });
});

describe("the chat page in Chromium (Debian's, driven by playwright-core)", () => {
  it("two pages join one room, see each other, talk, and survive a server restart", async () => {
    mkdirSync("test-results", { recursive: true });
    let cli = await startCli(RUNTIMES[0][1], ["chat"]);
    const port = cli.port;
    // A phone-sized viewport: the page is meant for one.
    const browser = await launchChromium({ width: 390, height: 760 });
    try {
      // Separate storage per page is not needed: the name comes from the query.
      const pages = await Promise.all(
        ["ann", "bob"].map(async (name) => {
          const page = await browser.newPage();
          await page.goto(`http://127.0.0.1:${port}/?name=${name}&room=tea`);
          await page.click("#join button");
          return page;
        }),
      );
      const [ann, bob] = pages;
      for (const page of pages) {
        await page.waitForFunction(() => document.querySelectorAll("#members li").length === 2);
        const names = await page.$$eval("#members li", (lis) => lis.map((li) => li.textContent));
        expect(names.map((n) => n?.replace(" (you)", "")).sort()).toEqual(["ann", "bob"]);
      }
      await ann.fill("#text", "hello from ann");
      await ann.press("#text", "Enter");
      await bob.waitForSelector("#log p.msg:has-text('hello from ann')");
      expect(await bob.textContent("#log p.msg time")).toMatch(/\d{1,2}:\d{2}/);
      await bob.screenshot({ path: "test-results/chat-bob.png" });

      // The server goes away (1001) and comes back on the same port: both pages say so and rejoin.
      expect(await cli.stop()).toBe(0);
      for (const page of pages) await page.waitForSelector("#status.down");
      await ann.screenshot({ path: "test-results/chat-ann-disconnected.png" });
      expect(await ann.textContent("#status")).toMatch(/reconnecting/);
      cli = await startCli(RUNTIMES[0][1], ["chat"], port);
      for (const page of pages) {
        await page.waitForFunction(
          () => document.querySelector("#status")?.textContent === "connected",
          null,
          {
            timeout: 15_000,
          },
        );
        await page.waitForFunction(() => document.querySelectorAll("#members li").length === 2);
      }
      await bob.fill("#text", "back again");
      await bob.press("#text", "Enter");
      await ann.waitForSelector("#log p.msg:has-text('back again')");
      await ann.screenshot({ path: "test-results/chat-ann-after-restart.png" });
    } finally {
      await browser.close();
      await cli.stop();
    }
  }, 60_000);

  it("a name from the query that the endpoint would refuse: the page says why instead of connecting", async () => {
    const cli = await startCli(RUNTIMES[0][1], ["chat"]);
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      await page.goto(`http://127.0.0.1:${cli.port}/?name=${"n".repeat(33)}`);
      await page.click("#join button");
      await page.waitForSelector("#status.down");
      expect(await page.textContent("#status")).toMatch(/1-32 characters/);
      expect(await page.isVisible("#join")).toBe(true);
      await page.fill("#name", "n".repeat(32));
      await page.click("#join button");
      await page.waitForFunction(() => document.querySelector("#status")?.textContent === "connected");
    } finally {
      await browser.close();
      await cli.stop();
    }
  });
});
