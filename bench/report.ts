// Medians, spreads and the printed table.
import type { Result, Scenario } from "./scenarios/scenario.ts";

export interface Cell {
  server: string;
  results: Result[];
  errors: string[];
  /** Set when the server has no mode for the scenario (Deno's native server and --deflate). */
  unsupported?: string;
}

export interface Row {
  scenario: Scenario;
  /** The contestants: ours first, then the peer. */
  cells: Cell[];
  /** The runtime's floor server, in the memory scenarios. */
  floor?: Cell;
  /** The TCP echo ceiling, in the throughput scenarios. */
  ceiling?: Cell;
}

/** The issue's target for idle memory: ours at most this many KiB per connection above the floor. */
export const FLOOR_TARGET_KIB = 0.5;

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Half the range, relative to the median: how far rounds disagree. */
export function spread(xs: number[]): number {
  const m = median(xs);
  return m === 0 ? 0 : (Math.max(...xs) - Math.min(...xs)) / 2 / Math.abs(m);
}

function formatValue(v: number, unit: string): string {
  if (unit === "KiB/conn") return v.toFixed(2);
  if (unit === "MB/s") return v.toFixed(1);
  return Math.round(v).toLocaleString("en-US");
}

function formatCell(c: Cell, unit: string): string {
  if (c.unsupported !== undefined) return c.unsupported;
  if (c.errors.length > 0) return `FAILED (${c.errors.length})`;
  if (c.results.length === 0) return "-";
  const values = c.results.map((r) => r.value);
  return `${formatValue(median(values), unit)} ±${(spread(values) * 100).toFixed(1)}%`;
}

function formatCpu(c: Cell): string {
  const s = c.results.filter((r) => r.serverCpu !== undefined);
  if (s.length === 0 || c.errors.length > 0) return "";
  const cpu = `${median(s.map((r) => r.serverCpu!)).toFixed(2)}/${median(s.map((r) => r.generatorCpu!)).toFixed(2)}`;
  const rss = s.filter((r) => r.rssMiB !== undefined).map((r) => r.rssMiB!);
  return rss.length > 0 ? `${cpu} rss ${median(rss).toFixed(0)} MiB` : cpu;
}

/** The cell's median, or undefined if it failed, was skipped or has no results. */
export function cellMedian(c: Cell | undefined): number | undefined {
  if (c === undefined || c.errors.length > 0 || c.results.length === 0) return undefined;
  return median(c.results.map((r) => r.value));
}

/** Each contestant's median minus the floor's: what the server adds to a bare connection. */
export function overFloor(row: Row): (number | undefined)[] {
  const floor = cellMedian(row.floor);
  return row.cells.map((c) => {
    const m = cellMedian(c);
    return floor === undefined || m === undefined ? undefined : m - floor;
  });
}

/** Each contestant's median as a fraction of the ceiling's: how close to what the generator can drive. */
export function ofCeiling(row: Row): (number | undefined)[] {
  const ceiling = cellMedian(row.ceiling);
  return row.cells.map((c) => {
    const m = cellMedian(c);
    return ceiling === undefined || ceiling === 0 || m === undefined ? undefined : m / ceiling;
  });
}

/** "+0.42" or "−0.10" (a real minus sign): KiB per connection above the floor. */
export function formatOverFloor(d: number | undefined): string {
  if (d === undefined) return "-";
  const s = Math.abs(d).toFixed(2);
  return s === "0.00" ? "+0.00" : `${d < 0 ? "\u2212" : "+"}${s}`;
}

/** "38%", "4.2%" below one tenth, so small fractions keep two digits. */
export function formatFraction(f: number | undefined): string {
  if (f === undefined) return "-";
  return `${(f * 100).toFixed(f < 0.1 ? 1 : 0)}%`;
}

const SATURATED = 0.9;
/** A figure this far above the ceiling is more than noise: the ceiling server, not the generator, limited it. */
const ABOVE = 1.05;

/**
 * Which side of the ceiling run saturated its core, so whether the ceiling is the generator's. The
 * pinned cores' busy time (softirq included, where loopback TCP is processed) decides when known.
 */
