// Balance reconciliation at scale (issue #4): N customers in the mirror and in the Celar sandbox,
// one balance run done by worker processes under the global Celar budget. Measures the time,
// Celar calls/s against CELAR_REQUESTS_PER_SECOND (target: >= 90% used, no 429 storm), and each
// worker's peak memory, which must stay flat from 10,000 to 100,000 customers.
// Run alone: `npm run build && node dist/bench/reconciliation.bench.js`, or from `npm run bench`.
import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { appEnv, BENCH_ADMIN_KEY, BenchContext, loadBenchSettings, SANDBOX_KEY } from './lib/bench-context';
import { customerBody } from './lib/bench-fixtures';
import { ChildHandle, DIST_ROOT, freePort, killAllChildren, SCRIPTS, sleep, startNode, waitForHttp } from './lib/bench-processes';
import { BenchRow, BenchSection, machineInfo, markdownTable, round, RUNS_DIR } from './lib/bench-report';

const BUDGET = Number(process.env.BENCH_RECON_BUDGET ?? 500);
const WORKERS = Number(process.env.BENCH_RECON_WORKERS ?? 2);
/** The whole bench stops (and fails) past this. */
const DEADLINE_MS = 10 * 60_000;

interface SizeResult {
  customers: number;
  runId: string;
  status: string;
  durationS: number;
  celarCalls: number;
  callsPerSecond: number;
  budgetUsed: number;
  rateLimited: number;
  /** Highest VmHWM (peak resident set) over the worker processes, MB. */
  workerPeakRssMb: number;
  /** The same processes just after start, before any run, MB. */
  workerIdleRssMb: number;
  counts: Record<string, number>;
  totals: { currency: string; total: string }[];
  /** Cores used on average during the run, per process: the sandbox is a single Node process too. */
  cpuCores: { workers: number[]; sandbox: number; api: number };
  loadAverage: number;
  /** What the workers logged (LOG_LEVEL=warn: retries, stalls), last lines. */
  workerLog: string[];
}

function procStatusKb(pid: number | undefined, field: 'VmHWM' | 'VmRSS'): number {
  if (!pid) return 0;
  try {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) : 0;
  } catch {
    return 0;
  }
}

const mb = (kb: number) => round(kb / 1024, 1);

/** CPU seconds (user + system) a process has used so far. */
function cpuSeconds(pid: number | undefined): number {
  if (!pid) return 0;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

class Sandbox {
  constructor(readonly origin: string) {}

  async control<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await fetch(`${this.origin}/_control${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`sandbox ${method} ${path}: ${res.status} ${await res.text()}`);
    return (await res.json()) as T;
  }

  stats(): Promise<{ requestsTotal: number; rateLimited: number; byStatus: Record<string, number> }> {
    return this.control('GET', '/stats');
  }
}

/** Creates customers `from..to-1` upstream (Celar's bulk create) and in the mirror, with their celar_id. */
async function seed(sandbox: Sandbox, db: Client, tag: string, from: number, to: number): Promise<void> {
  for (let start = from; start < to; start += 1000) {
    const bodies = Array.from({ length: Math.min(1000, to - start) }, (_, i) => customerBody(tag, start + i));
    const res = await fetch(`${sandbox.origin}/api/v1/customers`, {
      method: 'POST',
      headers: { authorization: `Bearer ${SANDBOX_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify(bodies),
    });
    if (res.status !== 201) throw new Error(`sandbox bulk create: ${res.status} ${(await res.text()).slice(0, 300)}`);
    const created = ((await res.json()) as { customers: { id: string }[] }).customers;
    const col = (key: string) => bodies.map((b) => b[key] ?? null);
    await db.query(
      `INSERT INTO customers (id, celar_id, type, name, email, country, document_type, address, tax_id, wallet_address, sync_status, last_synced_at)
       SELECT *, 'synced', now() FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[])`,
      [
        created.map(() => randomUUID()),
        created.map((c) => c.id),
        col('type'),
        col('name'),
        col('email'),
        col('country'),
        col('document_type'),
        col('address'),
        col('tax_id'),
        col('wallet_address'),
      ],
    );
    // One customer in a hundred holds a balance, up to 6 decimals; the rest hold Celar's default.
    for (let i = 0; i < created.length; i += 100) {
      const n = start + i;
      await sandbox.control('PUT', `/customers/${created[i].id}/balance`, { balance: `${n}.${String(n % 1_000_000).padStart(6, '0')}` });
    }
  }
}

