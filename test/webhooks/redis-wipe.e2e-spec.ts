import IORedis from 'ioredis';
import { PrivateRedis, startWebhookReceiver, WebhookReceiver } from '@app/testing';
import { Stack, startStack } from '../support/stack';
import { createCustomers, customerInput, updateCustomer, waitUntilSettled } from '../sync/sync-kit';
import { events, orderProblems, pendingDeliveries, subscribe, waitFor, WEBHOOK_TEST_ENV } from './webhook-kit';

jest.setTimeout(180_000);

// Redis is emptied while events wait to be delivered (and sync jobs wait in it): Postgres is the
// record, so every event still arrives. The Redis is this test's own, never the shared one.
describe('a Redis wipe loses no event', () => {
  let stack: Stack;
  let receiver: WebhookReceiver;
  let redis: PrivateRedis;

  beforeAll(async () => {
    redis = await PrivateRedis.start();
    receiver = await startWebhookReceiver();
    stack = await startStack({
      env: { ...WEBHOOK_TEST_ENV, REDIS_URL: redis.url, SYNC_RESWEEP_AFTER_MS: '1000', SYNC_CONCURRENCY: '2' },
      workers: 0,
      faults: [{ kind: 'latency', latencyMs: 50 }],
    });
  });

  afterAll(async () => {
    await stack?.close();
    await receiver?.close();
    await redis?.kill();
  });

  it('delivers every event, in order per customer, after FLUSHALL of its Redis mid-way', async () => {
    const endpoint = await subscribe(stack, receiver, 'wiped');
    receiver.setFaults({ status: 500, probability: 0.2 });
    const ids = await createCustomers(stack, Array.from({ length: 30 }, (_, i) => customerInput('wipe', i)));
    await stack.startWorker();
    await waitFor('some events delivered', () => receiver.accepted('wiped').length >= 5);
    for (const id of ids) await updateCustomer(stack, id, { name: 'Before Wipe' });

    const client = new IORedis(redis.url);
    await client.flushall();
    client.disconnect();

    for (const id of ids) await updateCustomer(stack, id, { name: 'After Wipe' });
    await waitUntilSettled(stack.db, 150_000);
    await waitFor('every delivery made', async () => (await pendingDeliveries(stack.db, endpoint.id)) === 0, 150_000);

    const all = await events(stack.db);
    expect(all.filter((e) => e.type === 'customer.synced')).toHaveLength(30);
    expect(all.filter((e) => e.type === 'customer.updated').length).toBeGreaterThanOrEqual(30);
    expect(orderProblems(all, receiver.accepted('wiped'))).toEqual([]);
  });
});