export function ceilingBound(c: Cell): string | undefined {
  const s = c.results.filter((r) => r.serverCpu !== undefined);
  if (s.length === 0 || c.errors.length > 0) return undefined;
  const m = (f: (r: Result) => number) => median(s.map(f)).toFixed(2);
  const cpu = `process cpu srv ${m((r) => r.serverCpu!)} gen ${m((r) => r.generatorCpu!)}`;
  const cored = s.filter((r) => r.serverCore !== undefined);
  const [srv, gen] =
    cored.length > 0
      ? [median(cored.map((r) => r.serverCore!)), median(cored.map((r) => r.generatorCore!))]
      : [median(s.map((r) => r.serverCpu!)), median(s.map((r) => r.generatorCpu!))];
  const other = median(s.map((r) => r.otherCpu ?? 0));
  const disturbed = other > 0.1 ? `; DISTURBED: other processes used ${other.toFixed(2)} cores` : "";
  const facts = `${cored.length > 0 ? `cores busy srv ${srv.toFixed(2)} gen ${gen.toFixed(2)}, ` : ""}${cpu}${disturbed}`;
  if (gen >= SATURATED) return `the generator's limit (${facts})`;
  if (srv >= SATURATED) return `the ceiling server's limit (${facts}): the generator could drive more`;
  return `neither core saturated (${facts}): the window, not CPU, limits it`;
}

/** First server over second; for lower-is-better units a ratio below 1 still means "first is better". */
export function ratio(row: Row): number | undefined {
  const [a, b] = row.cells;
  if (a === undefined || b === undefined) return undefined;
  if (a.errors.length + b.errors.length > 0 || a.results.length * b.results.length === 0) return undefined;
  return median(a.results.map((r) => r.value)) / median(b.results.map((r) => r.value));
}

/**
 * First server over second in work per second of the server's own CPU: where both are held at the
 * generator's ceiling, their throughputs tie but what each spent on it does not. Throughput rows only.
 */
export function ratioPerServerCpu(row: Row): number | undefined {
  return ratioPerSpent(row, (r) => r.serverCpu);
}

/**
 * The same in work per second of the server's user-space CPU: what the server's own code spent,
 * without the kernel's share (system calls, TCP), which a server cannot make cheaper than the
 * calls it needs.
 */
export function ratioPerServerUserCpu(row: Row): number | undefined {
  return ratioPerSpent(row, (r) =>
    r.serverCpu === undefined || r.serverSystemCpu === undefined
      ? undefined
      : r.serverCpu - r.serverSystemCpu,
  );
}

function ratioPerSpent(row: Row, spent: (r: Result) => number | undefined): number | undefined {
  if (!row.scenario.higherIsBetter) return undefined;
  const perCpu = (c: Cell | undefined) => {
    const s = c?.results.filter((r) => (spent(r) ?? 0) > 0) ?? [];
    return c === undefined || c.errors.length > 0 || s.length === 0
      ? undefined
      : median(s.map((r) => r.value / spent(r)!));
  };
  const [a, b] = [perCpu(row.cells[0]), perCpu(row.cells[1])];
  return a === undefined || b === undefined ? undefined : a / b;
}

/** Each contestant's median share of its server CPU spent in the kernel, in the table's order. */
export function kernelShares(row: Row): (number | undefined)[] {
  return row.cells.map((c) => {
    const s = c.results.filter((r) => (r.serverCpu ?? 0) > 0 && r.serverSystemCpu !== undefined);
    return c.errors.length > 0 || s.length === 0
      ? undefined
      : median(s.map((r) => r.serverSystemCpu! / r.serverCpu!));
  });
}

interface Column {
  header: string;
  cell(row: Row): string;
  /** Left-aligned (names) rather than right-aligned (figures). */
  left?: boolean;
  /** Left out of the table when every row's cell is empty (no floor or no ceiling measured). */
  optional?: boolean;
}

function ratioCell(row: Row): string {
  const r = ratio(row);
  if (row.cells[1].unsupported !== undefined) return "no peer";
  if (r === undefined) return "-";
  return `${r.toFixed(2)}${row.scenario.higherIsBetter ? "" : " (lower=better)"}`;
}

/** One figure per contestant, in the table's order: "+2.55 / +1.64". */
const each = (xs: (number | undefined)[], f: (x: number | undefined) => string) =>
  xs.every((x) => x === undefined) ? "" : xs.map(f).join(" / ");

function columns(rows: Row[]): Column[] {
  const names = rows[0]?.cells.map((c) => c.server) ?? [];
  const floorName = rows.find((r) => r.floor)?.floor?.server ?? "floor";
  const ceilingName = rows.find((r) => r.ceiling)?.ceiling?.server ?? "ceiling";
  const ref = (c: Cell | undefined, unit: string) => (c === undefined ? "" : formatCell(c, unit));
  return [
    { header: "scenario", cell: (r) => r.scenario.name, left: true },
    { header: "unit", cell: (r) => r.scenario.unit, left: true },
    ...names.map((n, i): Column => ({ header: n, cell: (r) => formatCell(r.cells[i], r.scenario.unit) })),
    ...(names.length === 2
      ? [
          { header: `${names[0]}/${names[1]}`, cell: ratioCell },
          { header: "per srv cpu", cell: (r: Row) => ratioPerServerCpu(r)?.toFixed(2) ?? "", optional: true },
          {
            header: "per srv user cpu",
            cell: (r: Row) => ratioPerServerUserCpu(r)?.toFixed(2) ?? "",
            optional: true,
          },
          {
            header: "srv in kernel",
            cell: (r: Row) => (r.scenario.higherIsBetter ? each(kernelShares(r), formatFraction) : ""),
            optional: true,
          },
        ]
      : []),
    { header: floorName, cell: (r) => ref(r.floor, r.scenario.unit), optional: true },
    { header: "over floor", cell: (r) => each(overFloor(r), formatOverFloor), optional: true },
    { header: ceilingName, cell: (r) => ref(r.ceiling, r.scenario.unit), optional: true },
    { header: "of ceiling", cell: (r) => each(ofCeiling(r), formatFraction), optional: true },
    ...names.map((n, i): Column => ({ header: `cpu srv/gen ${n}`, cell: (r) => formatCpu(r.cells[i]) })),
  ];
}

