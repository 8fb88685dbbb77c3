// `npm run bench`: every benchmark of issue #5 against real Postgres, Redis and the Celar
// sandbox, each beside a baseline measured in the same run; prints the table and writes it
// to bench/results/. Settings: the README's Performance section (BENCH_QUICK=1 for a short run).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { runApiBenches } from './api.bench';
import { BenchContext, loadBenchSettings } from './lib/bench-context';
import { DIST_ROOT, killAllChildren } from './lib/bench-processes';
import { BenchRow, BenchRun, BenchSection, detailLines, machineInfo, markdownTable, round, summarize, writeResults } from './lib/bench-report';
import { runLookupBench } from './lookup.bench';
import { runScaleBench } from './scale.bench';
import { runSyncBenches } from './sync.bench';

const RESULTS_DIR = join(DIST_ROOT, '..', 'bench', 'results');

type SectionName =
  | 'api-writes'
  | 'api-reads'
  | 'scale'
  | 'sync-throughput'
  | 'sync-rate-limit'
  | 'sync-scale-out'
  | 'reconciliation'
  | 'lookup'
  | 'budget-share'
  | 'cases'
  | 'webhooks';

/** Benchmarks that run as their own process and print their own table (kept whole in the results). */
const STANDALONE: { name: SectionName; file: string; title: string }[] = [
  { name: 'budget-share', file: 'budget-share.bench.js', title: 'Sync latency during a long balance run (RECONCILE_BUDGET_SHARE)' },
  { name: 'cases', file: 'cases.bench.js', title: 'Cases: a balance run over many customers with 1% drift opens and updates cases' },
  { name: 'webhooks', file: 'webhooks.bench.js', title: 'Webhooks: events/s to a local receiver, and the added cost per sync' },
];

async function timed(name: string, title: string, fn: () => Promise<BenchSection | BenchSection[]>): Promise<BenchSection[]> {
  const started = Date.now();
  log(`>> ${title}`);
  try {
    const result = await fn();
    const list = Array.isArray(result) ? result : [result];
    const seconds = round((Date.now() - started) / 1000, 1);
    for (const section of list) section.durationS ??= seconds;
    log(`   done in ${seconds} s`);
    return list;
  } catch (error) {
    const message = (error as Error).message.split('\n')[0];
    log(`   FAILED: ${(error as Error).stack ?? message}`);
    return [{ name, title, rows: [], details: {}, error: message, durationS: round((Date.now() - started) / 1000, 1) }];
  }
}

function log(line: string): void {
  process.stdout.write(`${line}\n`);
}

/** The reconciliation helper's bench (bench/reconciliation.bench.ts), when it exists in this build. */
async function reconciliationSection(ctx: BenchContext): Promise<BenchSection> {
  const file = join(__dirname, 'reconciliation.bench.js');
  const base: BenchSection = { name: 'reconciliation', title: 'Reconciliation', rows: [], details: {} };
  if (!existsSync(file)) return { ...base, skipped: 'bench/reconciliation.bench.ts not present' };
  // Loaded at run time: the file belongs to another part of the project and may not exist.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const mod = require(file) as { runReconciliationBench?: (ctx: BenchContext) => Promise<unknown> };
  if (typeof mod.runReconciliationBench !== 'function') return { ...base, skipped: 'runReconciliationBench() not exported' };
  return toSection(await mod.runReconciliationBench(ctx), base);
}

