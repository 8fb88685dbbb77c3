// Benchmarks 1 and 2 of issue #5: the API's writes and reads against a framework-free
// baseline (bench/baselines/api-baseline.ts), each server in its own process with its own
// fresh database, measured back to back in the same run.
import { join } from 'node:path';
import { BENCH_APP_KEY, BenchContext, appEnv } from './lib/bench-context';
import { CustomerSource, seedCustomers, seededIds } from './lib/bench-fixtures';
import { LoadResult, LoadSpec, pairedLoad, runLoad, summarizeLoad } from './lib/bench-load';
import { ChildHandle, DIST_ROOT, SCRIPTS, freePort, startNode, waitForHttp } from './lib/bench-processes';
import { BenchRow, BenchSection, round } from './lib/bench-report';

const THROUGHPUT_TARGET = 0.7;
const BULK = 1000;
const BULK_LATENCY_TARGET_MS = 1000;

interface Target {
  name: 'ours' | 'baseline';
  origin: string;
  databaseUrl: string;
  handle: ChildHandle;
}

async function startTargets(ctx: BenchContext): Promise<{ ours: Target; baseline: Target }> {
  const [oursDb, baseDb] = await Promise.all([ctx.createDatabase('api'), ctx.createDatabase('api_base')]);
  const [oursPort, basePort] = [await freePort(), await freePort()];
  const profileArgs = ctx.settings.cpuProfile ? ['--cpu-prof', `--cpu-prof-dir=${join(DIST_ROOT, '..', 'bench', 'results', 'profiles')}`] : [];
  const oursHandle = startNode(
    'api',
    SCRIPTS.api,
    appEnv(ctx.settings, { DATABASE_URL: oursDb, QUEUE_PREFIX: ctx.queuePrefix('api'), PORT: String(oursPort), LOG_LEVEL: 'warn' }),
    profileArgs,
  );
  const baseHandle = startNode('api-baseline', SCRIPTS.apiBaseline, {
    DATABASE_URL: baseDb,
    REDIS_URL: ctx.settings.redisUrl,
    QUEUE_PREFIX: ctx.queuePrefix('api-base'),
    PORT: String(basePort),
    API_KEY: BENCH_APP_KEY,
  });
  const ours: Target = { name: 'ours', origin: `http://127.0.0.1:${oursPort}`, databaseUrl: oursDb, handle: oursHandle };
  const baseline: Target = { name: 'baseline', origin: `http://127.0.0.1:${basePort}`, databaseUrl: baseDb, handle: baseHandle };
  await Promise.all([waitForHttp(`${ours.origin}/api/v1/customers`, oursHandle), waitForHttp(`${baseline.origin}/api/v1/customers`, baseHandle)]);
  return { ours, baseline };
}

const HEADERS = { authorization: `Bearer ${BENCH_APP_KEY}`, 'content-type': 'application/json' };

function loadOf(target: Target, spec: Omit<LoadSpec, 'origin' | 'headers'>): () => Promise<LoadResult> {
  return () => runLoad({ ...spec, origin: target.origin, headers: HEADERS });
}

/** A paired ratio row: ours/baseline throughput, with latency percentiles beside it. */
function throughputRow(benchmark: string, unit: string, scale: number, ours: LoadResult[], baseline: LoadResult[]): BenchRow {
  const o = summarizeLoad(ours);
  const b = summarizeLoad(baseline);
  const ratio = b.rps > 0 ? o.rps / b.rps : null;
  const problems = [
    o.non2xx || o.errors ? `ours: ${o.non2xx} non-2xx, ${o.errors} errors` : '',
    b.non2xx || b.errors ? `baseline: ${b.non2xx} non-2xx, ${b.errors} errors` : '',
  ].filter(Boolean);
  return {
    benchmark,
    unit,
    ours: round(o.rps * scale, 1),
    baseline: round(b.rps * scale, 1),
    ratio: ratio === null ? null : round(ratio, 3),
    target: `>= ${THROUGHPUT_TARGET.toFixed(2)} x baseline`,
    pass: ratio === null ? null : ratio >= THROUGHPUT_TARGET && o.non2xx === 0 && o.errors === 0,
    extra: { 'ours p50 ms': o.p50, 'ours p99 ms': o.p99, 'baseline p50 ms': b.p50, 'baseline p99 ms': b.p99 },
    ...(problems.length ? { note: problems.join('; ') } : {}),
  };
}

