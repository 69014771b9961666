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
  cells: Cell[];
}

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

/** First server over second; for lower-is-better units a ratio below 1 still means "first is better". */
export function ratio(row: Row): number | undefined {
  const [a, b] = row.cells;
  if (a === undefined || b === undefined) return undefined;
  if (a.errors.length + b.errors.length > 0 || a.results.length * b.results.length === 0) return undefined;
  return median(a.results.map((r) => r.value)) / median(b.results.map((r) => r.value));
}

export function table(title: string, rows: Row[]): string {
  const names = rows[0]?.cells.map((c) => c.server) ?? [];
  const header = ["scenario", "unit", ...names];
  if (names.length === 2) header.push(`${names[0]}/${names[1]}`);
  header.push(...names.map((n) => `cpu srv/gen ${n}`));
  const body = rows.map((row) => {
    const line = [
      row.scenario.name,
      row.scenario.unit,
      ...row.cells.map((c) => formatCell(c, row.scenario.unit)),
    ];
    if (names.length === 2) {
      const r = ratio(row);
      const noPeer = row.cells[1].unsupported !== undefined;
      line.push(
        noPeer
          ? "no peer"
          : r === undefined
            ? "-"
            : `${r.toFixed(2)}${row.scenario.higherIsBetter ? "" : " (lower=better)"}`,
      );
    }
    line.push(...row.cells.map(formatCpu));
    return line;
  });
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((l) => l[i].length)));
  const fmt = (l: string[]) =>
    l.map((s, i) => (i < 2 ? s.padEnd(widths[i]) : s.padStart(widths[i]))).join("  ");
  const all = rows.flatMap((r) => r.cells.flatMap((c) => c.results));
  const disturbed = all.filter((r) => (r.otherCpu ?? 0) > 0.1).length;
  const warning =
    disturbed === 0
      ? []
      : [`warning: ${disturbed} of ${all.length} measurements ran while other processes used > 0.1 core`];
  const errors = rows.flatMap((r) => r.cells.flatMap((c) => c.errors.map((e) => `  ${c.server}: ${e}`)));
  return [
    `\n== ${title} ==`,
    fmt(header),
    widths.map((w) => "-".repeat(w)).join("  "),
    ...body.map(fmt),
    ...warning,
    ...(errors.length > 0 ? ["errors:", ...errors] : []),
  ].join("\n");
}
