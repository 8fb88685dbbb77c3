// Benchmark 5 of issue #5: database and queue cost as the mirror grows (10k -> 100k -> 1M
// customers). Each statement is the one a repository method runs: the method is called once
// against the bench database and the statements it issues are recorded (never copied here),
// then each is timed at every size and its plan checked for index use.
import { randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import { Client } from 'pg';
import { DataSource, QueryRunner } from 'typeorm';
import { CustomerMirrorRepository, CustomerOperationsRepository, CustomersRepository } from '@app/customers';
import { dataSourceOptions, inTransaction } from '@app/database';
import { BALANCE_CHUNK_SIZE } from '@app/reconciliation';
import { BenchContext } from './lib/bench-context';
import { customerBody, seedCustomers } from './lib/bench-fixtures';
import { median, percentile } from './lib/bench-load';
import { BenchRow, BenchSection, round } from './lib/bench-report';

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

/** The repositories under test, on a data source whose statements can be recorded. */
interface Repositories {
  customers: CustomersRepository;
  mirror: CustomerMirrorRepository;
  operations: CustomerOperationsRepository;
  dataSource: DataSource;
}

interface Statement {
  text: string;
  params: unknown[];
}

interface ScaleQuery {
  name: string;
  /** The repository method that runs the statement. */
  source: string;
  /** Calls the method; `pick` chooses which of its statements is timed (default: the first). */
  call: (r: Repositories, p: Probe) => Promise<unknown>;
  pick?: number;
  /** Reads every matching row by nature (a count): reported, not held to "flat". */
  linear?: boolean;
  /** Runs inside BEGIN ... ROLLBACK (writes or FOR UPDATE). */
  inTransaction?: boolean;
}

/** Thrown to roll back a call whose writes must not stay (its statements are recorded first). */
const ROLL_BACK = new Error('roll back');
const rolledBack = async (fn: () => Promise<unknown>) => fn().catch((error: unknown) => (error === ROLL_BACK ? undefined : Promise.reject(error)));

const TRANSACTION_CONTROL = /^(START TRANSACTION|BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE SAVEPOINT)/i;
let recording: Statement[] | null = null;

/** A data source whose query runners also hand each statement (but transaction control) to `recording`. */
async function recordingDataSource(url: string): Promise<DataSource> {
  const dataSource = new DataSource({ ...dataSourceOptions(url, 2), entities: [] });
  await dataSource.initialize();
  const create = dataSource.createQueryRunner.bind(dataSource);
  dataSource.createQueryRunner = (...args: Parameters<DataSource['createQueryRunner']>): QueryRunner => {
    const runner = create(...args);
    const query = runner.query.bind(runner);
    runner.query = ((text: string, params?: unknown[], structured?: boolean) => {
      if (recording && !TRANSACTION_CONTROL.test(text.trim())) recording.push({ text, params: params ?? [] });
      return query(text, params, structured as true);
    }) as QueryRunner['query'];
    return runner;
  };
  return dataSource;
}

/** The statements one call of a repository method issues. */
async function record(q: ScaleQuery, r: Repositories, probe: Probe): Promise<Statement> {
  recording = [];
  try {
    await q.call(r, probe);
    const statement = recording[q.pick ?? 0];
    if (!statement) throw new Error(`${q.source} issued no statement #${q.pick ?? 0}`);
    return statement;
  } finally {
    recording = null;
  }
}

const LIST_FILTERS: { label: string; filter: (p: Probe) => Omit<Parameters<CustomersRepository['list']>[0], 'limit' | 'offset'> }[] = [
  { label: 'no filter', filter: () => ({}) },
  { label: 'type=business', filter: () => ({ type: 'business' }) },
  { label: 'is_active=false', filter: () => ({ isActive: false }) },
  { label: 'sync_status=failed', filter: () => ({ syncStatus: 'failed' }) },
  { label: 'country=KEN', filter: () => ({ country: 'KEN' }) },
  { label: 'email=', filter: (p) => ({ email: p.someEmail }) },
];

const QUERIES: ScaleQuery[] = [
  // One statement per list request: the page and its total (count(*) reads every match but for email=).
  ...LIST_FILTERS.map((f) => ({
    name: `list page and total (${f.label})`,
    source: 'CustomersRepository.list',
    call: (r: Repositories, p: Probe) => r.customers.list({ ...f.filter(p), limit: 20, offset: 0 }),
    linear: f.label !== 'email=',
  })),
  {
    name: 'list page and total, offset 10000 (country=KEN)',
    source: 'CustomersRepository.list',
    call: (r) => r.customers.list({ country: 'KEN', limit: 20, offset: 10_000 }),
    linear: true,
  },
  { name: 'get by id', source: 'CustomersRepository.findByRef', call: (r, p) => r.customers.findByRef(p.someId) },
  { name: 'get by celar_id', source: 'CustomersRepository.findByRef', call: (r, p) => r.customers.findByRef(p.someCelarId) },
  {
    name: 'create: insert a bulk of 1000 (rolled back)',
    source: 'CustomersRepository.insertCustomers',
    call: (r, p) =>
      rolledBack(() =>
        inTransaction(r.dataSource, async (sql) => {
          const rows = Array.from({ length: 1000 }, (_, ord) => {
            const body = customerBody(`scale${p.size}`, ord);
            return {
              id: randomUUID(),
              type: body.type,
              name: body.name,
              email: body.email,
              country: body.country,
              documentType: body.document_type,
              address: body.address,
              taxId: body.tax_id,
              walletAddress: body.wallet_address,
            };
          });
          await r.customers.insertCustomers(sql, rows);
          throw ROLL_BACK;
        }),
      ),
    inTransaction: true,
  },
  {
    name: `reconciliation balance chunk (${BALANCE_CHUNK_SIZE} ids)`,
    source: 'CustomerMirrorRepository.linkedInRange',
    call: (r, p) => r.mirror.linkedInRange(p.chunkFirst, p.chunkLast),
  },
  {
    name: 'reconciliation chunk plan (whole table, once per run)',
    source: 'CustomerMirrorRepository.linkedIdRanges',
    call: (r) => inTransaction(r.dataSource, (sql) => r.mirror.linkedIdRanges(sql, BALANCE_CHUNK_SIZE)),
    linear: true,
  },
  {
    name: 'relay claim (500 pending ops)',
    source: 'CustomerOperationsRepository.relay',
    call: (r) =>
      rolledBack(() =>
        r.operations.relay(500, 60_000, async () => {
          throw ROLL_BACK;
        }),
      ),
    inTransaction: true,
  },
  {
    name: "sync: a customer's unfinished ops",
    source: 'CustomerOperationsRepository.unfinished',
    call: (r, p) => r.operations.unfinished(p.someCustomerWithOps, 50),
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

async function explain(client: Client, statement: Statement): Promise<PlanSummary> {
  await client.query('BEGIN');
  try {
    const { rows } = await client.query(`EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) ${statement.text}`, statement.params);
    return summarizePlan((rows[0]['QUERY PLAN'] as Record<string, unknown>[])[0]);
  } finally {
    await client.query('ROLLBACK');
  }
}

async function timeQuery(client: Client, q: ScaleQuery, statement: Statement): Promise<{ medianMs: number; p95Ms: number; runs: number }> {
  const once = async () => {
    if (q.inTransaction) await client.query('BEGIN');
    const started = process.hrtime.bigint();
    await client.query({ text: statement.text, values: statement.params });
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
  const last = await one(`SELECT id::text AS id FROM customers WHERE id >= $1 ORDER BY id OFFSET $2 LIMIT 1`, [someId, BALANCE_CHUNK_SIZE - 1]);
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
  const dataSource = await recordingDataSource(url);
  const repositories: Repositories = {
    customers: new CustomersRepository(dataSource),
    mirror: new CustomerMirrorRepository(dataSource),
    operations: new CustomerOperationsRepository(dataSource),
    dataSource,
  };
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
        const statement = await record(q, repositories, probe);
        const timing = await timeQuery(client, q, statement);
        perSize[size][q.name] = { ...timing, plan: await explain(client, statement) };
      }
    }
  }).finally(() => dataSource.destroy());
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
