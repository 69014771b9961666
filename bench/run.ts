// npm run bench: our echo server against peers on the same runtime, interleaved, medians reported.
// Usage: npx tsx bench/run.ts [--runtime node|deno|bun|all] [--scenarios small,fanout,...] [--rounds N]
//        [--duration S] [--warmup S] [--servers a,b] [--ceiling ceiling|ceiling-node] [--json FILE]
// Beside them, in the same rounds, reference servers (bench/servers.ts REFERENCES): the runtime's floor
// in the memory scenarios, the generator's ceiling (a TCP echo) in the throughput scenarios.
import { writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { parseArgs } from "node:util";
import { canPin, relaunchPinned } from "./launch.ts";
import { probeEcho, probeHold, probeRawEcho } from "./probe.ts";
import {
  type Cell,
  FLOOR_TARGET_KIB,
  kernelShares,
  median,
  ofCeiling,
  overFloor,
  type Row,
  ratio,
  ratioPerServerCpu,
  ratioPerServerUserCpu,
  spread,
  table,
} from "./report.ts";
import { SCENARIOS } from "./scenarios/index.ts";
import { type Result, type Scenario, sleep, type Target, type Timing } from "./scenarios/scenario.ts";
import {
  floorOf,
  killAll,
  missing,
  PUBSUB_SERVERS,
  REFERENCES,
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
  /** The reference server that gives the throughput scenarios' ceiling. */
  ceiling: string;
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
      ceiling: { type: "string", default: "ceiling" },
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
  for (const name of servers ?? []) {
    if (name in REFERENCES)
      fail(`${name} is a reference server: it runs beside every scenario it applies to`);
    if (!(name in SERVERS || name in PUBSUB_SERVERS)) fail(`unknown server ${name}`);
  }
  const ceiling = values.ceiling;
  if (REFERENCES[ceiling]?.role !== "ceiling") fail(`${ceiling} is no ceiling server`);
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
    ceiling,
    json: values.json,
  };
}

type Kind = "echo" | "pubsub";

interface Slot {
  label: string;
  spec: ServerSpec;
}

function available(name: string, spec: ServerSpec): boolean {
  const absent = missing(spec);
  if (absent !== undefined) console.log(`skipping ${name}: ${absent} not found (build it first)`);
  return absent === undefined;
}

interface References {
  floor?: Slot;
  ceiling?: Slot;
}

/**
 * The floor of the table's runtime and the ceiling, for echo tables; a custom lineup takes the floor
 * of its first server's runtime.
 */
function referenceSlots(title: string, options: Options, kind: Kind): References {
  if (kind !== "echo") return {};
  const runtime = options.servers === undefined ? (title as Runtime) : SERVERS[options.servers[0]]?.runtime;
  if (runtime === undefined) return {};
  const floor = floorOf(runtime);
  const ceiling = options.ceiling;
  const slot = (name: string | undefined): Slot | undefined =>
    name !== undefined && available(name, REFERENCES[name])
      ? { label: name, spec: REFERENCES[name] }
      : undefined;
  return { floor: slot(floor), ceiling: slot(ceiling) };
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
    if (spec === undefined || !available(name, spec)) continue;
    const n = (seen.get(name) ?? 0) + 1;
    seen.set(name, n);
    out.push({ label: n === 1 ? name : `${name}#${n}`, spec });
  }
  return out;
}

/** What one measurement runs: a scenario's own run, or its run against a reference server. */
interface Job {
  args: readonly string[];
  v8Flags?: readonly string[];
  run(target: Target, timing: Timing): Promise<Result>;
  /** Checked once per server and mode before its first measurement. */
  probe?: (port: number) => Promise<void>;
}

function contestantJob(scenario: Scenario): Job {
  return {
    args: scenario.serverArgs ?? [],
    v8Flags: scenario.v8Flags,
    run: scenario.run,
    probe: scenario.kind === "pubsub" ? undefined : probeEcho,
  };
}

// The memory scenario itself checks that every connection is upgraded and held.
function floorJob(scenario: Scenario): Job {
  return { args: scenario.serverArgs ?? [], v8Flags: scenario.v8Flags, run: scenario.run, probe: probeHold };
}

// The handshakes scenario checks the --close mode's answers itself.
function ceilingJob(scenario: Scenario): Job {
  const args = scenario.ceiling!.serverArgs ?? [];
  return { args, run: scenario.ceiling!.run, probe: args.includes("--close") ? undefined : probeRawEcho };
}

