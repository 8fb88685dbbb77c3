// Benchmarks 3, 4 and 6 of issue #5: the sync engine (built worker processes) against the
// Celar sandbox (its own process): throughput beside a plain BullMQ worker, time under
// Celar's rate limit against the bound N/R, and scale-out over 1, 2, 4 worker processes
// (on one Redis, and on a Redis Cluster of three masters) with order and exactly-once checked upstream.
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { RunningRedisCluster, SandboxControl, SandboxStats, startRedisCluster } from '@app/testing';
import { BenchContext, SANDBOX_KEY, appEnv } from './lib/bench-context';
import { insertPendingCreates } from './lib/bench-fixtures';
import {
  ChildHandle,
  SCRIPTS,
  busyBetween,
  cpuSnapshot,
  freePort,
  processCpuSeconds,
  sleep,
  startNode,
  waitForHttp,
} from './lib/bench-processes';
import { BenchSection, round } from './lib/bench-report';

const THROUGHPUT_TARGET = 0.5;
const BUDGET_TARGET = 0.9;
const MAX_429_SHARE = 0.01;
/** Most customers Celar takes in one bulk create (issue #5). */
const CELAR_BULK_MAX = 100;

interface Sandbox {
  baseUrl: string;
  control: SandboxControl;
  handle: ChildHandle;
}

async function startSandboxProcess(ctx: BenchContext): Promise<Sandbox> {
  const port = await freePort();
  const handle = startNode(
    'sandbox',
    SCRIPTS.sandbox,
    appEnv(ctx.settings, {
      DATABASE_URL: ctx.databaseUrl('unused'),
      QUEUE_PREFIX: 'unused',
      SANDBOX_PORT: String(port),
      CELAR_API_KEY: SANDBOX_KEY,
      LOG_LEVEL: 'warn',
    }),
  );
  const root = `http://127.0.0.1:${port}`;
  await waitForHttp(`${root}/_control/stats`, handle, 60_000, 200);
  return { baseUrl: `${root}/api/v1`, control: new SandboxControl(root), handle };
}

interface SyncRun {
  customers: number;
  operations: number;
  seconds: number;
  customersPerSecond: number;
  synced: number;
  failed: number;
  calls: number;
  callsByStatus: Record<string, number>;
  rateLimited: number;
  upstreamCustomers: number;
  duplicateEmails: number;
  orderViolations: number | null;
  finalStateMismatches: number | null;
  machineBusy: number | null;
  workerCpuSeconds: number | null;
  sandboxCpuSeconds: number | null;
  timedOut: boolean;
}

interface RunOptions {
  label: string;
  customers: number;
  /** Renames per customer after its create (ordering check). */
  updates: number;
  workers: number;
  /** CELAR_REQUESTS_PER_SECOND of the workers. */
  budget: number;
  /** Sandbox rate limit (requests/s), or none. */
  rateLimit: number | null;
  /** Latency the sandbox adds to every Celar call (a remote Celar), ms. */
  latencyMs?: number;
  /** SYNC_CONCURRENCY of each worker (default 16). */
  concurrency?: number;
  /** REDIS_CLUSTER_NODES of the workers (a Redis Cluster instead of REDIS_URL). */
  redisClusterNodes?: string;
  checkOrder: boolean;
  timeoutS: number;
}

function statsDelta(before: SandboxStats, after: SandboxStats): { calls: number; byStatus: Record<string, number>; rateLimited: number } {
  const byStatus: Record<string, number> = {};
  for (const [status, n] of Object.entries(after.byStatus)) {
    const d = n - (before.byStatus[status] ?? 0);
    if (d) byStatus[status] = d;
  }
  return { calls: after.requestsTotal - before.requestsTotal, byStatus, rateLimited: after.rateLimited - before.rateLimited };
}

/** Waits until every customer is synced or failed; returns false on timeout. */
async function waitForSynced(ctx: BenchContext, url: string, total: number, timeoutS: number, started: number): Promise<{ synced: number; failed: number; done: boolean }> {
  return ctx.withDatabase(url, async (client) => {
    for (;;) {
      const { rows } = await client.query<{ synced: string; failed: string }>(
        `SELECT count(*) FILTER (WHERE sync_status = 'synced') AS synced, count(*) FILTER (WHERE sync_status = 'failed') AS failed FROM customers`,
      );
      const synced = Number(rows[0].synced);
      const failed = Number(rows[0].failed);
      if (synced + failed >= total) return { synced, failed, done: true };
      if (Date.now() - started > timeoutS * 1000) return { synced, failed, done: false };
      await sleep(50);
    }
  });
}

