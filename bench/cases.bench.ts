// Cases at the scale of a balance run (issue #12): 100,000 customers in chunks of 250, 1% of them
// deactivated while still holding money. Drives exactly what a balance run's chunks and its end
// call (CasesService.recordFindings in each chunk's transaction, runEnded when the run completes)
// against real Postgres, three runs in a row: the first opens the cases, the second updates them,
// the third sees only half of them and resolves the rest. Measures each run's time, the slowest
// chunk, and this process's peak memory; checks the outcome.
// `npm run build && node dist/bench/cases.bench.js` (BENCH_QUICK=1: 10,000 customers).
import { randomBytes, randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { CasesRepository, CasesService } from '@app/cases';
import { CustomerMirrorRepository } from '@app/customers';
import { dataSourceOptions, inTransaction } from '@app/database';
import { databaseUrl, withServer } from '@app/testing';

const CUSTOMERS = process.env.BENCH_QUICK ? 10_000 : Number(process.env.BENCH_CASES_CUSTOMERS ?? 100_000);
const CHUNK = 250;
const SHARE = 0.01;

interface RunResult {
  run: string;
  seconds: number;
  slowestChunkMs: number;
  p50ChunkMs: number;
}

async function main(): Promise<void> {
  const name = `cs_bench_cases_${randomBytes(4).toString('hex')}`;
  await withServer((c) => c.query(`CREATE DATABASE "${name}"`));
  const db = new DataSource(dataSourceOptions(databaseUrl(name), 4));
  await db.initialize();
  await db.runMigrations({ transaction: 'each' });
  // Built by hand, without Nest: the hook never calls the customers service (repushes are not part of a run).
  const cases = new CasesService(new CasesRepository(db, new CustomerMirrorRepository(db)), undefined as never, undefined as never);

  const customerIds = Array.from({ length: CUSTOMERS }, () => randomUUID());
  const holding = customerIds.filter((_, i) => i % Math.round(1 / SHARE) === 0);
  let peakRss = process.memoryUsage().rss;
  const sample = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 50);
  const startRss = process.memoryUsage().rss;

  async function balanceRun(label: string, stillHolding: (i: number) => boolean): Promise<RunResult> {
    const runId = randomUUID();
    const startedAt = new Date();
    const started = Date.now();
    const chunkMs: number[] = [];
    const holdingSet = new Set(holding.filter((_, i) => stillHolding(i)));
    for (let from = 0; from < CUSTOMERS; from += CHUNK) {
      const findings = customerIds
        .slice(from, from + CHUNK)
        .filter((id) => holdingSet.has(id))
        .map((id) => ({ kind: 'deactivated_with_balance', customerId: id, celarId: `cr_${id.slice(0, 12)}`, field: 'balance', expected: '0', actual: `${(Math.random() * 1000).toFixed(2)}`, currency: 'USDC' }));
      const t = Date.now();
      await inTransaction(db, (sql) => cases.recordFindings(sql, runId, findings));
      chunkMs.push(Date.now() - t);
    }
    await inTransaction(db, (sql) => cases.runEnded(sql, { id: runId, kind: 'balances', status: 'completed', startedAt }));
    chunkMs.sort((a, b) => a - b);
    return { run: label, seconds: (Date.now() - started) / 1000, slowestChunkMs: chunkMs.at(-1)!, p50ChunkMs: chunkMs[Math.floor(chunkMs.length / 2)] };
  }

  const results = [
    await balanceRun('1: opens', () => true),
    await balanceRun('2: updates', () => true),
    await balanceRun('3: half fixed', (i) => i % 2 === 0),
  ];
  clearInterval(sample);

  const [counts] = await db.query(
    `SELECT count(*) FILTER (WHERE status = 'open')::int AS open, count(*) FILTER (WHERE status = 'resolved' AND resolution = 'auto')::int AS resolved,
            max(occurrence_count)::int AS max_occurrences, (SELECT count(*)::int FROM reconciliation_case_events) AS events
       FROM reconciliation_cases`,
  );
  await db.destroy();
  await withServer((c) => c.query(`DROP DATABASE "${name}"`));

  const expectOpen = Math.ceil(holding.length / 2);
  const ok = counts.open === expectOpen && counts.resolved === holding.length - expectOpen && counts.max_occurrences === 3;
  console.log(`cases bench: ${CUSTOMERS} customers, ${holding.length} breaks (${SHARE * 100}%), chunks of ${CHUNK}`);
  console.log('| run | seconds | chunk p50 ms | slowest chunk ms |');
  console.log('| --- | --- | --- | --- |');
  for (const r of results) console.log(`| ${r.run} | ${r.seconds.toFixed(2)} | ${r.p50ChunkMs} | ${r.slowestChunkMs} |`);
  console.log(`peak RSS ${(peakRss / 1048576).toFixed(0)} MB (start ${(startRss / 1048576).toFixed(0)} MB, customer ids held by the bench itself)`);
  console.log(`outcome: ${JSON.stringify(counts)} ${ok ? 'as expected' : 'UNEXPECTED'}`);
  if (!ok) process.exitCode = 1;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
