// Benchmark 5 of issue #5: database and queue cost as the mirror grows (10k -> 100k -> 1M
// customers). The statements are the ones the repositories run (copied here, named after
// their source); each is timed at every size, and its plan is checked for index use.
import { randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import { Client } from 'pg';
import { BenchContext } from './lib/bench-context';
import { customerBody, seedCustomers } from './lib/bench-fixtures';
import { median, percentile } from './lib/bench-load';
import { BenchRow, BenchSection, round } from './lib/bench-report';

const CUSTOMER_COLUMNS = `id, celar_id AS "celarId", psp_id AS "pspId", type, name, email, country,
  document_type AS "documentType", address, tax_id AS "taxId", wallet_address AS "walletAddress",
  verification_document AS "verificationDocument", incorporation_certificate AS "incorporationCertificate",
  is_active AS "isActive", sync_status AS "syncStatus", sync_error AS "syncError", last_synced_at AS "lastSyncedAt",
  last_op_seq AS "lastOpSeq", celar_created_at AS "celarCreatedAt", celar_updated_at AS "celarUpdatedAt",
  deactivated_at AS "deactivatedAt", created_at AS "createdAt", updated_at AS "updatedAt"`;

/** Values that depend on the table's size (a real id, a keyset chunk's bounds). */
interface Probe {
  size: number;
  someId: string;
  someCelarId: string;
  someEmail: string;
  chunkFirst: string;
  chunkLast: string;
  someCustomerWithOps: string;
}

interface ScaleQuery {
  name: string;
  /** Where the statement comes from. */
  source: string;
  sql: string;
  params: (p: Probe) => unknown[];
  /** Reads every matching row by nature (a count): reported, not held to "flat". */
  linear?: boolean;
  /** Runs inside BEGIN ... ROLLBACK (FOR UPDATE). */
  inTransaction?: boolean;
}

const page = (where: string) =>
  `SELECT ${CUSTOMER_COLUMNS} FROM customers ${where} ORDER BY created_at DESC, id DESC LIMIT 20 OFFSET 0`;

const LIST_FILTERS: { label: string; where: string; params: (p: Probe) => unknown[] }[] = [
  { label: 'no filter', where: '', params: () => [] },
  { label: 'type=business', where: 'WHERE type = $1', params: () => ['business'] },
  { label: 'is_active=false', where: 'WHERE is_active = $1', params: () => [false] },
  { label: 'sync_status=failed', where: 'WHERE sync_status = $1', params: () => ['failed'] },
  { label: 'country=KEN', where: 'WHERE country = $1', params: () => ['KEN'] },
  { label: 'email=', where: 'WHERE lower(email) = lower($1)', params: (p) => [p.someEmail] },
];

/** Page queries take LIMIT/OFFSET after the filter's parameters: rewrite their numbers. */
function pageSql(where: string, nParams: number): string {
  return page(where).replace('LIMIT 20 OFFSET 0', `LIMIT $${nParams + 1} OFFSET $${nParams + 2}`);
}

const QUERIES: ScaleQuery[] = [
  ...LIST_FILTERS.map((f) => ({
    name: `list page (${f.label})`,
    source: 'CustomersRepository.list',
    sql: pageSql(f.where, f.params({} as Probe).length),
    params: (p: Probe) => [...f.params(p), 20, 0],
  })),
  ...LIST_FILTERS.map((f) => ({
    name: `list total (${f.label})`,
    source: 'CustomersRepository.list',
    sql: `SELECT count(*) AS total FROM customers ${f.where}`,
    params: f.params,
    linear: f.label !== 'email=',
  })),
  {
    name: 'list page, offset 10000 (country=KEN)',
    source: 'CustomersRepository.list',
    sql: pageSql('WHERE country = $1', 1),
    params: () => ['KEN', 20, 10_000],
    linear: true,
  },
  {
    name: 'get by id',
    source: 'CustomersRepository.findByRef',
    sql: `SELECT ${CUSTOMER_COLUMNS} FROM customers WHERE id = $1`,
    params: (p) => [p.someId],
  },
  {
    name: 'get by celar_id',
    source: 'CustomersRepository.findByRef',
    sql: `SELECT ${CUSTOMER_COLUMNS} FROM customers WHERE celar_id = $1`,
    params: (p) => [p.someCelarId],
  },
  {
    name: 'create: insert a bulk of 1000 (rolled back)',
    source: 'CustomersRepository.insertCustomers',
    sql: `INSERT INTO customers (id, type, name, email, country, document_type, address, tax_id, wallet_address, last_op_seq, created_at, updated_at)
          SELECT x.id, x.type, x.name, x.email, x.country, x.document_type, x.address, x.tax_id, x.wallet_address, 1,
                 now() + x.ord * interval '1 microsecond', now() + x.ord * interval '1 microsecond'
          FROM jsonb_to_recordset($1::jsonb) AS x(ord int, id uuid, type text, name text, email text, country text,
               document_type text, address text, tax_id text, wallet_address text)
          ORDER BY x.ord
          ON CONFLICT (lower(email)) WHERE is_active DO NOTHING
          RETURNING ${CUSTOMER_COLUMNS}`,
    params: (p) => [
      JSON.stringify(
        Array.from({ length: 1000 }, (_, ord) => ({ ord, id: randomUUID(), ...customerBody(`scale${p.size}`, ord) })),
      ),
    ],
    inTransaction: true,
  },
  {
    name: 'reconciliation balance chunk (500 ids)',
    source: 'BalanceReconcilerService.processChunk',
    sql: `SELECT id, celar_id, is_active FROM customers WHERE id BETWEEN $1 AND $2 AND celar_id IS NOT NULL ORDER BY id`,
    params: (p) => [p.chunkFirst, p.chunkLast],
  },
  {
    name: 'reconciliation chunk plan (whole table, once per run)',
    source: 'ReconciliationRunsRepository.planBalanceChunks',
    sql: `SELECT g, min(id::text COLLATE "C")::uuid, max(id::text COLLATE "C")::uuid, count(*)
            FROM (SELECT id, (row_number() OVER (ORDER BY id) - 1) / 500 AS g FROM customers WHERE celar_id IS NOT NULL) s
           GROUP BY g`,
    params: () => [],
    linear: true,
  },
  {
    name: 'relay claim (500 pending ops)',
    source: 'SyncOperationsRepository.claimForRelay',
    sql: `SELECT o.id::text AS id, o.customer_id AS "customerId", (o.enqueued_at IS NOT NULL) AS resweep
            FROM customer_operations o JOIN customers c ON c.id = o.customer_id
           WHERE o.status = 'pending' AND c.sync_status <> 'failed'
             AND (o.enqueued_at IS NULL OR o.enqueued_at < now() - make_interval(secs => $2::double precision / 1000))
           ORDER BY o.id
           LIMIT $1
           FOR UPDATE OF o SKIP LOCKED`,
    params: () => [500, 60_000],
    inTransaction: true,
  },
  {
    name: "sync: a customer's unfinished ops",
    source: 'SyncOperationsRepository.unfinished',
    sql: `SELECT id, seq, kind, status FROM customer_operations WHERE customer_id = $1 AND status <> 'done' ORDER BY seq LIMIT 50`,
    params: (p) => [p.someCustomerWithOps],
  },
];

const TABLES = new Set(['customers', 'customer_operations']);

interface PlanSummary {
  nodes: string[];
  indexes: string[];
  seqScans: string[];
  executionMs: number;
}

function summarizePlan(plan: Record<string, unknown>): PlanSummary {
  const nodes: string[] = [];
  const indexes = new Set<string>();
  const seqScans: string[] = [];
  const walk = (node: Record<string, unknown>) => {
    const type = String(node['Node Type']);
    nodes.push(type);
    if (node['Index Name']) indexes.add(String(node['Index Name']));
    if (type === 'Seq Scan' && TABLES.has(String(node['Relation Name']))) seqScans.push(String(node['Relation Name']));
    for (const child of (node.Plans as Record<string, unknown>[] | undefined) ?? []) walk(child);
  };
  walk(plan.Plan as Record<string, unknown>);
  return { nodes: [...new Set(nodes)], indexes: [...indexes], seqScans, executionMs: Number(plan['Execution Time'] ?? 0) };
}

async function explain(client: Client, q: ScaleQuery, probe: Probe): Promise<PlanSummary> {
  await client.query('BEGIN');
  try {
    const { rows } = await client.query(`EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) ${q.sql}`, q.params(probe));
    return summarizePlan((rows[0]['QUERY PLAN'] as Record<string, unknown>[])[0]);
  } finally {
    await client.query('ROLLBACK');
  }
}

async function timeQuery(client: Client, q: ScaleQuery, probe: Probe): Promise<{ medianMs: number; p95Ms: number; runs: number }> {
  const params = q.params(probe);
  const once = async () => {
    if (q.inTransaction) await client.query('BEGIN');
    const started = process.hrtime.bigint();
    await client.query({ text: q.sql, values: params });
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    if (q.inTransaction) await client.query('ROLLBACK');
    return ms;
  };
  for (let i = 0; i < 3; i++) await once();
  const times: number[] = [];
  const deadline = Date.now() + 1500;
  while (times.length < 5 || (times.length < 40 && Date.now() < deadline)) times.push(await once());
  return { medianMs: round(median(times), 3), p95Ms: round(percentile(times, 95), 3), runs: times.length };
}

async function probeAt(client: Client, size: number): Promise<Probe> {
  const one = async (sql: string, params: unknown[] = []) => (await client.query(sql, params)).rows[0];
  const mid = Math.floor(size / 2);
  const someId = (await one(`SELECT md5('bench-customer-' || $1::int)::uuid::text AS id`, [mid])).id as string;
  const someCelarId = (await one(`SELECT celar_id FROM customers WHERE celar_id IS NOT NULL AND id >= $1 ORDER BY id LIMIT 1`, [someId]))
    .celar_id as string;
  const first = await one(`SELECT id::text AS id FROM customers WHERE id >= $1 ORDER BY id LIMIT 1`, [someId]);
  const last = await one(`SELECT id::text AS id FROM customers WHERE id >= $1 ORDER BY id OFFSET 499 LIMIT 1`, [someId]);
  const chunk = { first: first.id as string, last: (last ?? first).id as string };
  const pending = await one(`SELECT customer_id::text AS id FROM customer_operations WHERE status <> 'done' ORDER BY id DESC LIMIT 1`);
  return {
    size,
    someId,
    someCelarId,
    someEmail: `seed-${mid}@bench.example.com`,
    chunkFirst: chunk.first,
    chunkLast: chunk.last,
    someCustomerWithOps: pending.id,
  };
}

/** Flat: at most twice the smallest size's time, or less than `slackMs` more (sub-ms jitter of a busy box). */
function isFlat(smallMs: number, largeMs: number, slackMs = 0.5): boolean {
  return largeMs <= 2 * smallMs || largeMs - smallMs <= slackMs;
}

async function queueCosts(ctx: BenchContext, sizes: number[]): Promise<{ rows: BenchRow[]; details: unknown[] }> {
  const prefix = ctx.queuePrefix('scale-queue');
  const redis = ctx.redis();
  const queue = new Queue('customer-sync', { connection: redis, prefix: `{${prefix}}` });
  const details: { size: number; addBulk1000Ms: number; getJobCountsMs: number; bytesPerJob: number | null }[] = [];
  const memory = async () => Number(/used_memory:(\d+)/.exec(await redis.info('memory'))?.[1] ?? NaN);
  try {
    let count = 0;
    const before = await memory();
    const batch = (n: number) =>
      Array.from({ length: n }, () => {
        const id = count++;
        return {
          name: 'sync-operation',
          data: { operationId: String(id), customerId: `00000000-0000-4000-8000-${String(id).padStart(12, '0')}` },
          opts: { jobId: `op-${id}`, attempts: 25, removeOnComplete: { age: 3600, count: 1000 }, removeOnFail: { age: 86_400, count: 5000 } },
        };
      });
    for (const size of sizes) {
      while (count < size - 5000) await queue.addBulk(batch(Math.min(5000, size - 5000 - count)));
      const addTimes: number[] = [];
      while (count < size) {
        const started = Date.now();
        await queue.addBulk(batch(1000));
        addTimes.push(Date.now() - started);
      }
      const countTimes: number[] = [];
      for (let i = 0; i < 50; i++) {
        const started = process.hrtime.bigint();
        await queue.getJobCounts('waiting', 'active', 'delayed', 'failed', 'completed');
        countTimes.push(Number(process.hrtime.bigint() - started) / 1e6);
      }
      const used = await memory();
      details.push({
        size,
        addBulk1000Ms: round(median(addTimes), 2),
        getJobCountsMs: round(median(countTimes), 3),
        bytesPerJob: Number.isFinite(used - before) ? Math.round((used - before) / count) : null,
      });
    }
  } finally {
    await queue.close();
    redis.disconnect();
    await ctx.cleanRedisPrefix(prefix);
  }
  const first = details[0];
  const last = details[details.length - 1];
  const rows: BenchRow[] = [
    {
      benchmark: `queue: addBulk of 1000 jobs, ${first.size.toLocaleString('en-US')} -> ${last.size.toLocaleString('en-US')} jobs waiting`,
      unit: 'ms',
      ours: last.addBulk1000Ms,
      baseline: first.addBulk1000Ms,
      ratio: round(last.addBulk1000Ms / first.addBulk1000Ms, 2),
      target: 'flat (<= 2x or < 1 ms more)',
      pass: isFlat(first.addBulk1000Ms, last.addBulk1000Ms, 1),
      extra: { 'bytes/job': last.bytesPerJob },
    },
    {
      benchmark: `queue: getJobCounts, ${first.size.toLocaleString('en-US')} -> ${last.size.toLocaleString('en-US')} jobs waiting`,
      unit: 'ms',
      ours: last.getJobCountsMs,
      baseline: first.getJobCountsMs,
      ratio: round(last.getJobCountsMs / first.getJobCountsMs, 2),
      target: 'flat (<= 2x or < 1 ms more)',
      pass: isFlat(first.getJobCountsMs, last.getJobCountsMs, 1),
    },
  ];
  return { rows, details };
}

/** 10k, 100k, 1M up to `max`, and `max` itself. */
function ladder(max: number): number[] {
  const sizes = [10_000, 100_000, 1_000_000].filter((s) => s < max);
  return [...sizes, max];
}

export async function runScaleBench(ctx: BenchContext): Promise<BenchSection> {
  const { scaleMax, queueMax } = ctx.settings;
  const sizes = ladder(scaleMax);
  const section: BenchSection = { name: 'scale', title: '5. Scale', rows: [], details: { sizes } };
  const url = await ctx.createDatabase('scale');
  const perSize: Record<number, Record<string, { medianMs: number; p95Ms: number; runs: number; plan: PlanSummary }>> = {};
  const seeding: Record<number, number> = {};
  await ctx.withDatabase(url, async (client) => {
    let seeded = 0;
    for (const size of sizes) {
      const started = Date.now();
      // Chunks of 100k keep each statement's memory bounded.
      for (let from = seeded + 1; from <= size; from += 100_000) await seedCustomers(client, from, Math.min(size, from + 99_999));
      seeded = size;
      await client.query('VACUUM ANALYZE customers');
      await client.query('VACUUM ANALYZE customer_operations');
      seeding[size] = round((Date.now() - started) / 1000, 1);
      const probe = await probeAt(client, size);
      perSize[size] = {};
      for (const q of QUERIES) {
        const timing = await timeQuery(client, q, probe);
        perSize[size][q.name] = { ...timing, plan: await explain(client, q, probe) };
      }
    }
  });
  section.details.seedSeconds = seeding;
  section.details.queries = QUERIES.map((q) => ({
    name: q.name,
    source: q.source,
    bySize: Object.fromEntries(sizes.map((s) => [s, perSize[s][q.name]])),
  }));

  const small = sizes[0];
  const large = sizes[sizes.length - 1];
  const label = (n: number) => (n >= 1_000_000 ? `${n / 1_000_000}M` : `${n / 1000}k`);
  for (const q of QUERIES) {
    const a = perSize[small][q.name];
    const b = perSize[large][q.name];
    const plan = b.plan;
    const usesIndex = plan.seqScans.length === 0;
    const flat = isFlat(a.medianMs, b.medianMs);
    section.rows.push({
      benchmark: `scale: ${q.name}, ${label(small)} -> ${label(large)} rows`,
      unit: 'ms',
      ours: b.medianMs,
      baseline: a.medianMs,
      ratio: round(b.medianMs / Math.max(a.medianMs, 0.001), 2),
      target: q.linear ? 'reads every match (info)' : 'flat (<= 2x or < 0.5 ms more), no Seq Scan',
      pass: q.linear ? null : flat && usesIndex,
      extra: { plan: plan.indexes.length ? plan.indexes.join('+') : plan.nodes.join('+'), ...(plan.seqScans.length ? { 'seq scan': plan.seqScans.join('+') } : {}) },
    });
  }

  const queue = await queueCosts(ctx, ladder(queueMax));
  section.rows.push(...queue.rows);
  section.details.queue = queue.details;
  return section;
}