async function api<T>(origin: string, method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${origin}${path}`, {
    method,
    headers: { authorization: `Bearer ${BENCH_ADMIN_KEY}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`API ${method} ${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

interface RunJson {
  id: string;
  status: string;
  started_at: string | null;
  finished_at: string | null;
  progress: { done: number; total: number };
  counts: Record<string, number>;
  totals: { currency: string; total: string }[];
}

async function measure(
  ctx: BenchContext,
  env: Record<string, string>,
  apiOrigin: string,
  sandbox: Sandbox,
  customers: number,
  deadline: number,
  others: { sandbox: ChildHandle; api: ChildHandle },
): Promise<SizeResult> {
  // Fresh worker processes per size: their peak RSS is this size's alone.
  const workers: ChildHandle[] = [];
  for (let i = 0; i < WORKERS; i++) {
    const port = await freePort();
    const nodeArgs = process.env.BENCH_RECON_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
    const handle = startNode(`recon-worker-${i}`, SCRIPTS.worker, { ...env, WORKER_PORT: String(port) }, nodeArgs);
    workers.push(handle);
    await waitForHttp(`http://127.0.0.1:${port}/health/live`, handle);
  }
  try {
    await sleep(500);
    const idleKb = Math.max(...workers.map((w) => procStatusKb(w.pid, 'VmRSS')));
    const before = await sandbox.stats();
    const cpuBefore = [...workers, others.sandbox, others.api].map((h) => cpuSeconds(h.pid));
    const wallStart = Date.now();
    let run = await api<RunJson>(apiOrigin, 'POST', '/api/v1/admin/reconciliations', { kind: 'balances' });
    const expectedS = customers / BUDGET;
    const runDeadline = Math.min(deadline, Date.now() + (expectedS * 3 + 60) * 1000);
    let lastLog = 0;
    while (!['completed', 'partial', 'failed'].includes(run.status)) {
      if (Date.now() > runDeadline) throw new Error(`run ${run.id} of ${customers} customers did not end in time (at ${run.progress.done}/${run.progress.total})`);
      for (const w of workers) if (!w.alive) throw new Error(`${w.name} died:\n${w.output()}`);
      await sleep(1000);
      run = await api<RunJson>(apiOrigin, 'GET', `/api/v1/admin/reconciliations/${run.id}?limit=1`);
      if (Date.now() - lastLog > 5_000) {
        const rss = workers.map((w) => mb(procStatusKb(w.pid, 'VmRSS'))).join(' / ');
        process.stdout.write(`   ${customers} customers: ${run.progress.done}/${run.progress.total}, worker RSS ${rss} MB\n`);
        lastLog = Date.now();
      }
    }
    const after = await sandbox.stats();
    const wallS = (Date.now() - wallStart) / 1000;
    const cores = [...workers, others.sandbox, others.api].map((h, i) => round((cpuSeconds(h.pid) - cpuBefore[i]) / wallS, 2));
    const peakKb = Math.max(...workers.map((w) => procStatusKb(w.pid, 'VmHWM')));
    const durationS = (Date.parse(run.finished_at!) - Date.parse(run.started_at!)) / 1000;
    const calls = after.requestsTotal - before.requestsTotal;
    return {
      customers,
      runId: run.id,
      status: run.status,
      durationS: round(durationS, 1),
      celarCalls: calls,
      callsPerSecond: round(calls / durationS, 1),
      budgetUsed: round(calls / durationS / BUDGET, 3),
      rateLimited: after.rateLimited - before.rateLimited,
      workerPeakRssMb: mb(peakKb),
      workerIdleRssMb: mb(idleKb),
      counts: run.counts,
      totals: run.totals,
      cpuCores: { workers: cores.slice(0, workers.length), sandbox: cores[workers.length], api: cores[workers.length + 1] },
      loadAverage: round(loadavg()[0], 2),
      workerLog: workers.map((w) => w.output()).filter(Boolean),
    };
  } finally {
    await Promise.all(workers.map((w) => w.stop()));
  }
}

/** The bench itself; `npm run bench` calls it with its context, or it makes its own. */
export async function runReconciliationBench(given?: BenchContext): Promise<BenchSection> {
  const ctx = given ?? new BenchContext(loadBenchSettings());
  const deadline = Date.now() + DEADLINE_MS;
  // Runs long enough (20 s and more) for V8's heap to reach its steady size, so peaks compare.
  const sizes = ctx.settings.quick ? [10_000, 30_000] : [10_000, 100_000];
  const dbUrl = await ctx.createDatabase('recon');
  const queuePrefix = ctx.queuePrefix('recon');

  const sandboxPort = await freePort();
  const apiPort = await freePort();
  const base = appEnv(ctx.settings, { DATABASE_URL: dbUrl, QUEUE_PREFIX: queuePrefix });
  const env = {
    ...base,
    CELAR_BASE_URL: `http://127.0.0.1:${sandboxPort}/api/v1`,
    CELAR_REQUESTS_PER_SECOND: String(BUDGET),
    LOG_LEVEL: 'warn',
  };
  const sandboxHandle = startNode('recon-sandbox', SCRIPTS.sandbox, { ...env, SANDBOX_PORT: String(sandboxPort) });
  const apiHandle = startNode('recon-api', SCRIPTS.api, { ...env, PORT: String(apiPort) });
  const sandbox = new Sandbox(`http://127.0.0.1:${sandboxPort}`);
  const apiOrigin = `http://127.0.0.1:${apiPort}`;
  const db = new Client({ connectionString: dbUrl });
  const results: SizeResult[] = [];
  try {
    await waitForHttp(`${sandbox.origin}/_control/stats`, sandboxHandle);
    await waitForHttp(`${apiOrigin}/health/live`, apiHandle);
    await db.connect();
    const tag = `recon-${ctx.runId}`;
    let seeded = 0;
    for (const size of sizes) {
      const started = Date.now();
      // Seeding is not limited; the run is, by our budget, below a Celar limit 10% above it.
      await sandbox.control('PUT', '/rate-limit', { requestsPerSecond: null });
      await seed(sandbox, db, tag, seeded, size);
      seeded = size;
      await db.query('ANALYZE customers');
      process.stdout.write(`   seeded ${size} customers in ${round((Date.now() - started) / 1000, 1)} s\n`);
      await sandbox.control('PUT', '/rate-limit', { requestsPerSecond: Math.round(BUDGET * 1.1) });
      results.push(await measure(ctx, env, apiOrigin, sandbox, size, deadline, { sandbox: sandboxHandle, api: apiHandle }));
    }
  } finally {
    await db.end().catch(() => undefined);
    await Promise.all([apiHandle.stop(), sandboxHandle.stop()]);
  }
  return toSection(results);
}