/** Lines under the table: what the reference columns mean, the floor target, the ceiling's bound. */
function notes(rows: Row[]): string[] {
  const names = rows[0]?.cells.map((c) => c.server).join(" / ") ?? "";
  const out: string[] = [];
  const floored = rows.filter((r) => r.floor !== undefined);
  if (floored.length > 0) {
    const floor = floored[0].floor!.server;
    out.push(
      `${floor}: the runtime's raw TCP API, a 101, then the socket only held. "over floor" ` +
        `(${names}): what each server adds to an idle connection; target for ours \u2264 +${FLOOR_TARGET_KIB.toFixed(2)} KiB`,
    );
    for (const r of floored) {
      const d = overFloor(r)[0];
      if (d === undefined) continue;
      const verdict = d <= FLOOR_TARGET_KIB ? "met" : "MISSED";
      out.push(
        `  ${r.scenario.name}: ${r.cells[0].server} \u2212 ${floor} = ${formatOverFloor(d)} KiB/conn, target ${verdict}`,
      );
    }
  }
  if (rows.some((r) => ratioPerServerCpu(r) !== undefined))
    out.push(`per srv cpu (${names}): the ratio of work per second of each server's own CPU`);
  if (rows.some((r) => ratioPerServerUserCpu(r) !== undefined))
    out.push(
      `per srv user cpu: the same per second of user-space CPU only; "srv in kernel" (${names}): ` +
        "each server's share of its CPU spent in the kernel (system time)",
    );
  const ceiled = rows.filter((r) => r.ceiling !== undefined);
  if (ceiled.length > 0) {
    const ceiling = ceiled[0].ceiling!.server;
    out.push(
      `${ceiling}: the same load against a raw TCP echo (no WebSocket work), counted by bytes. "of ceiling" ` +
        `(${names}): each figure as a fraction of the most this generator drove`,
    );
    for (const r of ceiled) {
      const bound = ceilingBound(r.ceiling!);
      if (bound !== undefined) out.push(`  ${r.scenario.name}: ceiling is ${bound}`);
      const above = ofCeiling(r).flatMap((f, i) => (f !== undefined && f > ABOVE ? [r.cells[i].server] : []));
      if (above.length > 0)
        out.push(`  ${r.scenario.name}: ${above.join(", ")} more than 5% above the ceiling: no ceiling here`);
    }
  }
  return out;
}

export function table(title: string, rows: Row[]): string {
  const cols = columns(rows).filter((c) => !c.optional || rows.some((r) => c.cell(r) !== ""));
  const header = cols.map((c) => c.header);
  const body = rows.map((row) => cols.map((c) => c.cell(row)));
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((l) => l[i].length)));
  const fmt = (l: string[]) =>
    l
      .map((s, i) => (cols[i].left ? s.padEnd(widths[i]) : s.padStart(widths[i])))
      .join("  ")
      .trimEnd();
  const cellsOf = (r: Row) => [...r.cells, ...(r.floor ? [r.floor] : []), ...(r.ceiling ? [r.ceiling] : [])];
  const all = rows.flatMap((r) => cellsOf(r).flatMap((c) => c.results));
  const disturbed = all.filter((r) => (r.otherCpu ?? 0) > 0.1).length;
  const warning =
    disturbed === 0
      ? []
      : [`warning: ${disturbed} of ${all.length} measurements ran while other processes used > 0.1 core`];
  const errors = rows.flatMap((r) => cellsOf(r).flatMap((c) => c.errors.map((e) => `  ${c.server}: ${e}`)));
  return [
    `\n== ${title} ==`,
    fmt(header),
    widths.map((w) => "-".repeat(w)).join("  "),
    ...body.map(fmt),
    ...notes(rows),
    ...warning,
    ...(errors.length > 0 ? ["errors:", ...errors] : []),
  ].join("\n");
}
