// npm run bench: our echo server against peers on the same runtime, interleaved, medians reported.
// Usage: npx tsx bench/run.ts [--runtime node|deno|bun|all] [--scenarios small,fanout,...] [--rounds N]
//        [--duration S] [--warmup S] [--servers a,b] [--json FILE]
import { writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { parseArgs } from "node:util";
import { canPin, relaunchPinned } from "./launch.ts";
import { probeEcho } from "./probe.ts";
import { type Cell, median, type Row, ratio, spread, table } from "./report.ts";
import { SCENARIOS } from "./scenarios/index.ts";
import type { Scenario, Timing } from "./scenarios/scenario.ts";
import {
  killAll,
  missing,
  PUBSUB_SERVERS,
  RUNTIMES,
  type Running,
  type Runtime,
  SERVERS,
  type ServerSpec,
  start,
  unsupported,
} from "./servers.ts";

interface Options {
  runtimes: Runtime[];
  only: string[];
  rounds: number;
  timing: Timing;
  servers: string[] | undefined;
  json: string | undefined;
}

function fail(message: string): never {
  console.error(`bench: ${message}`);
  process.exit(2);
}

function parse(): Options {
  const { values } = parseArgs({
    options: {
      runtime: { type: "string" },
      scenarios: { type: "string" },
      only: { type: "string" },
      rounds: { type: "string", default: "3" },
      duration: { type: "string", default: "3" },
      warmup: { type: "string", default: "0.5" },
      servers: { type: "string" },
      json: { type: "string" },
    },
  });
  const known = SCENARIOS.flatMap((s) => [s.name, s.group ?? s.name]);
  const wanted = (values.scenarios ?? values.only)?.split(",");
  for (const name of wanted ?? [])
    if (!known.includes(name)) fail(`unknown scenario ${name} (${[...new Set(known)].join(", ")})`);
  // A group name selects its scenarios; by default every echo scenario (fan-out takes a while).
  const only = SCENARIOS.filter((s) =>
    wanted ? wanted.includes(s.name) || wanted.includes(s.group ?? "") : s.kind !== "pubsub",
  ).map((s) => s.name);
  // Fan-out compares with every runtime's own publish loop unless told otherwise.
  const pubsubOnly = SCENARIOS.filter((s) => only.includes(s.name)).every((s) => s.kind === "pubsub");
  const runtime = values.runtime ?? (pubsubOnly ? "all" : "node");
  if (runtime !== "all" && !RUNTIMES.includes(runtime as Runtime)) fail(`unknown runtime ${runtime}`);
  const servers = values.servers?.split(",");
  for (const name of servers ?? [])
    if (!(name in SERVERS || name in PUBSUB_SERVERS)) fail(`unknown server ${name}`);
  const rounds = Number(values.rounds);
  const durationS = Number(values.duration);
  const warmupS = Number(values.warmup);
  if (!(rounds >= 1 && durationS > 0 && warmupS >= 0)) fail("bad --rounds, --duration or --warmup");
  return {
    runtimes: runtime === "all" ? [...RUNTIMES] : [runtime as Runtime],
    only,
    rounds,
    timing: { warmupS, durationS },
    servers,
    json: values.json,
  };
}

type Kind = "echo" | "pubsub";

interface Slot {
  label: string;
  spec: ServerSpec;
}

/** Ours first (the ratio's numerator), then the peer; duplicates allowed for noise checks (ws,ws). */
function lineup(runtime: Runtime, options: Options, kind: Kind): Slot[] {
  const specs = kind === "pubsub" ? PUBSUB_SERVERS : SERVERS;
  const names =
    options.servers ??
    Object.entries(specs)
      .filter(([, s]) => s.runtime === runtime)
      .sort(([, a], [, b]) => Number(b.ours) - Number(a.ours))
      .map(([n]) => n);
  const seen = new Map<string, number>();
  const out: Slot[] = [];
  for (const name of names) {
    const spec = specs[name];
    if (spec === undefined) continue;
    const absent = missing(spec);
    if (absent !== undefined) {
      console.log(`skipping ${name}: ${absent} not found (build it first)`);
      continue;
    }
    const n = (seen.get(name) ?? 0) + 1;
    seen.set(name, n);
    out.push({ label: n === 1 ? name : `${name}#${n}`, spec });
  }
  return out;
}

/** One fresh server, one scenario run; a failure is recorded in the cell so the server cannot score. */
async function measureOnce(
  tag: string,
  { label, spec }: Slot,
  scenario: Scenario,
  cell: Cell,
  probed: Set<string>,
  timing: Timing,
): Promise<void> {
  const args = scenario.serverArgs ?? [];
  const lacks = unsupported(spec, args);
  if (lacks !== undefined) {
    cell.unsupported = `no ${lacks}`;
    console.log(`${tag} skipped: ${label} has no ${lacks} mode`);
    return;
  }
  let server: Running | undefined;
  try {
    server = await start(label, spec, args);
    // Every mode is probed once: a --deflate server must still echo a client that offers nothing.
    const key = [label, ...args].join(" ");
    if (scenario.kind !== "pubsub" && !probed.has(key)) {
      await probeEcho(server.port);
      probed.add(key);
    }
    const result = await scenario.run(server, timing);
    cell.results.push(result);
    let cpu = "";
    if (result.serverCpu !== undefined) {
      cpu = `  cpu srv ${result.serverCpu.toFixed(2)} gen ${result.generatorCpu!.toFixed(2)}`;
      if (result.otherCpu! > 0.1) cpu += `  DISTURBED: other processes used ${result.otherCpu!.toFixed(2)}`;
    }
    if (result.rssMiB !== undefined) cpu += `  rss ${result.rssMiB.toFixed(1)} MiB`;
    const detail = result.detail === undefined ? "" : `  ${result.detail}`;
    console.log(`${tag} ${result.value.toFixed(2)} ${scenario.unit}${cpu}${detail}`);
  } catch (e) {
    cell.errors.push((e as Error).message);
    console.log(`${tag} FAILED: ${(e as Error).message}`);
  } finally {
    await server?.stop();
  }
}

async function benchRuntime(title: string, servers: Slot[], options: Options, kind: Kind) {
  const scenarios = SCENARIOS.filter((s) => options.only.includes(s.name) && (s.kind ?? "echo") === kind);
  const rows: Row[] = scenarios.map((scenario) => ({
    scenario,
    cells: servers.map((s): Cell => ({ server: s.label, results: [], errors: [] })),
  }));
  const probed = new Set<string>();
  for (let round = 1; round <= options.rounds; round++) {
    for (const row of rows) {
      for (let i = 0; i < servers.length; i++) {
        const label = [servers[i].label, ...(row.scenario.serverArgs ?? [])].join(" ");
        const tag = `[${title} ${round}/${options.rounds}] ${row.scenario.name.padEnd(13)} ${label.padEnd(24)}`;
        await measureOnce(tag, servers[i], row.scenario, row.cells[i], probed, options.timing);
      }
    }
  }
  console.log(table(title, rows));
  return rows;
}

function toJson(rows: Row[]) {
  return rows.map((row) => ({
    scenario: row.scenario.name,
    describe: row.scenario.describe,
    unit: row.scenario.unit,
    higherIsBetter: row.scenario.higherIsBetter,
    ratio: ratio(row) ?? null,
    servers: row.cells.map((c) => {
      const values = c.results.map((r) => r.value);
      return {
        server: c.server,
        median: values.length > 0 ? median(values) : null,
        spread: values.length > 0 ? spread(values) : null,
        rounds: c.results,
        errors: c.errors,
        ...(c.unsupported === undefined ? {} : { unsupported: c.unsupported }),
      };
    }),
  }));
}

async function main(): Promise<void> {
  const options = parse();
  console.log(`$ ${process.argv.map((a) => (/\s/.test(a) ? JSON.stringify(a) : a)).join(" ")}`);
  console.log(
    `${cpus()[0]?.model ?? "cpu"} x${cpus().length}, node ${process.version}, ` +
      `${canPin ? "generator on core 0, server on core 1" : "NOT PINNED (taskset or 2 cores missing)"}, ` +
      `rounds ${options.rounds}, warm-up ${options.timing.warmupS} s, measure ${options.timing.durationS} s`,
  );
  for (const s of SCENARIOS.filter((s) => options.only.includes(s.name))) {
    const args = s.serverArgs === undefined ? "" : ` (servers started with ${s.serverArgs.join(" ")})`;
    console.log(`  ${s.name.padEnd(13)} ${s.describe}${args}`);
  }
  const report: Record<string, unknown> = {};
  const titles = options.servers === undefined ? options.runtimes : ["custom"];
  const kinds = (["echo", "pubsub"] as const).filter((k) =>
    SCENARIOS.some((s) => options.only.includes(s.name) && (s.kind ?? "echo") === k),
  );
  for (const kind of kinds) {
    for (const title of titles) {
      const servers = lineup(title as Runtime, options, kind);
      const name = kind === "echo" ? title : `${title} pub/sub`;
      if (servers.length === 0) {
        console.log(`no servers to run for ${name}`);
        continue;
      }
      report[name] = toJson(await benchRuntime(name, servers, options, kind));
    }
  }
  if (options.json !== undefined) {
    const meta = {
      argv: process.argv,
      node: process.version,
      pinned: canPin,
      date: new Date().toISOString(),
    };
    writeFileSync(options.json, `${JSON.stringify({ meta, options, results: report }, null, 2)}\n`);
    console.log(`\nwrote ${options.json}`);
  }
}

if (relaunchPinned()) {
  process.on("exit", killAll);
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.on(signal, () => {
      killAll();
      process.exit(130);
    });
  }
  main().catch((e: unknown) => {
    console.error(e);
    killAll();
    process.exit(1);
  });
}