/** Upstream: one customer per email (exactly once), and each customer's calls in order. */
async function checkUpstream(
  ctx: BenchContext,
  sandbox: Sandbox,
  url: string,
  checkOrder: boolean,
): Promise<Pick<SyncRun, 'upstreamCustomers' | 'duplicateEmails' | 'orderViolations' | 'finalStateMismatches'>> {
  const upstream = await sandbox.control.customers();
  const emails = new Map<string, number>();
  for (const c of upstream) emails.set(c.email.toLowerCase(), (emails.get(c.email.toLowerCase()) ?? 0) + 1);
  const duplicateEmails = [...emails.values()].filter((n) => n > 1).length;
  if (!checkOrder) return { upstreamCustomers: upstream.length, duplicateEmails, orderViolations: null, finalStateMismatches: null };

  // Order: per customer, the create (POST) acted before any PATCH, and PATCHed names only move forward.
  const log = await sandbox.control.requestLog({ limit: 1_000_000 });
  const seen = new Map<string, { created: boolean; version: number }>();
  let orderViolations = 0;
  for (const entry of log) {
    if (!entry.acted || entry.status === null || entry.status >= 300) continue;
    if (entry.method === 'POST' && entry.path.endsWith('/customers')) {
      for (const id of entry.customerIds) seen.set(id, { created: true, version: 1 });
    } else if (entry.method === 'PATCH') {
      const id = entry.customerIds[0];
      const state = seen.get(id);
      const name = (entry.body as { name?: string } | null)?.name ?? '';
      const version = Number(/ v(\d+)$/.exec(name)?.[1] ?? 0);
      if (!state?.created || version < state.version) orderViolations++;
      seen.set(id, { created: state?.created ?? false, version: Math.max(version, state?.version ?? 0) });
    }
  }
  // Final state: upstream name equals the mirror's for every customer.
  const byCelarId = new Map(upstream.map((c) => [c.id, c.name]));
  const mirror = await ctx.withDatabase(url, async (client) => (await client.query<{ celar_id: string | null; name: string }>('SELECT celar_id, name FROM customers')).rows);
  const finalStateMismatches = mirror.filter((m) => !m.celar_id || byCelarId.get(m.celar_id) !== m.name).length;
  return { upstreamCustomers: upstream.length, duplicateEmails, orderViolations, finalStateMismatches };
}

