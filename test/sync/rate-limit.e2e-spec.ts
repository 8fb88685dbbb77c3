import { SandboxRequestLogEntry } from '@app/testing';
import { Stack, startStack } from '../support/stack';
import { compareWithUpstream, createCustomers, customerInput, duplicateEmails, mirror, updateCustomer, waitUntilSettled } from './sync-kit';

/** The most requests the sandbox saw in any window of `ms`. */
function busiestWindow(entries: SandboxRequestLogEntry[], ms: number): number {
  const times = entries.map((e) => Date.parse(e.at)).sort((a, b) => a - b);
  let most = 0;
  for (let start = 0, end = 0; end < times.length; end++) {
    while (times[end] - times[start] >= ms) start++;
    most = Math.max(most, end - start + 1);
  }
  return most;
}

// Celar's rate limit is not documented: the service keeps a global budget of requests per
// second, shared by every worker through Redis, and slows down when Celar says 429.
describe('Celar request budget', () => {
  let stack: Stack;

  afterEach(async () => {
    await stack?.close();
  });

  it('under a sandbox rate limit, two workers together keep to the budget and finish', async () => {
    const budget = 8;
    // Few drains per worker: with this budget most would only wait, each holding a connection.
    // Two workers: the budget is shared, not per worker.
    stack = await startStack({ env: { CELAR_REQUESTS_PER_SECOND: String(budget), SYNC_CONCURRENCY: '4' }, workers: 2 });
    await stack.sandbox.control.setRateLimit(12);
    // Creates go in bulk calls; each customer's update is a PATCH of its own: 50+ requests.
    const ids = await createCustomers(stack, Array.from({ length: 50 }, (_, i) => customerInput('budget', i)));
    for (let i = 0; i < 50; i++) await updateCustomer(stack, ids[i], { name: `Budget ${i}` });
    await waitUntilSettled(stack.db, 120_000);

    const rows = await mirror(stack.db);
    expect(rows.map((r) => r.sync_status)).toEqual(Array(50).fill('synced'));
    const upstream = await stack.sandbox.control.customers();
    expect(duplicateEmails(upstream)).toEqual([]);
    expect(compareWithUpstream(rows, upstream)).toEqual([]);
    const log = await stack.sandbox.control.requestLog();
    expect(log.length).toBeGreaterThanOrEqual(50);
    // At the budget overall. Over shorter spans, arrival times jitter: the sandbox, the API and
    // both workers share this process's event loop, so a stall delivers a few requests together.
    const times = log.map((e) => Date.parse(e.at)).sort((x, y) => x - y);
    expect((times.length - 1) / ((times[times.length - 1] - times[0]) / 1000)).toBeLessThanOrEqual(budget * 1.05);
    expect(busiestWindow(log, 3000)).toBeLessThanOrEqual(3 * budget + 3);
    expect((await stack.sandbox.control.stats()).rateLimited).toBe(0);
  }, 180_000);

  it('when Celar allows less than the budget, 429s slow every worker down and everything still lands once', async () => {
    // Sixteen drains ask far more than Celar's 10 a second, even on a busy machine.
    stack = await startStack({ env: { CELAR_REQUESTS_PER_SECOND: '50', SYNC_CONCURRENCY: '8' }, workers: 0 });
    await stack.sandbox.control.setRateLimit(10, 5);
    // Creates go in bulk calls; each customer's update is a PATCH of its own. All of it is
    // waiting when the two workers start, so they ask Celar faster than it allows.
    const ids = await createCustomers(stack, Array.from({ length: 40 }, (_, i) => customerInput('slow', i)));
    for (let i = 0; i < 40; i++) await updateCustomer(stack, ids[i], { name: `Slow ${i}` });
    await stack.startWorker();
    await stack.startWorker();
    await waitUntilSettled(stack.db, 120_000);

    const rows = await mirror(stack.db);
    expect(rows.map((r) => r.sync_status)).toEqual(Array(40).fill('synced'));
    const upstream = await stack.sandbox.control.customers();
    expect(upstream).toHaveLength(40);
    expect(duplicateEmails(upstream)).toEqual([]);
    expect(compareWithUpstream(rows, upstream)).toEqual([]);
    const stats = await stack.sandbox.control.stats();
    expect(stats.rateLimited).toBeGreaterThan(0);
    // Backing off by Retry-After, not hammering: fewer refusals than calls answered.
    expect(stats.rateLimited).toBeLessThan(stats.requestsTotal - stats.rateLimited);
  }, 180_000);
});
