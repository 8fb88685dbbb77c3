import { SandboxRequestLogEntry } from '@app/testing';
import { Stack, startStack } from '../support/stack';
import { createCustomers, customerInput, deactivateCustomer, mirror, updateCustomer, waitUntilSettled } from './sync-kit';

// One customer's changes reach Celar in the order they were made, even with retries.
describe('per-customer order', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack({
      env: { SYNC_CONCURRENCY: '8' },
      workers: 2, // two worker processes' worth: order must hold across them
      faults: [
        { kind: 'latency', latencyMs: 15 },
        { kind: 'error', status: 503, probability: 0.15 },
        { kind: 'act_then_error', status: 502, probability: 0.05 },
      ],
    });
  });

  afterAll(async () => {
    await stack?.close();
  });

  it('create, two updates and a deactivation issued back to back reach Celar in that order, for 30 customers', async () => {
    const count = 30;
    await Promise.all(
      Array.from({ length: count }, async (_, i) => {
        const [id] = await createCustomers(stack, [customerInput('order', i)]);
        await updateCustomer(stack, id, { name: `First ${i}`, address: `1 First Street ${i}` });
        await updateCustomer(stack, id, { name: `Second ${i}` });
        await deactivateCustomer(stack, id);
      }),
    );
    await waitUntilSettled(stack.db, 120_000);

    const rows = await mirror(stack.db);
    expect(rows.map((r) => r.sync_status)).toEqual(Array(count).fill('synced'));
    const log = await stack.sandbox.control.requestLog();
    const mutations = log.filter((e) => e.method !== 'GET');
    for (const row of rows) {
      const i = Number(row.email.match(/order-(\d+)@/)![1]);
      const entries = mutations.filter((e) => e.customerIds.includes(row.celar_id!)).sort((a, b) => a.seq - b.seq);
      const acted = entries.filter((e) => e.acted);
      // Exactly one create; then the updates (possibly merged into one PATCH); then one deactivation.
      expect(acted.map((e) => e.method).join(' ')).toMatch(/^POST (PATCH )+DELETE$/);
      // Nothing was even attempted out of turn: no PATCH before the create took effect, no DELETE before the last PATCH did.
      const created = acted[0].seq;
      const lastPatch = acted[acted.length - 2].seq;
      expect(entries.filter((e) => e.method === 'PATCH' && e.seq < created)).toEqual([]);
      expect(entries.filter((e) => e.method === 'DELETE' && e.seq < lastPatch)).toEqual([]);
      // The updates applied in order: the first one alone or merged with the second, never the first after the second.
      const patches = acted.filter((e) => e.method === 'PATCH').map((e) => e.body as Record<string, unknown>);
      const first = { name: `First ${i}`, address: `1 First Street ${i}` };
      const merged = { name: `Second ${i}`, address: `1 First Street ${i}` };
      const names = patches.map((body) => {
        if (JSON.stringify(body) === JSON.stringify(first)) return 'first';
        if (JSON.stringify(body) === JSON.stringify(merged) || JSON.stringify(body) === JSON.stringify({ name: `Second ${i}` })) return 'second';
        return `unexpected ${JSON.stringify(body)}`;
      });
      expect(names.join(' ')).toMatch(/^(first )*second( second)*$/);
      expect(row).toMatchObject({ name: `Second ${i}`, address: `1 First Street ${i}`, is_active: false });
    }
    const upstream = await stack.sandbox.control.customers();
    expect(upstream).toHaveLength(count);
    for (const c of upstream) {
      expect(c.is_active).toBe(false);
      expect(c.name).toMatch(/^Second \d+$/);
      expect(c.address).toMatch(/^1 First Street \d+$/);
    }
    expect(log.some((e: SandboxRequestLogEntry) => e.outcome.startsWith('fault:'))).toBe(true);
  }, 180_000);
});