function toSection(results: SizeResult[]): BenchSection {
  const [small, large] = results;
  const rows: BenchRow[] = results.map((r) => ({
    benchmark: `reconcile ${r.customers.toLocaleString('en-US')} customers: time`,
    unit: 's',
    ours: r.durationS,
    baseline: round(r.customers / BUDGET, 1),
    ratio: round(r.durationS / (r.customers / BUDGET), 2),
    target: 'informational (baseline: customers / budget)',
    pass: null,
    extra: { status: r.status, calls: r.celarCalls, workers: WORKERS },
  }));
  rows.push({
    benchmark: `Celar calls/s vs budget (${large.customers.toLocaleString('en-US')})`,
    unit: 'req/s',
    ours: large.callsPerSecond,
    baseline: BUDGET,
    ratio: large.budgetUsed,
    target: '>= 0.90 x budget',
    pass: large.budgetUsed >= 0.9 && large.status === 'completed',
    extra: { small: small.callsPerSecond, sandboxCores: large.cpuCores.sandbox, workerCores: large.cpuCores.workers.join('+'), load1m: large.loadAverage },
  });
  const calls = results.reduce((n, r) => n + r.celarCalls, 0);
  const limited = results.reduce((n, r) => n + r.rateLimited, 0);
  rows.push({
    benchmark: 'Celar 429 answers (limit 10% above budget)',
    unit: 'count',
    ours: limited,
    baseline: calls,
    ratio: round(limited / Math.max(calls, 1), 4),
    target: '<= 0.005 of calls (no 429 storm)',
    pass: limited <= calls * 0.005,
  });
  rows.push({
    benchmark: `worker peak RSS, ${small.customers.toLocaleString('en-US')} -> ${large.customers.toLocaleString('en-US')} customers`,
    unit: 'MB',
    ours: large.workerPeakRssMb,
    baseline: small.workerPeakRssMb,
    ratio: round(large.workerPeakRssMb / small.workerPeakRssMb, 2),
    target: '<= 1.25 x (flat)',
    pass: large.workerPeakRssMb <= small.workerPeakRssMb * 1.25,
    extra: { idleSmall: small.workerIdleRssMb, idleLarge: large.workerIdleRssMb },
  });
  return {
    name: 'reconciliation',
    title: `Reconciliation: balance runs, ${WORKERS} worker process(es), budget ${BUDGET} req/s`,
    rows,
    details: { budget: BUDGET, workers: WORKERS, results },
  };
}

if (require.main === module) {
  const ctx = new BenchContext(loadBenchSettings());
  const startedAt = new Date().toISOString();
  runReconciliationBench(ctx)
    .then((section) => {
      process.stdout.write(`\n${markdownTable([section])}\n`);
      // Its own files, git-ignored: the committed latest.{json,md} belong to the full `npm run bench`.
      const dir = join(DIST_ROOT, '..', 'bench', 'results', RUNS_DIR);
      mkdirSync(dir, { recursive: true });
      const text = `${JSON.stringify({ startedAt, finishedAt: new Date().toISOString(), machine: machineInfo(), section }, null, 2)}\n`;
      const paths = [join(dir, `reconciliation-${startedAt.replace(/[:.]/g, '-')}.json`), join(dir, 'reconciliation-latest.json')];
      for (const path of paths) writeFileSync(path, text);
      process.stdout.write(`written to ${paths.join(', ')}\n`);
      if (section.rows.some((r) => r.pass === false)) process.exitCode = 1;
    })
    .catch((error: unknown) => {
      process.stderr.write(`reconciliation bench failed: ${(error as Error).stack ?? String(error)}\n`);
      process.exitCode = 1;
    })
    .finally(async () => {
      killAllChildren();
      for (const problem of await ctx.cleanup()) process.stderr.write(`cleanup: ${problem}\n`);
    });
}
