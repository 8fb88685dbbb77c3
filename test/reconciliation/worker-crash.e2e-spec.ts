// A worker process killed mid-run (SIGKILL) and started again: the run resumes, counts nothing twice, and finishes.
// Runs the built worker (`npm run build` first; `npm test` does it).
import { waitUntil } from '@app/testing';
import { Stack, startStack } from '../support/stack';
import { allFindings, getRun, seedCustomers, Seeded, startRun, waitForRun } from './reconciliation-kit';

// More than CHUNK_CONCURRENCY chunks of BALANCE_CHUNK_SIZE: the first wave of chunks ends (and
// shows as progress) while the second is still to come, so the kill lands mid-run. With fewer,
// every chunk runs at once and they all end within moments of each other.
const CUSTOMERS = 2500;
const CHANGED = CUSTOMERS / 10;

describe('a worker killed mid-run (e2e, real process)', () => {
  let stack: Stack;
  let customers: Seeded[];

  beforeAll(async () => {
    // The baseline run in-process; the run under test in worker processes only.
    stack = await startStack({ env: { CELAR_REQUESTS_PER_SECOND: '200' }, workerRuns: 'reconciliation' });
    customers = await seedCustomers(stack, CUSTOMERS);
    await waitForRun(stack, (await startRun(stack, 'balances')).id);
    await stack.stopWorkers();
    for (let i = 0; i < CUSTOMERS; i += 10) await stack.sandbox.control.setBalance(customers[i].celarId, `${i}.000001`);
  });

  afterAll(async () => {
    await stack?.close();
  });

  it('resumes the run after a restart, with every customer counted once', async () => {
    await stack.sandbox.control.addFault({ kind: 'latency', latencyMs: 20, path: '/customers/*/balance' });
    const first = stack.spawnWorker();
    const run = await startRun(stack, 'balances');

    // Kill it once some chunks are done, well before the end.
    const midway = await waitUntil(
      async () => {
        const r = await getRun(stack, run.id);
        return r.progress.done >= 250 ? r : undefined;
      },
      60_000,
      'the run to get going',
      50,
    );
    first.kill();
    await first.exited;
    expect(midway.progress.done).toBeLessThan(CUSTOMERS);
    const afterKill = await getRun(stack, run.id);
    expect(afterKill.status).toBe('running');
    expect(afterKill.progress.done).toBeLessThan(CUSTOMERS);

    stack.spawnWorker();
    const ended = await waitForRun(stack, run.id, 150_000);

    expect(ended.status).toBe('completed');
    expect(ended.progress).toEqual({ done: CUSTOMERS, total: CUSTOMERS });
    expect(ended.counts).toEqual({ customers_checked: CUSTOMERS, balances_changed: CHANGED, findings: CHANGED, errors: 0 });
    const findings = await allFindings(stack, run.id);
    expect(findings).toHaveLength(CHANGED);
    expect(new Set(findings.map((f) => f.customer_id)).size).toBe(CHANGED);
    const changed = new Set(customers.filter((_, i) => i % 10 === 0).map((c) => c.id));
    expect(findings.every((f) => f.kind === 'balance_changed' && changed.has(f.customer_id!))).toBe(true);
    const { rows } = await stack.db.query(`SELECT count(*)::int AS n FROM balance_history WHERE run_id = $1`, [run.id]);
    expect(rows[0].n).toBe(CHANGED);
    // 0.000001 + 10.000001 + 20.000001 + ..., summed in millionths so no float is involved.
    let micros = 0n;
    for (let i = 0; i < CUSTOMERS; i += 10) micros += BigInt(i) * 1_000_000n + 1n;
    const total = `${micros / 1_000_000n}.${(micros % 1_000_000n).toString().padStart(6, '0')}`;
    expect(ended.totals).toEqual([{ currency: 'USDC', total }]);
  }, 240_000);
});
