// Counting verdicts and printing them as one table per section.
import { SECTIONS } from "./cases/index.ts";
import type { CaseResult, Verdict } from "./types.ts";

export type Tally = Record<Verdict, number>;

export function tally(results: CaseResult[]): Tally {
  const t: Tally = { PASS: 0, "NON-STRICT": 0, FAIL: 0, INFORMATIONAL: 0 };
  for (const r of results) t[r.verdict]++;
  return t;
}

const section = (id: string) => id.split(".")[0];

/** Plain-text report: a table per section (id, verdict, ms, description, reason), then a summary line. */
export function formatReport(title: string, results: CaseResult[]): string {
  const out: string[] = [title];
  const bySection = new Map<string, CaseResult[]>();
  for (const r of results) bySection.set(section(r.id), [...(bySection.get(section(r.id)) ?? []), r]);
  for (const [s, rows] of bySection) {
    const t = tally(rows);
    out.push("", `${s} ${SECTIONS[s] ?? ""}  (${summaryLine(t)})`);
    const idw = Math.max(...rows.map((r) => r.id.length));
    for (const r of rows) {
      const why = r.reason ? `  — ${r.reason}` : "";
      out.push(
        `  ${r.id.padEnd(idw)}  ${r.verdict.padEnd(13)} ${String(r.durationMs).padStart(6)} ms  ${r.description}${why}`,
      );
    }
  }
  out.push("", `Total ${results.length}: ${summaryLine(tally(results))}`);
  return out.join("\n");
}

export const summaryLine = (t: Tally): string =>
  `${t.PASS} PASS, ${t["NON-STRICT"]} NON-STRICT, ${t.FAIL} FAIL, ${t.INFORMATIONAL} INFORMATIONAL`;
