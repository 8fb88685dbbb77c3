import { Stack, startStack } from '../support/stack';
import { compareWithUpstream, createCustomers, customerInput, mirror, resyncCustomer, updateCustomer, waitUntilSettled } from './sync-kit';

// Celar refuses 3 customers for good: they fail with Celar's reason, the others carry on,
// and an admin re-sync completes them once the cause is gone.
describe('permanent refusals', () => {
  let stack: Stack;
  const reason = 'tax id could not be verified';

  beforeAll(async () => {
    const refused = [3, 9, 14].map((i) => customerInput('refused', i).email as string);
    stack = await startStack({
      faults: [
        { kind: 'reject', method: 'POST', email: refused, message: reason },
        { kind: 'latency', latencyMs: 10 },
      ],
    });
  });

  afterAll(async () => {
    await stack?.close();
  });

  it('marks the 3 refused customers failed with the reason, syncs the other 17, and re-syncs the 3 once the fault is cleared', async () => {
    const ids = await createCustomers(stack, Array.from({ length: 20 }, (_, i) => customerInput('refused', i)));
    // Later changes of a refused customer wait behind its failed create.
    await updateCustomer(stack, ids[3], { name: 'Held Update' });
    await updateCustomer(stack, ids[4], { name: 'Fine Update' });
    await waitUntilSettled(stack.db, 60_000);

    let rows = await mirror(stack.db);
    const failed = rows.filter((r) => r.sync_status === 'failed');
    expect(failed.map((r) => r.email).sort()).toEqual(['refused-14@example.com', 'refused-3@example.com', 'refused-9@example.com']);
    for (const row of failed) {
      expect(row.sync_error).toMatchObject({ code: 'customer_rejected', message: reason });
      expect(row.celar_id).toBeNull();
    }
    expect(rows.filter((r) => r.sync_status === 'synced')).toHaveLength(17);
    let upstream = await stack.sandbox.control.customers();
    expect(upstream).toHaveLength(17);
    expect(compareWithUpstream(rows.filter((r) => r.sync_status === 'synced'), upstream)).toEqual([]);
    // The held update was not sent; the failed ones' operations are still recorded.
    const { rows: held } = await stack.db.query(
      `SELECT o.kind, o.status FROM customer_operations o WHERE o.customer_id = $1 ORDER BY seq`,
      [ids[3]],
    );
    expect(held).toEqual([
      { kind: 'create', status: 'failed' },
      { kind: 'update', status: 'pending' },
    ]);

    await stack.sandbox.control.clearFaults();
    for (const row of failed) await resyncCustomer(stack, row.id);
    await waitUntilSettled(stack.db, 60_000);

    rows = await mirror(stack.db);
    expect(rows.map((r) => r.sync_status)).toEqual(Array(20).fill('synced'));
    expect(rows.every((r) => r.sync_error === null)).toBe(true);
    upstream = await stack.sandbox.control.customers();
    expect(upstream).toHaveLength(20);
    expect(compareWithUpstream(rows, upstream)).toEqual([]);
    expect(upstream.find((c) => c.email === 'refused-3@example.com')?.name).toBe('Held Update');
  }, 150_000);
});
