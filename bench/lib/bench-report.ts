import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';

/**
 * One line of the table. `ours` and `baseline` are measured in the same run, back to back;
 * `ratio` is what the target is about (absolute figures on a shared 2-core box are noise).
 */
export interface BenchRow {
  benchmark: string;
  /** Unit of ours/baseline, e.g. "req/s", "ms", "customers/s". */
  unit: string;
  ours: number | null;
  baseline: number | null;
  /** ours / baseline, or another figure the target is stated in (named by `target`). */
  ratio: number | null;
  /** Human text of the target, e.g. ">= 0.70 x baseline". Empty: informational row. */
  target: string;
  /** null: informational (no target) or not measured. */
  pass: boolean | null;
  /** Latency percentiles and anything else worth a glance. */
  extra?: Record<string, number | string | null>;
  note?: string;
}

export interface BenchSection {
  name: string;
  title: string;
  rows: BenchRow[];
  /** Everything measured, for the JSON file (rounds, plans, counts). */
  details: Record<string, unknown>;
  /** Set when the section could not run to the end. */
  error?: string;
  skipped?: string;
  durationS?: number;
}

export interface BenchRun {
  startedAt: string;
  finishedAt: string;
  quick: boolean;
  machine: { cpus: number; cpuModel: string; memoryGb: number; loadAvgAtStart: number[]; node: string };
  settings: Record<string, unknown>;
  sections: BenchSection[];
  summary: { passed: number; failed: number; informational: number; errors: string[] };
}

export function machineInfo(): BenchRun['machine'] {
  const list = cpus();
  return {
    cpus: list.length,
    cpuModel: list[0]?.model ?? 'unknown',
    memoryGb: Math.round(totalmem() / 2 ** 30),
    loadAvgAtStart: loadavg().map((l) => round(l, 2)),
    node: process.version,
  };
}

export function round(value: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

export function summarize(sections: BenchSection[]): BenchRun['summary'] {
  const rows = sections.flatMap((s) => s.rows);
  return {
    passed: rows.filter((r) => r.pass === true).length,
    failed: rows.filter((r) => r.pass === false).length,
    informational: rows.filter((r) => r.pass === null).length,
    errors: sections.filter((s) => s.error).map((s) => `${s.name}: ${s.error}`),
  };
}

function formatNumber(value: number | null): string {
  if (value === null || !Number.isFinite(value)) return '-';
  const abs = Math.abs(value);
  if (abs >= 1000) return Math.round(value).toLocaleString('en-US');
  if (abs >= 100) return value.toFixed(0);
  if (abs >= 10) return value.toFixed(1);
  if (abs >= 1) return value.toFixed(2);
  return value.toFixed(3);
}

function withUnit(value: number | null, unit: string): string {
  return value === null ? '-' : `${formatNumber(value)} ${unit}`.trim();
}

function verdict(row: BenchRow): string {
  if (row.pass === null) return row.target ? 'n/a' : 'info';
  return row.pass ? 'PASS' : 'FAIL';
}

/** The table as Markdown (printed, and pasted into the README's Performance section). */
export function markdownTable(sections: BenchSection[]): string {
  const lines = ['| benchmark | ours | baseline | ratio | target | result |', '| --- | ---: | ---: | ---: | --- | --- |'];
  for (const section of sections) {
    if (section.skipped || (section.error && section.rows.length === 0)) {
      lines.push(`| **${section.title}** | | | | | ${section.skipped ? `skipped: ${section.skipped}` : `error: ${section.error}`} |`);
      continue;
    }
    for (const row of section.rows) {
      const ratio = row.ratio === null ? '-' : `${row.ratio.toFixed(2)}`;
      lines.push(
        `| ${row.benchmark} | ${withUnit(row.ours, row.unit)} | ${withUnit(row.baseline, row.unit)} | ${ratio} | ${row.target || '-'} | ${verdict(row)} |`,
      );
    }
    if (section.error) lines.push(`| **${section.title}** | | | | | error: ${section.error} |`);
  }
  return lines.join('\n');
}

/** Percentiles and notes, one line per row that has any. */
export function detailLines(sections: BenchSection[]): string[] {
  const lines: string[] = [];
  for (const row of sections.flatMap((s) => s.rows)) {
    const parts = Object.entries(row.extra ?? {}).map(([k, v]) => `${k}=${typeof v === 'number' ? formatNumber(v) : v}`);
    if (row.note) parts.push(row.note);
    if (parts.length) lines.push(`- ${row.benchmark}: ${parts.join(', ')}`);
  }
  return lines;
}

/**
 * Writes the current summary, bench/results/latest.json and the table as Markdown in
 * bench/results/latest.md (both committed), and this run's copy under bench/results/runs/
 * (git-ignored: the history stays on the machine that ran it); returns the paths.
 */
/** Where each run's own file goes (git-ignored). */
export const RUNS_DIR = 'runs';

export function writeResults(resultsDir: string, run: BenchRun, name = 'bench'): string[] {
  mkdirSync(join(resultsDir, RUNS_DIR), { recursive: true });
  const stamp = run.startedAt.replace(/[:.]/g, '-');
  const text = `${JSON.stringify(run, null, 2)}\n`;
  const paths = [join(resultsDir, RUNS_DIR, `${name}-${stamp}.json`), join(resultsDir, 'latest.json')];
  for (const path of paths) writeFileSync(path, text);
  const { cpus: n, cpuModel, loadAvgAtStart } = run.machine;
  const heading = `Run of ${run.startedAt}${run.quick ? ' (BENCH_QUICK)' : ''}: ${n} CPUs (${cpuModel}), load average at start ${loadAvgAtStart.join(' / ')}.`;
  const markdown = `${heading}\n\n${markdownTable(run.sections)}\n\n${detailLines(run.sections).join('\n')}\n`;
  paths.push(join(resultsDir, 'latest.md'));
  writeFileSync(paths[2], markdown);
  return paths;
}