/** Runs a standalone benchmark's built file; its printed output is the result, its exit code the verdict. */
async function standaloneSection(name: string, title: string, file: string): Promise<BenchSection> {
  const { stdout, code } = await new Promise<{ stdout: string; code: number | null }>((resolve, reject) => {
    const child = spawn(process.execPath, [join(__dirname, file)], { env: process.env, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (exitCode) => resolve({ stdout: out, code: exitCode }));
  });
  const output = stdout.trim();
  return {
    name,
    title,
    rows: [
      {
        benchmark: title,
        unit: '',
        ours: null,
        baseline: null,
        ratio: null,
        target: 'runs to the end with the outcome it checks',
        pass: code === 0,
        note: output.split('\n').join(' / ').slice(0, 2000),
      },
    ],
    details: { output },
    ...(code === 0 ? {} : { error: `exited ${code}` }),
  };
}

/** Accepts a BenchSection, a list of rows, or anything else (kept as details). */
function toSection(result: unknown, base: BenchSection): BenchSection {
  const asRows = (list: unknown[]): BenchRow[] => list.filter((r): r is Partial<BenchRow> => typeof r === 'object' && r !== null).map(toRow);
  if (Array.isArray(result)) return { ...base, rows: asRows(result) };
  if (typeof result === 'object' && result !== null) {
    const r = result as Partial<BenchSection>;
    if (Array.isArray(r.rows)) return { ...base, ...r, rows: asRows(r.rows), details: r.details ?? {} };
    return { ...base, details: { result } };
  }
  return { ...base, details: { result } };
}

function toRow(row: Partial<BenchRow> & Record<string, unknown>): BenchRow {
  const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : null);
  return {
    benchmark: String(row.benchmark ?? row.name ?? 'reconciliation'),
    unit: String(row.unit ?? ''),
    ours: num(row.ours),
    baseline: num(row.baseline),
    ratio: num(row.ratio),
    target: String(row.target ?? ''),
    pass: typeof row.pass === 'boolean' ? row.pass : null,
    ...(row.extra ? { extra: row.extra } : {}),
    ...(row.note ? { note: String(row.note) } : {}),
  };
}

async function main(): Promise<void> {
  const settings = loadBenchSettings();
  const ctx = new BenchContext(settings);
  const startedAt = new Date().toISOString();
  const machine = machineInfo();
  const wanted = (name: SectionName) => !settings.only || settings.only.includes(name);
  log(`customer-sync benchmarks, run ${ctx.runId}${settings.quick ? ' (quick)' : ''}: ${machine.cpus} cpus, load ${machine.loadAvgAtStart.join(' ')}`);

  let interrupted = false;
  const onSignal = () => {
    if (interrupted) process.exit(130);
    interrupted = true;
    log('interrupted: stopping children and dropping bench databases');
    killAllChildren();
    void ctx.cleanup().finally(() => process.exit(130));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const sections: BenchSection[] = [];
  try {
    if (wanted('api-writes') || wanted('api-reads')) {
      sections.push(
        ...(await timed('api', '1-2. API writes and reads vs plain pg + BullMQ', async () => {
          const { writes, reads } = await runApiBenches(ctx, { writes: wanted('api-writes'), reads: wanted('api-reads') });
          return [writes, reads].filter((s) => !s.skipped);
        })),
      );
    }
    if (wanted('scale')) sections.push(...(await timed('scale', '5. Scale: database and queue cost vs row count', () => runScaleBench(ctx))));
    const sync = (['sync-throughput', 'sync-rate-limit', 'sync-scale-out'] as const).filter(wanted);
    if (sync.length) sections.push(...(await timed('sync', '3, 4, 6. Sync throughput, rate limit, scale-out', () => runSyncBenches(ctx, sync))));
    if (wanted('lookup')) sections.push(...(await timed('lookup', 'Upstream lookup of creates in doubt', () => runLookupBench(ctx))));
    if (wanted('reconciliation')) sections.push(...(await timed('reconciliation', 'Reconciliation', () => reconciliationSection(ctx))));
    for (const bench of STANDALONE.filter((b) => wanted(b.name))) {
      sections.push(...(await timed(bench.name, bench.title, () => standaloneSection(bench.name, bench.title, bench.file))));
    }
  } finally {
    killAllChildren();
    const problems = await ctx.cleanup();
    for (const p of problems) log(`cleanup: ${p}`);
  }

  const run: BenchRun = {
    startedAt,
    finishedAt: new Date().toISOString(),
    quick: settings.quick,
    machine,
    settings: { ...settings },
    sections,
    summary: summarize(sections),
  };
  log('');
  log(markdownTable(sections));
  log('');
  for (const line of detailLines(sections)) log(line);
  const paths = writeResults(RESULTS_DIR, run);
  log('');
  log(`${run.summary.passed} passed, ${run.summary.failed} failed, ${run.summary.informational} informational; written to ${paths.join(', ')}`);
  if (run.summary.errors.length) {
    log(`errors: ${run.summary.errors.join('; ')}`);
    process.exitCode = 1;
  }
}

main().catch((error: unknown) => {
  console.error(`bench failed: ${(error as Error).stack ?? String(error)}`);
  killAllChildren();
  process.exit(1);
});
