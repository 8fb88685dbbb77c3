import { startWebhookReceiver, WebhookReceiver } from '@app/testing';
import { Stack, startStack } from '../support/stack';
import { createCustomers, customerInput, deactivateCustomer, sleep, updateCustomer, waitUntilSettled } from '../sync/sync-kit';
import { events, orderProblems, pendingDeliveries, subscribe, waitFor, WEBHOOK_TEST_ENV } from './webhook-kit';

jest.setTimeout(240_000);

// The worker as a real process, killed without warning while the receiver fails at random:
// every event still arrives, and each customer's events arrive in the order they happened.
describe('order per customer through failures and a worker crash', () => {
  let stack: Stack;
  let receiver: WebhookReceiver;

  beforeAll(async () => {
    receiver = await startWebhookReceiver();
    stack = await startStack({ env: WEBHOOK_TEST_ENV, workers: 0 });
  });

  afterAll(async () => {
    await stack?.close();
    await receiver?.close();
  });

  it('delivers every event, in order per customer, with the receiver failing 30% of requests and a SIGKILL mid-way', async () => {
    const endpoint = await subscribe(stack, receiver, 'flaky');
    // Slow enough that attempts are in flight when the worker is killed.
    receiver.setFaults({ status: 503, probability: 0.3, delayMs: 30 });
    const ids = await createCustomers(stack, Array.from({ length: 40 }, (_, i) => customerInput('order', i)));
    const first = stack.spawnWorker({ WEBHOOK_CONCURRENCY: '4' });

    // Changes keep coming while events are delivered.
    for (let round = 0; round < 3; round++) {
      for (const id of ids) await updateCustomer(stack, id, { name: `Order Round ${round}` });
      await sleep(300);
    }
    await waitFor('some deliveries accepted', () => receiver.accepted('flaky').length >= 40);
    first.kill();
    expect((await first.exited).signal).toBe('SIGKILL');
    const acceptedAtKill = receiver.accepted('flaky').length;

    for (const id of ids.slice(0, 20)) await deactivateCustomer(stack, id);
    stack.spawnWorker();
    await waitUntilSettled(stack.db, 180_000);
    await waitFor('every delivery made', async () => (await pendingDeliveries(stack.db, endpoint.id)) === 0, 180_000);

    const all = await events(stack.db);
    const accepted = receiver.accepted('flaky');
    expect(accepted.length).toBeGreaterThan(acceptedAtKill);
    // Each customer: synced, at least one update, deactivated for the first 20.
    expect(all.filter((e) => e.type === 'customer.synced')).toHaveLength(40);
    expect(all.filter((e) => e.type === 'customer.deactivated')).toHaveLength(20);
    expect(receiver.received.some((r) => r.status === 503)).toBe(true);
    expect(receiver.received.every((r) => r.verified)).toBe(true);
    expect(orderProblems(all, accepted)).toEqual([]);
  });
});
