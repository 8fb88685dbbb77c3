// Runs on their own: BullMQ job schedulers every BALANCE_RECONCILE_EVERY, never two runs of a kind at once.
import { Queue } from 'bullmq';
import IORedis from 'ioredis';
import { RECONCILIATION_QUEUE } from '@app/reconciliation';
import { Stack, startStack } from '../support/stack';
import { RunBody, seedCustomers, waitForRun } from './reconciliation-kit';
import { waitUntil } from '@app/testing';

describe('scheduled reconciliation (e2e)', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack({
      // Celar's default timeout, well above the 1.5 s the first test holds each balance read.
      env: { BALANCE_RECONCILE_EVERY: '1s', RECORD_RECONCILE_EVERY: 'off', CELAR_TIMEOUT_MS: '10000' },
      workers: 0,
      workerRuns: 'reconciliation',
    });
    await seedCustomers(stack, 20);
  });

  afterAll(async () => {
    await stack?.close();
  });

  // Times as ISO text with milliseconds (a Date through Date.parse would lose them).
  const runs = async (): Promise<RunBody[]> =>
    (
      await stack.db.query(
        `SELECT id, kind, trigger, status, to_json(created_at)#>>'{}' AS created_at, to_json(finished_at)#>>'{}' AS finished_at
           FROM reconciliation_runs ORDER BY created_at`,
      )
    ).rows;

  it('starts balance runs on its own, but never a second while one is active', async () => {
    // Slow enough that several ticks of the schedule fall within one run.
    await stack.sandbox.control.addFault({ kind: 'latency', latencyMs: 1500, path: '/customers/*/balance' });
    await stack.startWorker();
    const first = await waitUntil(async () => (await runs())[0], 20_000, 'a scheduled run');
    expect(first).toMatchObject({ kind: 'balances', trigger: 'schedule' });
    const ended = await waitForRun(stack, first.id, 60_000);
    await stack.sandbox.control.clearFaults();
    expect(ended.status).toBe('completed');
    expect(Date.parse(ended.finished_at!) - Date.parse(ended.started_at!)).toBeGreaterThan(1000);

    // The ticks during the run made nothing; the next tick after it starts a new run.
    const later = await waitUntil(async () => ((await runs()).length >= 2 ? await runs() : undefined), 20_000, 'a second scheduled run');
    const during = later.filter((r) => r.id !== first.id && Date.parse(r.created_at) < Date.parse(ended.finished_at!));
    expect(during).toEqual([]);
    expect(later.every((r) => r.kind === 'balances' && r.trigger === 'schedule')).toBe(true);
    await stack.stopWorkers();
  }, 120_000);

  it('removes the schedule when set to off', async () => {
    const redis = new IORedis(stack.config.redisUrl, { maxRetriesPerRequest: null });
    const queue = new Queue(RECONCILIATION_QUEUE, { connection: redis, prefix: `{${stack.config.queuePrefix}}` });
    expect(await queue.getJobScheduler('reconcile-balances')).toMatchObject({ every: 1000 });
    await stack.startWorker({ BALANCE_RECONCILE_EVERY: 'off' });
    try {
      await waitUntil(async () => ((await queue.getJobScheduler('reconcile-balances')) ? undefined : true), 10_000, 'the scheduler to go');
      expect(await queue.getJobScheduler('reconciliation-watchdog')).toBeTruthy();
    } finally {
      await stack.stopWorkers();
      await queue.close();
      redis.disconnect();
    }
  });
});
