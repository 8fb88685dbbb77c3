import { Queue } from 'bullmq';
import IORedis from 'ioredis';
import { jobIds, RECONCILIATION_QUEUE } from '@app/reconciliation';
import { TcpProxy } from '../operations/tcp-proxy';
import { Stack, startStack } from '../support/stack';
import { seedCustomers, startRun, trigger, waitForRun } from './reconciliation-kit';
import { waitUntil } from '@app/testing';

// Demo 5 of the review: a run whose start job runs out of tries while Postgres is down must not
// block its kind for good. The worker reaches Postgres through a proxy the test cuts; the API
// (and this test) go straight to it.
describe('reconciliation through a Postgres outage longer than its job retries', () => {
  let stack: Stack;
  let proxy: TcpProxy;
  let redis: IORedis;
  let queue: Queue;

  beforeAll(async () => {
    // 3 tries (1 s, then 2 s apart) instead of 8: the outage outlasts them in seconds, not minutes.
    stack = await startStack({ env: { RECONCILE_JOB_ATTEMPTS: '3' }, workers: 0, workerRuns: 'reconciliation' });
    proxy = await TcpProxy.start(5432);
    await stack.startWorker({ DATABASE_URL: proxy.rewrite(stack.databaseUrl) });
    redis = new IORedis(stack.config.redisUrl, { maxRetriesPerRequest: null });
    queue = new Queue(RECONCILIATION_QUEUE, { connection: redis, prefix: `{${stack.config.queuePrefix}}` });
    await seedCustomers(stack, 5);
  });

  afterAll(async () => {
    await proxy?.restore();
    await queue?.close();
    redis?.disconnect();
    await stack?.close();
    await proxy?.close();
  });

  it('ends the interrupted run once Postgres is back, and a new run of its kind then completes', async () => {
    await proxy.cut();
    const stuck = await startRun(stack, 'balances');
    // The start job gives up: every try met Postgres down.
    await waitUntil(async () => ((await queue.getJobState(jobIds.start(stuck.id))) === 'failed' ? true : undefined), 60_000, 'the start job to give up');
    // Meanwhile the run holds its kind: a new one is refused, naming it.
    const refused = await trigger(stack, 'balances');
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('run_in_progress');

    await proxy.restore();
    // Within 2 minutes of Postgres answering (the watchdog runs every 30 s).
    const ended = await waitForRun(stack, stuck.id, 120_000);
    expect(ended.status).toBe('failed');
    expect(ended.error).toMatch(/could not start/);

    const next = await startRun(stack, 'balances');
    const done = await waitForRun(stack, next.id);
    expect(done.status).toBe('completed');
    expect(done.counts.customers_checked).toBe(5);
  });
});