/** One fresh server, one run; a failure is recorded in the cell so the server cannot score. */
async function measureOnce(
  tag: string,
  { label, spec }: Slot,
  scenario: Scenario,
  job: Job,
  cell: Cell,
  probed: Set<string>,
  timing: Timing,
): Promise<void> {
  const lacks = unsupported(spec, job.args);
  if (lacks !== undefined) {
    cell.unsupported = `no ${lacks}`;
    console.log(`${tag} skipped: ${label} has no ${lacks} mode`);
    return;
  }
  let server: Running | undefined;
  try {
    server = await start(label, spec, job.args, job.v8Flags);
    // Every mode is probed once: a --deflate server must still echo a client that offers nothing.
    const key = [label, ...job.args].join(" ");
    if (job.probe !== undefined && !probed.has(key)) {
      await job.probe(server.port);
      probed.add(key);
    }
    const result = await job.run(server, timing);
    cell.results.push(result);
    let cpu = "";
    if (result.serverCpu !== undefined) {
      cpu = `  cpu srv ${result.serverCpu.toFixed(2)} (kernel ${result.serverSystemCpu!.toFixed(2)}) gen ${result.generatorCpu!.toFixed(2)}`;
      if (result.serverCore !== undefined)
        cpu += `  cores srv ${result.serverCore.toFixed(2)} gen ${result.generatorCore!.toFixed(2)}`;
      if (result.otherCpu! > 0.1) cpu += `  DISTURBED: other processes used ${result.otherCpu!.toFixed(2)}`;
    }
    if (result.rssMiB !== undefined) cpu += `  rss ${result.rssMiB.toFixed(1)} MiB`;
    const detail = result.detail === undefined ? "" : `  ${result.detail}`;
    console.log(`${tag} ${result.value.toFixed(2)} ${scenario.unit}${cpu}${detail}`);
  } catch (e) {
    // A server that died mid-run says why on its way out.
    await sleep(100);
    const death = server?.death();
    const message = (e as Error).message + (death ? ` (the server ${death})` : "");
    cell.errors.push(message);
    console.log(`${tag} FAILED: ${message}`);
  } finally {
    await server?.stop();
  }
}

const emptyCell = (server: string): Cell => ({ server, results: [], errors: [] });

async function benchRuntime(title: string, servers: Slot[], refs: References, options: Options, kind: Kind) {
  const scenarios = SCENARIOS.filter((s) => options.only.includes(s.name) && (s.kind ?? "echo") === kind);
  const rows: Row[] = scenarios.map((scenario) => ({
    scenario,
    cells: servers.map((s) => emptyCell(s.label)),
    // Floors only where memory is measured, the ceiling only where throughput is.
    ...(scenario.floor && refs.floor ? { floor: emptyCell(refs.floor.label) } : {}),
    ...(scenario.ceiling && refs.ceiling ? { ceiling: emptyCell(refs.ceiling.label) } : {}),
  }));
  const probed = new Set<string>();
  for (let round = 1; round <= options.rounds; round++) {
    for (const row of rows) {
      const runs: [Slot, Job, Cell][] = servers.map((s, i) => [s, contestantJob(row.scenario), row.cells[i]]);
      if (row.floor) runs.push([refs.floor!, floorJob(row.scenario), row.floor]);
      if (row.ceiling) runs.push([refs.ceiling!, ceilingJob(row.scenario), row.ceiling]);
      for (const [slot, job, cell] of runs) {
        const label = [slot.label, ...job.args].join(" ");
        const tag = `[${title} ${round}/${options.rounds}] ${row.scenario.name.padEnd(13)} ${label.padEnd(24)}`;
        await measureOnce(tag, slot, row.scenario, job, cell, probed, options.timing);
      }
    }
  }
  console.log(table(title, rows));
  return rows;
}

function cellJson(c: Cell) {
  const values = c.results.map((r) => r.value);
  return {
    server: c.server,
    median: values.length > 0 ? median(values) : null,
    spread: values.length > 0 ? spread(values) : null,
    rounds: c.results,
    errors: c.errors,
    ...(c.unsupported === undefined ? {} : { unsupported: c.unsupported }),
  };
}

function toJson(rows: Row[]) {
  return rows.map((row) => ({
    scenario: row.scenario.name,
    describe: row.scenario.describe,
    unit: row.scenario.unit,
    higherIsBetter: row.scenario.higherIsBetter,
    ratio: ratio(row) ?? null,
    ratioPerServerCpu: ratioPerServerCpu(row) ?? null,
    ratioPerServerUserCpu: ratioPerServerUserCpu(row) ?? null,
    servers: row.cells.map((c, i) => ({
      ...cellJson(c),
      kernelShare: kernelShares(row)[i] ?? null,
      ...(row.floor === undefined ? {} : { overFloor: overFloor(row)[i] ?? null }),
      ...(row.ceiling === undefined ? {} : { ofCeiling: ofCeiling(row)[i] ?? null }),
    })),
    ...(row.floor === undefined ? {} : { floor: cellJson(row.floor) }),
    ...(row.ceiling === undefined ? {} : { ceiling: cellJson(row.ceiling) }),
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
      const refs = referenceSlots(title, options, kind);
      report[name] = toJson(await benchRuntime(name, servers, refs, options, kind));
    }
  }
  if (options.json !== undefined) {
    const meta = {
      argv: process.argv,
      node: process.version,
      pinned: canPin,
      date: new Date().toISOString(),
      floorTargetKiB: FLOOR_TARGET_KIB,
      references: REFERENCES,
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
