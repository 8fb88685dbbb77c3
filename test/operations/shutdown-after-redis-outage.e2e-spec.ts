import { PrivateRedis, waitFor } from '@app/testing';
import { Stack, startStack } from '../support/stack';
import { createCustomers, customerInput, duplicateEmails, sleep, waitUntilSettled } from '../sync/sync-kit';

// Redis dies under the worker's feet with requests in flight, stays away 20 s and comes back
// empty: the worker picks the work up again, and still stops cleanly when asked. (BullMQ has
// known cases where a worker's close() never resolves after its Redis went away.)
describe('SIGTERM after a Redis outage (real worker process)', () => {
  let stack: Stack;
  let redis: PrivateRedis;

  beforeAll(async () => {
    redis = await PrivateRedis.start();
    stack = await startStack({
      workers: 0,
      env: { REDIS_URL: redis.url, SYNC_RESWEEP_AFTER_MS: '1000' },
      // Duplicates allowed and keys ignored upstream: a create sent twice would show.
      sandbox: { settings: { ignoreIdempotencyKeys: true, allowDuplicateEmails: true } },
    });
  });

  afterAll(async () => {
    await stack?.killWorkerProcesses();
    // A test that failed while Redis was down: bring it back so the stack can close.
    if (redis && !redis.running) await redis.restart();
    await stack?.close();
    await redis?.kill();
  });

  it('a worker whose Redis was down for 20 s, with jobs in hand, carries on after it returns and exits 0 on SIGTERM', async () => {
    const worker = stack.spawnWorker();
    await createCustomers(stack, Array.from({ length: 5 }, (_, i) => customerInput('before-outage', i)));
    await waitUntilSettled(stack.db, 60_000);

    // Celar answers slowly: Redis dies while requests of the worker's jobs are out.
    const slow = await stack.sandbox.control.addFault({ kind: 'latency', latencyMs: 1500 });
    await createCustomers(stack, Array.from({ length: 30 }, (_, i) => customerInput('during-outage', i)));
    await waitFor(
      async () => (await stack.db.query(`SELECT 1 FROM customer_operations WHERE status = 'pending' AND in_doubt`)).rowCount ?? 0,
      (inFlight) => inFlight > 0,
      60_000,
      20,
    );
    await redis.kill();
    await sleep(20_000);
    await redis.restart();
    await stack.sandbox.control.removeFault(slow.id);
    await createCustomers(stack, [customerInput('after-outage', 0)]);
    await waitUntilSettled(stack.db, 60_000);
    const upstream = await stack.sandbox.control.customers();
    expect(duplicateEmails(upstream)).toEqual([]);
    expect(upstream).toHaveLength(36);

    worker.child.kill('SIGTERM');
    const exit = await worker.exited;
    expect({ ...exit, output: exit.code === 0 ? '' : worker.output() }).toEqual({ code: 0, signal: null, output: '' });
  }, 200_000);
});
