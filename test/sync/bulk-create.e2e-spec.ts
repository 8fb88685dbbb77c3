import { SandboxRequestLogEntry } from '@app/testing';
import { Stack, startStack } from '../support/stack';
import { compareWithUpstream, createCustomers, customerInput, duplicateEmails, mirror, waitUntilSettled } from './sync-kit';

/** The POST /customers calls Celar saw, and how many customers each one carried. */
function createCalls(log: SandboxRequestLogEntry[]): { entry: SandboxRequestLogEntry; items: number }[] {
  return log
    .filter((e) => e.method === 'POST' && e.path.endsWith('/customers'))
    .map((entry) => ({ entry, items: Array.isArray(entry.body) ? entry.body.length : 1 }));
}

/** Celar ids created per acted POST, flattened: each customer should appear exactly once. */
function createdIds(log: SandboxRequestLogEntry[]): string[] {
  return createCalls(log)
    .filter(({ entry }) => entry.acted)
    .flatMap(({ entry }) => entry.customerIds);
}

function bodyEmails(entry: SandboxRequestLogEntry): string[] {
  const items = (Array.isArray(entry.body) ? entry.body : [entry.body]) as { email?: string }[];
  return items.map((item) => String(item.email).toLowerCase());
}

// Creates pending together go to Celar in bulk calls (up to 100 customers each), and every
// guarantee of single creates still holds: exactly once, refusals fail only the refused customer.
describe('bulk creates', () => {
  let stack: Stack;

  afterEach(async () => {
    await stack?.close();
  });

  it('300 creates accepted before the worker starts reach Celar once each, in a handful of bulk calls', async () => {
    // A create sent twice would show as two customers upstream.
    stack = await startStack({ env: { SYNC_CONCURRENCY: '8' }, workers: 0, sandbox: { settings: { ignoreIdempotencyKeys: true, allowDuplicateEmails: true } } });
    const count = 300;
    await createCustomers(stack, Array.from({ length: count }, (_, i) => customerInput('bulk', i)));
    await stack.startWorker();
    await waitUntilSettled(stack.db, 180_000);

    const rows = await mirror(stack.db);
    expect(rows.map((r) => r.sync_status)).toEqual(Array(count).fill('synced'));
    const upstream = await stack.sandbox.control.customers();
    expect(upstream).toHaveLength(count);
    expect(duplicateEmails(upstream)).toEqual([]);
    expect(compareWithUpstream(rows, upstream)).toEqual([]);

    const log = await stack.sandbox.control.requestLog();
    const calls = createCalls(log);
    // Every customer was created by exactly one call that Celar acted on.
    const ids = createdIds(log);
    expect(new Set(ids).size).toBe(count);
    expect(ids).toHaveLength(count);
    expect(Math.max(...calls.map((c) => c.items))).toBeLessThanOrEqual(100);
    const perCustomer = calls.length / count;
    console.log(`bulk creates: ${calls.length} POST /customers for ${count} customers (${perCustomer.toFixed(3)} per customer), sizes ${calls.map((c) => c.items).join(',')}`);
    expect(perCustomer).toBeLessThanOrEqual(0.1);
  }, 240_000);

  it('a bulk with 2 refused customers among 50: those 2 fail with Celar\'s reason, the other 48 are synced once', async () => {
    const reason = 'the tax id could not be verified';
    const refused = [7, 31].map((i) => String(customerInput('refuse', i).email));
    stack = await startStack({
      env: { SYNC_CONCURRENCY: '8' },
      workers: 0,
      sandbox: { settings: { ignoreIdempotencyKeys: true, allowDuplicateEmails: true } },
      faults: [{ kind: 'reject', method: 'POST', email: refused, message: reason }],
    });
    const count = 50;
    await createCustomers(stack, Array.from({ length: count }, (_, i) => customerInput('refuse', i)));
    await stack.startWorker();
    await waitUntilSettled(stack.db, 120_000);

    const rows = await mirror(stack.db);
    const failed = rows.filter((r) => r.sync_status === 'failed');
    expect(failed.map((r) => r.email).sort()).toEqual([...refused].sort());
    for (const row of failed) {
      expect(row.sync_error).toMatchObject({ code: 'customer_rejected', message: reason });
      expect(row.celar_id).toBeNull();
    }
    const synced = rows.filter((r) => r.sync_status === 'synced');
    expect(synced).toHaveLength(count - 2);
    const upstream = await stack.sandbox.control.customers();
    expect(upstream).toHaveLength(count - 2);
    expect(duplicateEmails(upstream)).toEqual([]);
    expect(compareWithUpstream(synced, upstream)).toEqual([]);

    const calls = createCalls(await stack.sandbox.control.requestLog());
    // Each refused customer was isolated: sent alone, and refused alone.
    for (const email of refused) {
      const alone = calls.filter(({ entry, items }) => items === 1 && bodyEmails(entry).includes(email));
      expect(alone.map(({ entry }) => entry.status)).toContain(400);
    }
    // The refused bulk was not undone item by item: far fewer calls than customers.
    expect(calls.some(({ entry, items }) => items > 1 && entry.status === 400)).toBe(true);
    expect(calls.length).toBeLessThan(count / 2);
  }, 180_000);

  it('a bulk whose outcome is unknown (acted, then 500 or a cut connection) is looked up once, not resent: no duplicates', async () => {
    stack = await startStack({
      env: { SYNC_CONCURRENCY: '2' },
      workers: 0,
      sandbox: { settings: { ignoreIdempotencyKeys: true, allowDuplicateEmails: true } },
      faults: [
        { kind: 'act_then_error', method: 'POST', path: '/customers', status: 500, count: 1 },
        { kind: 'act_then_drop', method: 'POST', path: '/customers', count: 1 },
      ],
    });
    const count = 200;
    await createCustomers(stack, Array.from({ length: count }, (_, i) => customerInput('unsure', i)));
    await stack.startWorker();
    await waitUntilSettled(stack.db, 120_000);

    const rows = await mirror(stack.db);
    expect(rows.map((r) => r.sync_status)).toEqual(Array(count).fill('synced'));
    const upstream = await stack.sandbox.control.customers();
    expect(duplicateEmails(upstream)).toEqual([]);
    expect(upstream).toHaveLength(count);
    expect(compareWithUpstream(rows, upstream)).toEqual([]);

    const log = await stack.sandbox.control.requestLog();
    const calls = createCalls(log);
    const faulted = calls.filter(({ entry }) => entry.outcome === 'fault:act_then_error' || entry.outcome === 'fault:act_then_drop');
    expect(faulted.map(({ entry }) => entry.outcome).sort()).toEqual(['fault:act_then_drop', 'fault:act_then_error']);
    // Celar acted on both before failing: their customers were adopted, never sent again.
    const ids = createdIds(log);
    expect(ids).toHaveLength(count);
    expect(new Set(ids).size).toBe(count);
    // One scan of Celar's list per batch in doubt, not one per customer.
    const unsure = faulted.reduce((n, { items }) => n + items, 0);
    const listReads = log.filter((e) => e.method === 'GET' && e.path.endsWith('/customers')).length;
    console.log(`uncertain bulk creates: ${unsure} customers in doubt, ${listReads} list pages read`);
    expect(listReads).toBeGreaterThan(0);
    expect(listReads).toBeLessThanOrEqual(20);
  }, 180_000);
});
