// Benchmarks 1 and 2 of issue #5: the API's writes and reads against a framework-free
// baseline (bench/baselines/api-baseline.ts), each server in its own process with its own
// fresh database, measured back to back in the same run.
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BENCH_APP_KEY, BenchContext, appEnv } from './lib/bench-context';
import { CustomerSource, seedCustomers, seededIds } from './lib/bench-fixtures';
import { LoadResult, LoadSpec, PairedLoad, pairedLoad, runLoad, summarizeLoad } from './lib/bench-load';
import { ChildHandle, SCRIPTS, freePort, sleep, startNode, waitForHttp } from './lib/bench-processes';
import { BenchRow, BenchSection, round } from './lib/bench-report';

/** Issue #14: reads (and bulks) at >= 0.70 of the plain baseline, a single create at >= 0.80. */
const THROUGHPUT_TARGET = 0.7;
const SINGLE_CREATE_TARGET = 0.8;
const BULK = 1000;
const BULK_LATENCY_TARGET_MS = 1000;

interface Target {
  name: 'ours' | 'baseline' | 'floor' | 'pgOnly';
  origin: string;
  databaseUrl: string;
  handle: ChildHandle;
}

interface Targets {
  ours: Target;
  baseline: Target;
  /** The baseline's work in a bare NestJS app: what the framework alone allows. */
  floor: Target;
  /** The baseline without its BullMQ enqueue (our API enqueues through the outbox, off the request). */
  pgOnly: Target;
}

