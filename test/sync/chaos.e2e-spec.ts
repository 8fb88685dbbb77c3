import { Stack, startStack } from '../support/stack';
import { compareWithUpstream, createCustomers, customerInput, deactivateCustomer, duplicateEmails, mirror, updateCustomer, waitUntilSettled } from './sync-kit';

// Celar at its worst: errors before and after acting, cut connections, rate limits, and
// no idempotency: every change must still land exactly once, and the mirror must agree.
describe('sync under upstream faults', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack({
      // Duplicates allowed upstream, so a create sent twice would show as two customers.
      sandbox: { seed: 1234, settings: { ignoreIdempotencyKeys: true, allowDuplicateEmails: true } },
      faults: [
        { kind: 'latency', latencyMs: 10 },
        { kind: 'error', status: 503, probability: 0.2 },
        { kind: 'rate_limited', probability: 0.1, retryAfterSeconds: 1 },
        { kind: 'act_then_error', status: 500, probability: 0.1 },
        { kind: 'act_then_drop', probability: 0.05 },
        { kind: 'drop_before', probability: 0.05 },
      ],
    });
  });

  afterAll(async () => {
    await stack?.close();
  });

  it('200 creates, 50 updates and 20 deactivations converge: one upstream customer per email, upstream equals the mirror', async () => {
    const inputs = Array.from({ length: 200 }, (_, i) => customerInput('chaos', i));
    const ids = await createCustomers(stack, inputs);
    for (let i = 0; i < 50; i++) await updateCustomer(stack, ids[i], { name: `Updated ${i}`, address: `${i} Moi Avenue, Nairobi` });
    for (let i = 180; i < 200; i++) await deactivateCustomer(stack, ids[i]);

    await waitUntilSettled(stack.db, 240_000);

    const rows = await mirror(stack.db);
    expect(rows).toHaveLength(200);
    expect(rows.filter((r) => r.sync_status !== 'synced').map((r) => [r.email, r.sync_status, r.sync_error])).toEqual([]);
    const upstream = await stack.sandbox.control.customers();
    expect(duplicateEmails(upstream)).toEqual([]);
    expect(upstream).toHaveLength(200);
    expect(compareWithUpstream(rows, upstream)).toEqual([]);
    expect(rows.filter((r) => r.name.startsWith('Updated'))).toHaveLength(50);
    expect(upstream.filter((c) => !c.is_active)).toHaveLength(20);
    // The faults did strike (otherwise this test proves nothing).
    const { faultsFired } = await stack.sandbox.control.stats();
    for (const kind of ['error', 'rate_limited', 'act_then_error', 'act_then_drop', 'drop_before']) {
      expect(faultsFired[kind]).toBeGreaterThan(0);
    }
    // The mirror keeps what Celar answered.
    for (const row of rows) {
      expect(row.celar_raw).toMatchObject({ id: row.celar_id });
      expect(row.psp_id).toMatch(/^psp_[0-9a-f]{12}$/);
    }
  }, 300_000);
});
