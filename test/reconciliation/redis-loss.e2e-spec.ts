// Postgres, not Redis, holds a run's plan: a Redis that loses every key of ours mid-run
// (a flush, a failover to an empty replica) still sees the run finish, counting nothing twice.
import { Queue } from 'bullmq';
import IORedis from 'ioredis';
import { RECONCILIATION_QUEUE } from '@app/reconciliation';
import { Stack, startStack } from '../support/stack';
import { getRun, seedCustomers, startRun, waitForRun } from './reconciliation-kit';
import { deleteQueueKeys, waitUntil } from '@app/testing';

describe('Redis loses the queue mid-run (e2e)', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack({ workerRuns: 'reconciliation' });
  });

  afterAll(async () => {
    await stack?.close();
  });

  it('the watchdog re-queues the chunks left to do and the run completes with exact counts', async () => {
    // 20 chunks of 250: more than a worker takes at once, so some wait in Redis when it is lost.
    const customers = await seedCustomers(stack, 5000);
    await waitForRun(stack, (await startRun(stack, 'balances')).id, 120_000);
    for (let i = 0; i < customers.length; i += 100) await stack.sandbox.control.setBalance(customers[i].celarId, '7.000007');

    await stack.sandbox.control.addFault({ kind: 'latency', latencyMs: 80, path: '/customers/*/balance' });
    const run = await startRun(stack, 'balances');
    await waitUntil(async () => ((await getRun(stack, run.id)).progress.done >= 250 ? true : undefined), 60_000, 'a first chunk');
    const redis = new IORedis(stack.config.redisUrl, { maxRetriesPerRequest: null });
    const queue = new Queue(RECONCILIATION_QUEUE, { connection: redis, prefix: `{${stack.config.queuePrefix}}` });
    try {
      expect(await queue.getWaitingCount()).toBeGreaterThan(0);
    } finally {
      await queue.close();
      redis.disconnect();
    }
    // Every job, scheduler and budget key of this deployment: gone.
    await deleteQueueKeys(stack.config);
    await stack.sandbox.control.clearFaults();
    expect((await getRun(stack, run.id)).status).toBe('running');

    const ended = await waitForRun(stack, run.id, 150_000);
    expect(ended.status).toBe('completed');
    expect(ended.progress).toEqual({ done: 5000, total: 5000 });
    expect(ended.counts).toEqual({ customers_checked: 5000, balances_changed: 50, findings: 50, errors: 0 });
    const { rows } = await stack.db.query(`SELECT count(*)::int AS n FROM balance_history WHERE run_id = $1`, [run.id]);
    expect(rows[0].n).toBe(50);
  }, 200_000);
});