/** Ours: the built worker process(es), fed through the outbox as the API would feed them. */
async function runOurs(ctx: BenchContext, sandbox: Sandbox, o: RunOptions): Promise<SyncRun> {
  const url = await ctx.createDatabase(`sync_${o.label}`);
  const prefix = ctx.queuePrefix(`sync-${o.label}`);
  await sandbox.control.reset();
  if (o.rateLimit) await sandbox.control.setRateLimit(o.rateLimit);
  if (o.latencyMs) await sandbox.control.addFault({ kind: 'latency', latencyMs: o.latencyMs });
  const workers: { handle: ChildHandle; port: number }[] = [];
  try {
    for (let i = 0; i < o.workers; i++) {
      const port = await freePort();
      const handle = startNode(
        `worker-${i + 1}`,
        SCRIPTS.worker,
        appEnv(ctx.settings, {
          DATABASE_URL: url,
          QUEUE_PREFIX: prefix,
          WORKER_PORT: String(port),
          CELAR_BASE_URL: sandbox.baseUrl,
          CELAR_API_KEY: SANDBOX_KEY,
          CELAR_REQUESTS_PER_SECOND: String(o.budget),
          SYNC_CONCURRENCY: String(o.concurrency ?? 16),
          OUTBOX_POLL_MS: '200',
          LOG_LEVEL: 'warn',
          ...(o.redisClusterNodes ? { REDIS_CLUSTER_NODES: o.redisClusterNodes } : {}),
        }),
        ctx.settings.cpuProfile ? ['--cpu-prof', `--cpu-prof-dir=${join(tmpdir(), 'customer-sync-bench-profiles')}`] : [],
      );
      workers.push({ handle, port });
    }
    await Promise.all(workers.map((w) => waitForHttp(`http://127.0.0.1:${w.port}/health/ready`, w.handle, 60_000, 200)));
    const before = await sandbox.control.stats();
    const cpuBefore = cpuSnapshot();
    const workerCpuBefore = workers.map((w) => processCpuSeconds(w.handle.pid));
    const sandboxCpuBefore = processCpuSeconds(sandbox.handle.pid);
    const started = Date.now();
    await ctx.withDatabase(url, async (client) => {
      await client.query('BEGIN');
      await insertPendingCreates(client, `s${ctx.runId}${o.label}`, o.customers, o.updates);
      await client.query(`SELECT pg_notify('customer_operations', '')`);
      await client.query('COMMIT');
    });
    const result = await waitForSynced(ctx, url, o.customers, o.timeoutS, started);
    const seconds = (Date.now() - started) / 1000;
    const cpuAfter = cpuSnapshot();
    const workerCpu = workers.map((w, i) => {
      const after = processCpuSeconds(w.handle.pid);
      const beforeCpu = workerCpuBefore[i];
      return after !== null && beforeCpu !== null ? after - beforeCpu : null;
    });
    const sandboxAfter = processCpuSeconds(sandbox.handle.pid);
    const after = await sandbox.control.stats();
    const delta = statsDelta(before, after);
    const upstream = await checkUpstream(ctx, sandbox, url, o.checkOrder);
    return {
      customers: o.customers,
      operations: o.customers * (1 + o.updates),
      seconds: round(seconds, 2),
      customersPerSecond: round(result.synced / seconds, 1),
      synced: result.synced,
      failed: result.failed,
      calls: delta.calls,
      callsByStatus: delta.byStatus,
      rateLimited: delta.rateLimited,
      ...upstream,
      machineBusy: busyBetween(cpuBefore, cpuAfter),
      workerCpuSeconds: workerCpu.every((c) => c !== null) ? round(workerCpu.reduce((a, b) => a! + b!, 0)!, 2) : null,
      sandboxCpuSeconds: sandboxAfter !== null && sandboxCpuBefore !== null ? round(sandboxAfter - sandboxCpuBefore, 2) : null,
      timedOut: !result.done,
    };
  } finally {
    await Promise.all(workers.map((w) => w.handle.stop()));
    await sandbox.control.reset().catch(() => undefined);
  }
}

/** The baseline: a plain BullMQ worker process, fed by addBulk from here. */
async function runBaseline(ctx: BenchContext, sandbox: Sandbox, label: string, customers: number, timeoutS: number): Promise<SyncRun> {
  const url = await ctx.createDatabase(`sync_${label}`);
  const prefix = ctx.queuePrefix(`sync-${label}`);
  await sandbox.control.reset();
  const handle = startNode('sync-baseline', SCRIPTS.syncBaseline, {
    DATABASE_URL: url,
    REDIS_URL: ctx.settings.redisUrl,
    QUEUE_PREFIX: prefix,
    CELAR_BASE_URL: sandbox.baseUrl,
    CELAR_API_KEY: SANDBOX_KEY,
    CONCURRENCY: '16',
  });
  const redis = ctx.redis();
  const queue = new Queue('customer-sync-baseline', { connection: redis, prefix: `{${prefix}}` });
  try {
    await handle.waitForOutput('ready');
    const before = await sandbox.control.stats();
    const cpuBefore = cpuSnapshot();
    const workerCpuBefore = processCpuSeconds(handle.pid);
    const sandboxCpuBefore = processCpuSeconds(sandbox.handle.pid);
    const started = Date.now();
    const ids = await ctx.withDatabase(url, async (client) => {
      await insertPendingCreates(client, `b${ctx.runId}${label}`, customers);
      return (await client.query<{ id: string }>('SELECT id::text FROM customers ORDER BY created_at')).rows.map((r) => r.id);
    });
    for (let i = 0; i < ids.length; i += 1000) {
      await queue.addBulk(ids.slice(i, i + 1000).map((customerId) => ({ name: 'sync', data: { customerId }, opts: { attempts: 5, removeOnComplete: true } })));
    }
    const result = await waitForSynced(ctx, url, customers, timeoutS, started);
    const seconds = (Date.now() - started) / 1000;
    const cpuAfter = cpuSnapshot();
    const workerCpuAfter = processCpuSeconds(handle.pid);
    const sandboxAfter = processCpuSeconds(sandbox.handle.pid);
    const delta = statsDelta(before, await sandbox.control.stats());
    const upstream = await checkUpstream(ctx, sandbox, url, false);
    return {
      customers,
      operations: customers,
      seconds: round(seconds, 2),
      customersPerSecond: round(result.synced / seconds, 1),
      synced: result.synced,
      failed: result.failed,
      calls: delta.calls,
      callsByStatus: delta.byStatus,
      rateLimited: delta.rateLimited,
      ...upstream,
      machineBusy: busyBetween(cpuBefore, cpuAfter),
      workerCpuSeconds: workerCpuAfter !== null && workerCpuBefore !== null ? round(workerCpuAfter - workerCpuBefore, 2) : null,
      sandboxCpuSeconds: sandboxAfter !== null && sandboxCpuBefore !== null ? round(sandboxAfter - sandboxCpuBefore, 2) : null,
      timedOut: !result.done,
    };
  } finally {
    await queue.close();
    redis.disconnect();
    await handle.stop();
  }
}