export interface ApiBenchResult {
  writes: BenchSection;
  reads: BenchSection;
}

export async function runApiBenches(ctx: BenchContext, want: { writes: boolean; reads: boolean }): Promise<ApiBenchResult> {
  const { settings } = ctx;
  const writes: BenchSection = { name: 'api-writes', title: '1. API writes', rows: [], details: {} };
  const reads: BenchSection = { name: 'api-reads', title: '2. API reads', rows: [], details: {} };
  const { ours, baseline } = await startTargets(ctx);
  try {
    const duration = settings.measureSeconds;
    const connections = settings.connections;
    writes.details.settings = { connections, secondsPerRound: duration, rounds: settings.rounds, bulkSize: BULK };
    reads.details.settings = { connections, secondsPerRound: duration, rounds: settings.rounds };
    const sources = { ours: new CustomerSource(`o${ctx.runId}`), baseline: new CustomerSource(`b${ctx.runId}`) };
    const single = (t: Target) => loadOf(t, { method: 'POST', path: '/api/v1/customers', body: () => sources[t.name].one(), connections, durationS: duration });
    const bulk = (t: Target, c = connections, amount?: number) =>
      loadOf(t, { method: 'POST', path: '/api/v1/customers', body: () => sources[t.name].bulk(BULK), connections: c, durationS: Math.max(duration, 6), amount });

    // Warm-up (JIT, pools, prepared plans), not measured.
    await loadOf(ours, { method: 'POST', path: '/api/v1/customers', body: () => sources.ours.one(), connections, durationS: 2 })();
    await loadOf(baseline, { method: 'POST', path: '/api/v1/customers', body: () => sources.baseline.one(), connections, durationS: 2 })();

    if (want.writes) {
      const singles = await pairedLoad(settings.rounds, single(ours), single(baseline));
      writes.rows.push(throughputRow(`POST /customers, single (${connections} clients)`, 'req/s', 1, singles.ours, singles.baseline));
      writes.details.single = singles;

      const bulks = await pairedLoad(settings.rounds, bulk(ours), bulk(baseline));
      const bulkRow = throughputRow(`POST /customers, bulk of ${BULK} (${connections} clients)`, 'customers/s', BULK, bulks.ours, bulks.baseline);
      writes.rows.push(bulkRow);
      writes.details.bulk = bulks;

      // "A bulk of 1000 accepted in under 1 s": one client, one bulk at a time.
      const count = settings.quick ? 5 : 12;
      const alone = await pairedLoad(1, bulk(ours, 1, count), bulk(baseline, 1, count));
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
        [ours, baseline].map((t) =>
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
      const gets = await pairedLoad(settings.rounds, byId(ours), byId(baseline));
      reads.rows.push(throughputRow(`GET /customers/:id (${connections} clients)`, 'req/s', 1, gets.ours, gets.baseline));
      reads.details.byId = gets;

      const pages = await pairedLoad(settings.rounds, page(ours), page(baseline));
      reads.rows.push(throughputRow(`GET /customers?country=KEN&limit=20 (${connections} clients, ${seeded} rows)`, 'req/s', 1, pages.ours, pages.baseline));
      reads.details.filteredList = pages;
    }
  } finally {
    await Promise.all([ours.handle.stop(), baseline.handle.stop()]);
  }
  if (!want.writes) writes.skipped = 'not selected';
  if (!want.reads) reads.skipped = 'not selected';
  return { writes, reads };
}