/** Ours, the plain baseline and the framework floor: each its own process and fresh database. */
async function startTargets(ctx: BenchContext): Promise<Targets> {
  const [oursDb, baseDb, floorDb, pgOnlyDb] = await Promise.all(
    ['api', 'api_base', 'api_floor', 'api_pg'].map((label) => ctx.createDatabase(label)),
  );
  const [oursPort, basePort, floorPort, pgOnlyPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
  // Profiles stay out of the repository: they are large and machine-specific.
  const profileArgs = ctx.settings.cpuProfile ? ['--cpu-prof', `--cpu-prof-dir=${join(tmpdir(), 'customer-sync-bench-profiles')}`] : [];
  const baselineEnv = (label: string, port: number, databaseUrl: string) => ({
    DATABASE_URL: databaseUrl,
    REDIS_URL: ctx.settings.redisUrl,
    QUEUE_PREFIX: ctx.queuePrefix(label),
    PORT: String(port),
    API_KEY: BENCH_APP_KEY,
  });
  const make = (name: Target['name'], port: number, databaseUrl: string, handle: ChildHandle): Target => ({
    name,
    origin: `http://127.0.0.1:${port}`,
    databaseUrl,
    handle,
  });
  const targets: Targets = {
    ours: make(
      'ours',
      oursPort,
      oursDb,
      startNode(
        'api',
        SCRIPTS.api,
        appEnv(ctx.settings, { DATABASE_URL: oursDb, QUEUE_PREFIX: ctx.queuePrefix('api'), PORT: String(oursPort), LOG_LEVEL: 'warn' }),
        profileArgs,
      ),
    ),
    baseline: make('baseline', basePort, baseDb, startNode('api-baseline', SCRIPTS.apiBaseline, baselineEnv('api-base', basePort, baseDb))),
    floor: make('floor', floorPort, floorDb, startNode('nest-floor', SCRIPTS.nestFloor, baselineEnv('api-floor', floorPort, floorDb))),
    pgOnly: make(
      'pgOnly',
      pgOnlyPort,
      pgOnlyDb,
      startNode('api-baseline-pg-only', SCRIPTS.apiBaseline, { ...baselineEnv('api-pg', pgOnlyPort, pgOnlyDb), BASELINE_ENQUEUE: '0' }),
    ),
  };
  await Promise.all(Object.values(targets).map((t: Target) => waitForHttp(`${t.origin}/api/v1/customers`, t.handle)));
  return targets;
}

const HEADERS = { authorization: `Bearer ${BENCH_APP_KEY}`, 'content-type': 'application/json' };

function loadOf(target: Target, spec: Omit<LoadSpec, 'origin' | 'headers'>): () => Promise<LoadResult> {
  return async () => {
    const result = await runLoad({ ...spec, origin: target.origin, headers: HEADERS });
    await settle(target);
    return result;
  };
}

/**
 * autocannon stops at its deadline, but requests it sent are still being served (a bulk takes
 * seconds under load): wait until the target answers a cheap request quickly again, so that
 * leftover work never runs during the next measurement.
 */
async function settle(target: Target): Promise<void> {
  const deadline = Date.now() + 30_000;
  let quick = 0;
  while (quick < 3 && Date.now() < deadline) {
    const started = Date.now();
    await fetch(`${target.origin}/api/v1/customers/00000000-0000-4000-8000-000000000000`, { headers: HEADERS })
      .then((res) => res.arrayBuffer())
      .catch(() => undefined);
    quick = Date.now() - started < 50 ? quick + 1 : 0;
    await sleep(50);
  }
}

const REFERENCES: Record<string, { label: string; note: string }> = {
  floor: { label: "NestJS floor: the baseline's work in a bare Nest app", note: 'what NestJS + Fastify allow before any of our code runs' },
  pgOnly: { label: 'baseline without its BullMQ enqueue (pg only)', note: 'our API enqueues via the outbox, off the request path' },
};

/** A paired ratio row (ours/baseline throughput, latency beside it), then one per reference measured. */
function throughputRow(benchmark: string, unit: string, scale: number, measured: PairedLoad, target = THROUGHPUT_TARGET): BenchRow[] {
  const o = summarizeLoad(measured.ours);
  const b = summarizeLoad(measured.baseline);
  const ratio = b.rps > 0 ? o.rps / b.rps : null;
  const problems = [
    o.non2xx || o.errors ? `ours: ${o.non2xx} non-2xx, ${o.errors} errors` : '',
    b.non2xx || b.errors ? `baseline: ${b.non2xx} non-2xx, ${b.errors} errors` : '',
  ].filter(Boolean);
  const rows: BenchRow[] = [
    {
      benchmark,
      unit,
      ours: round(o.rps * scale, 1),
      baseline: round(b.rps * scale, 1),
      ratio: ratio === null ? null : round(ratio, 3),
      target: `>= ${target.toFixed(2)} x baseline`,
      pass: ratio === null ? null : ratio >= target && o.non2xx === 0 && o.errors === 0,
      extra: { 'ours p50 ms': o.p50, 'ours p99 ms': o.p99, 'baseline p50 ms': b.p50, 'baseline p99 ms': b.p99 },
      ...(problems.length ? { note: problems.join('; ') } : {}),
    },
  ];
  for (const [key, reference] of Object.entries(REFERENCES)) {
    if (!measured[key]) continue;
    const r = summarizeLoad(measured[key]);
    // Informational: ours against this reference, so the row reads like the others.
    rows.push({
      benchmark: `  vs ${reference.label}`,
      unit,
      ours: round(o.rps * scale, 1),
      baseline: round(r.rps * scale, 1),
      ratio: r.rps > 0 ? round(o.rps / r.rps, 3) : null,
      target: '',
      pass: null,
      extra: { 'reference p50 ms': r.p50, 'reference p99 ms': r.p99, 'reference / baseline': b.rps > 0 ? round(r.rps / b.rps, 3) : null },
      note: reference.note,
    });
  }
  return rows;
}

export interface ApiBenchResult {
  writes: BenchSection;
  reads: BenchSection;
}

export async function runApiBenches(ctx: BenchContext, want: { writes: boolean; reads: boolean }): Promise<ApiBenchResult> {
  const { settings } = ctx;
  const writes: BenchSection = { name: 'api-writes', title: '1. API writes', rows: [], details: {} };
  const reads: BenchSection = { name: 'api-reads', title: '2. API reads', rows: [], details: {} };
  const targets = await startTargets(ctx);
  const { ours, baseline, floor, pgOnly } = targets;
  try {
    const duration = settings.measureSeconds;
    const connections = settings.connections;
    writes.details.settings = { connections, secondsPerRound: duration, rounds: settings.rounds, bulkSize: BULK };
    reads.details.settings = { connections, secondsPerRound: duration, rounds: settings.rounds };
    const sources: Record<Target['name'], CustomerSource> = {
      ours: new CustomerSource(`o${ctx.runId}`),
      baseline: new CustomerSource(`b${ctx.runId}`),
      floor: new CustomerSource(`f${ctx.runId}`),
      pgOnly: new CustomerSource(`p${ctx.runId}`),
    };
    const single = (t: Target, durationS = duration) =>
      loadOf(t, { method: 'POST', path: '/api/v1/customers', body: () => sources[t.name].one(), connections, durationS });
    const bulk = (t: Target, c = connections, amount?: number) =>
      loadOf(t, { method: 'POST', path: '/api/v1/customers', body: () => sources[t.name].bulk(BULK), connections: c, durationS: Math.max(duration, 6), amount });

    // Warm-up (JIT, pools, prepared plans), not measured.
    for (const t of Object.values(targets)) await single(t, 2)();

    if (want.writes) {
      const singles = await pairedLoad(settings.rounds, { ours: single(ours), baseline: single(baseline), floor: single(floor), pgOnly: single(pgOnly) });
      writes.rows.push(...throughputRow(`POST /customers, single (${connections} clients)`, 'req/s', 1, singles, SINGLE_CREATE_TARGET));
      writes.details.single = singles;

      const bulks = await pairedLoad(settings.rounds, { ours: bulk(ours), baseline: bulk(baseline) });
      writes.rows.push(...throughputRow(`POST /customers, bulk of ${BULK} (${connections} clients)`, 'customers/s', BULK, bulks));
      writes.details.bulk = bulks;

      // "A bulk of 1000 accepted in under 1 s": one client, one bulk at a time.
      const count = settings.quick ? 5 : 12;
      const alone = await pairedLoad(1, { ours: bulk(ours, 1, count), baseline: bulk(baseline, 1, count) });
      const o = alone.ours[0];
      const b = alone.baseline[0];
      writes.rows.push({
        benchmark: `POST /customers, bulk of ${BULK}, alone (p99 of ${count})`,
        unit: 'ms',
        ours: o.p99,
        baseline: b.p99,
        ratio: b.p99 > 0 ? round(o.p99 / b.p99, 3) : null,
        target: `p99 < ${BULK_LATENCY_TARGET_MS} ms`,
        pass: o.ok === count && o.p99 < BULK_LATENCY_TARGET_MS,
        extra: { 'ours p50 ms': o.p50, 'baseline p50 ms': b.p50 },
        note: 'ratio here is ours/baseline latency (lower is better)',
      });
      writes.details.bulkAlone = alone;
    }

    if (want.reads) {
      const seeded = settings.quick ? 10_000 : 20_000;
      await Promise.all(
        [ours, baseline, floor].map((t: Target) =>
          ctx.withDatabase(t.databaseUrl, async (client) => {
            await client.query('TRUNCATE customers, customer_operations, idempotency_keys CASCADE');
            await seedCustomers(client, 1, seeded);
            await client.query('ANALYZE');
          }),
        ),
      );
      const ids = await ctx.withDatabase(ours.databaseUrl, (c) => seededIds(c, 5000, seeded));
      reads.details.seededCustomers = seeded;
      let next = 0;
      const byId = (t: Target) =>
        loadOf(t, { method: 'GET', path: () => `/api/v1/customers/${ids[next++ % ids.length]}`, connections, durationS: duration });
      const filtered = '/api/v1/customers?country=KEN&limit=20';
      const page = (t: Target) => loadOf(t, { method: 'GET', path: filtered, connections, durationS: duration });

      await byId(ours)();
      await byId(baseline)();
      await byId(floor)();
      const gets = await pairedLoad(settings.rounds, { ours: byId(ours), baseline: byId(baseline), floor: byId(floor) });
      reads.rows.push(...throughputRow(`GET /customers/:id (${connections} clients)`, 'req/s', 1, gets));
      reads.details.byId = gets;

      const pages = await pairedLoad(settings.rounds, { ours: page(ours), baseline: page(baseline), floor: page(floor) });
      reads.rows.push(...throughputRow(`GET /customers?country=KEN&limit=20 (${connections} clients, ${seeded} rows)`, 'req/s', 1, pages));
      reads.details.filteredList = pages;
    }
  } finally {
    await Promise.all(Object.values(targets).map((t: Target) => t.handle.stop()));
  }
  if (!want.writes) writes.skipped = 'not selected';
  if (!want.reads) reads.skipped = 'not selected';
  return { writes, reads };
}