function correct(run: SyncRun): boolean {
  return (
    !run.timedOut &&
    run.synced === run.customers &&
    run.upstreamCustomers === run.customers &&
    run.duplicateEmails === 0 &&
    (run.orderViolations ?? 0) === 0 &&
    (run.finalStateMismatches ?? 0) === 0
  );
}

function problems(run: SyncRun): string {
  const list: string[] = [];
  if (run.timedOut) list.push(`timed out with ${run.synced}/${run.customers} synced`);
  if (run.failed) list.push(`${run.failed} failed`);
  if (run.upstreamCustomers !== run.customers) list.push(`${run.upstreamCustomers} customers upstream for ${run.customers}`);
  if (run.duplicateEmails) list.push(`${run.duplicateEmails} duplicated upstream`);
  if (run.orderViolations) list.push(`${run.orderViolations} out-of-order calls`);
  if (run.finalStateMismatches) list.push(`${run.finalStateMismatches} differ from the mirror`);
  return list.join('; ');
}

export type SyncSectionName = 'sync-throughput' | 'sync-rate-limit' | 'sync-scale-out';

export async function runSyncBenches(ctx: BenchContext, which: readonly SyncSectionName[]): Promise<BenchSection[]> {
  const { settings } = ctx;
  const sections: BenchSection[] = [];
  const sandbox = await startSandboxProcess(ctx);
  const N = settings.syncCustomers;
  // An unreachable budget: nothing but the work itself bounds throughput here.
  const noBudget = 10_000;
  const timeoutS = Math.max(120, N / 5);
  try {
    if (which.includes('sync-throughput')) {
      const section: BenchSection = { name: 'sync-throughput', title: '3. Sync throughput', rows: [], details: {} };
      sections.push(section);
      try {
        // Warm-up: JIT and connections of the sandbox, not measured.
        await runBaseline(ctx, sandbox, 'warm', Math.min(200, N), timeoutS);
        const ours = await runOurs(ctx, sandbox, { label: 'tput', customers: N, updates: 0, workers: 1, budget: noBudget, rateLimit: null, checkOrder: false, timeoutS });
        const baseline = await runBaseline(ctx, sandbox, 'base', N, timeoutS);
        section.details = { ours, baseline };
        const ratio = baseline.customersPerSecond > 0 ? ours.customersPerSecond / baseline.customersPerSecond : null;
        const note = [problems(ours) && `ours: ${problems(ours)}`, problems(baseline) && `baseline: ${problems(baseline)}`].filter(Boolean).join('; ');
        section.rows.push({
          benchmark: `sync ${N} creates, 1 worker, no latency, no rate limit`,
          unit: 'customers/s',
          ours: ours.customersPerSecond,
          baseline: baseline.customersPerSecond,
          ratio: ratio === null ? null : round(ratio, 3),
          target: `>= ${THROUGHPUT_TARGET.toFixed(2)} x baseline`,
          pass: ratio === null ? null : ratio >= THROUGHPUT_TARGET && correct(ours),
          extra: {
            'ours calls/customer': round(ours.calls / N, 2),
            'baseline calls/customer': round(baseline.calls / N, 2),
            'ours worker cpu s': ours.workerCpuSeconds,
            'baseline worker cpu s': baseline.workerCpuSeconds,
            'machine busy': ours.machineBusy === null ? null : round(ours.machineBusy, 2),
          },
          ...(note ? { note } : {}),
        });
      } catch (error) {
        section.error = (error as Error).message.split('\n')[0];
      }
    }

    if (which.includes('sync-rate-limit')) {
      const section: BenchSection = { name: 'sync-rate-limit', title: '4. Sync under the rate limit', rows: [], details: {} };
      sections.push(section);
      try {
        const R = settings.rateLimit;
        const n = settings.rateLimitCustomers;
        // (a) The issue's figure: N creates under Celar's limit R, against the bound N/R of one call each.
        //     Two processes share one budget (in Redis): it holds for the deployment, not per process.
        // (b) A limit so low that even bulk calls wait for it: the budget itself must be used (>= 90%).
        const scenarios = [
          { label: 'rate1', workers: 1, limit: R, customers: n, budgetBinds: false },
          { label: 'rate2', workers: 2, limit: R, customers: n, budgetBinds: false },
          { label: 'rateLow', workers: 2, limit: 2, customers: settings.quick ? 1000 : 2000, budgetBinds: true },
        ];
        const runs: Record<string, unknown> = {};
        for (const sc of scenarios) {
          const run = await runOurs(ctx, sandbox, {
            label: sc.label,
            customers: sc.customers,
            updates: 0,
            workers: sc.workers,
            budget: sc.limit,
            rateLimit: sc.limit,
            checkOrder: false,
            timeoutS: Math.max(120, (4 * sc.customers) / sc.limit),
          });
          runs[sc.label] = run;
          const bound = sc.customers / sc.limit;
          const bulkBound = Math.ceil(sc.customers / CELAR_BULK_MAX) / sc.limit;
          const share429 = run.calls > 0 ? run.rateLimited / run.calls : 0;
          const budgetUsed = run.calls / (sc.limit * run.seconds);
          const extra = {
            'calls/customer': round(run.calls / sc.customers, 3),
            calls: run.calls,
            '429s': run.rateLimited,
            'budget used (calls / R·T)': round(budgetUsed, 3),
            'customers/call': run.calls > 0 ? round(sc.customers / run.calls, 1) : null,
            'bound with bulk calls of 100 (s)': round(bulkBound, 2),
            'bulk bound / time': round(bulkBound / run.seconds, 3),
          };
          const who = `${sc.workers} worker${sc.workers > 1 ? 's' : ''}`;
          if (!sc.budgetBinds) {
            // The honest bound: creates go in bulks of up to 100, so N customers need N/100 calls at R a second.
            const ratio = bulkBound / run.seconds;
            section.rows.push({
              benchmark: `sync ${sc.customers} creates, Celar limit ${sc.limit} req/s, ${who}: time vs bound N/(100·R)`,
              unit: 's',
              ours: run.seconds,
              baseline: round(bulkBound, 2),
              ratio: round(ratio, 3),
              target: `reported (bound / time); <= ${(MAX_429_SHARE * 100).toFixed(0)}% 429, exactly once`,
              pass: share429 <= MAX_429_SHARE && correct(run),
              extra: { ...extra, 'one call each N/R (s)': round(bound, 2) },
              note: `baseline column = N/(100·R), bulks of 100; what keeps us above it is forming bulks (drains take the creates pending at that moment) and each call's own latency, not the budget${problems(run) ? `; ${problems(run)}` : ''}`,
            });
          } else {
            section.rows.push({
              benchmark: `sync ${sc.customers} creates, Celar limit ${sc.limit} req/s (bulk calls wait for it), ${who}: budget used`,
              unit: 's',
              ours: run.seconds,
              baseline: round(bulkBound, 2),
              ratio: round(budgetUsed, 3),
              target: `>= ${BUDGET_TARGET.toFixed(2)} of budget used, <= ${(MAX_429_SHARE * 100).toFixed(0)}% 429`,
              pass: budgetUsed >= BUDGET_TARGET && share429 <= MAX_429_SHARE && correct(run),
              extra,
              note: `baseline column = ceil(N/100)/R; ratio = calls / (R x time)${problems(run) ? `; ${problems(run)}` : ''}`,
            });
          }
        }
        section.details = { runs, scenarios };
      } catch (error) {
        section.error = (error as Error).message.split('\n')[0];
      }
    }

    if (which.includes('sync-scale-out')) {
      const section: BenchSection = { name: 'sync-scale-out', title: '6. Sync scale-out', rows: [], details: {} };
      sections.push(section);
      try {
        // Three series: Celar answering at once (the machine's cores bind), Celar 100 ms away
        // (waiting binds, so processes add throughput until the cores do), and Celar 100 ms away
        // with the queues and the budget on a Redis Cluster of three masters (each queue under its
        // own hash tag). 8 jobs per process: 4 processes x (8 + 10 spare) connections stay well
        // inside Postgres' 100.
        const latencyCustomers = settings.quick ? Math.min(N, 300) : Math.min(N, 1000);
        const series = [
          { name: 'no latency', latencyMs: 0, customers: N, cluster: false },
          { name: 'Celar latency 100 ms', latencyMs: 100, customers: latencyCustomers, cluster: false },
          { name: 'Celar latency 100 ms, Redis Cluster (3 masters)', latencyMs: 100, customers: latencyCustomers, cluster: true },
        ];
        const all: Record<string, { workers: number; run: SyncRun }[]> = {};
        for (const s of series) {
          const runs: { workers: number; run: SyncRun }[] = [];
          // A cluster of our own for the series (redis-server on free ports), removed after it.
          const cluster: RunningRedisCluster | null = s.cluster ? await startRedisCluster(3) : null;
          try {
            for (const workers of settings.workerCounts) {
              const run = await runOurs(ctx, sandbox, {
                label: `out${workers}${s.latencyMs ? 'l' : ''}${cluster ? 'c' : ''}`,
                customers: s.customers,
                updates: 1,
                workers,
                concurrency: 8,
                budget: noBudget,
                rateLimit: null,
                latencyMs: s.latencyMs,
                checkOrder: true,
                timeoutS,
                ...(cluster ? { redisClusterNodes: cluster.nodes } : {}),
              });
              runs.push({ workers, run });
            }
          } finally {
            await cluster?.close();
          }
          all[s.name] = runs;
          const first = runs[0].run;
          let previous: SyncRun | undefined;
          for (const { workers, run } of runs) {
            const ratio = first.customersPerSecond > 0 ? run.customersPerSecond / first.customersPerSecond : null;
            // Grows, or the cores bind (the machine is busy at this step or was at the one before).
            const coresBind = (run.machineBusy ?? 0) >= 0.85 || (previous?.machineBusy ?? 0) >= 0.85;
            const grewOrBound = !previous || run.customersPerSecond >= previous.customersPerSecond * 1.1 || coresBind;
            section.rows.push({
              benchmark: `scale-out, ${s.name}: ${workers} worker process${workers > 1 ? 'es' : ''}, ${s.customers} customers x 2 ops`,
              unit: 'customers/s',
              ours: run.customersPerSecond,
              baseline: first.customersPerSecond,
              ratio: ratio === null ? null : round(ratio, 2),
              target: 'grows until cores bind; order + exactly-once',
              pass: correct(run) && grewOrBound,
              extra: {
                'machine busy': run.machineBusy === null ? null : round(run.machineBusy, 2),
                'worker cpu s': run.workerCpuSeconds,
                'sandbox cpu s': run.sandboxCpuSeconds,
                'calls/customer': round(run.calls / s.customers, 2),
                'out of order': run.orderViolations,
                duplicates: run.duplicateEmails,
              },
              note: `baseline column = 1 worker${problems(run) ? `; ${problems(run)}` : ''}`,
            });
            previous = run;
          }
        }
        section.details = { series: all, workload: 'each customer a create then a rename (2 operations), all pending at once; SYNC_CONCURRENCY=8 per process' };
      } catch (error) {
        section.error = (error as Error).message.split('\n')[0];
      }
    }
  } finally {
    await sandbox.handle.stop();
  }
  return sections;
}
