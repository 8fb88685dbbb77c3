import request from 'supertest';
import { TEST_APP_KEY } from '@app/testing';
import { Stack, startStack } from '../support/stack';
import {
  compareWithUpstream,
  createCustomers,
  customerInput,
  deactivateCustomer,
  mirror,
  resyncCustomer,
  seedUpstream,
  sleep,
  updateCustomer,
  waitUntilSettled,
} from './sync-kit';

// What Celar may answer that is neither a plain success nor a plain error: a 409 because it
// already holds an email (alone and inside a bulk), success bodies without the customer, and an
// error that never ends. Each must end in success, `failed`, or a wait that backs off, which the
// number of calls Celar sees shows.
describe('refusals and odd answers', () => {
  let stack: Stack;

  beforeAll(async () => {
    // Celar enforces unique emails (the sandbox's default) and ignores idempotency keys.
    stack = await startStack({ env: { CELAR_SETTLE_MS: '1000' }, sandbox: { settings: { ignoreIdempotencyKeys: true, kycStatus: true, nameParts: true } } });
  });

  afterAll(async () => {
    await stack?.close();
  });

  async function postsFor(email: string): Promise<number> {
    const log = await stack.sandbox.control.requestLog({ method: 'POST', path: '/api/v1/customers' });
    return log.filter((e) => JSON.stringify(e.body).toLowerCase().includes(`"${email.toLowerCase()}"`)).length;
  }

  it('a create whose email Celar already holds fails as upstream_conflict, alone or in a bulk, and never loops', async () => {
    // Another client created these two upstream first.
    await seedUpstream(stack, 2, 'taken');
    const taken = [customerInput('taken', 0), customerInput('taken', 1)];
    const seeded = [await postsFor(taken[0].email as string), await postsFor(taken[1].email as string)];
    await createCustomers(stack, [taken[0]]);
    await createCustomers(stack, [...Array.from({ length: 10 }, (_, i) => customerInput('innocent', i)), taken[1]]);

    await waitUntilSettled(stack.db, 60_000);
    const rows = await mirror(stack.db);
    const failed = rows.filter((r) => r.sync_status === 'failed');
    expect(failed.map((r) => r.email).sort()).toEqual(taken.map((t) => t.email as string).sort());
    for (const row of failed) {
      expect(row.sync_error?.code).toBe('upstream_conflict');
      expect(row.sync_error?.message).toMatch(/email/i);
      expect(row.celar_id).toBeNull();
    }
    expect(rows.filter((r) => r.email.startsWith('innocent-')).every((r) => r.sync_status === 'synced')).toBe(true);

    // No loop: each went out at most twice (in a bulk Celar refused whole, then alone), and a
    // while later Celar has seen no more creates for them.
    const seen = [await postsFor(taken[0].email as string), await postsFor(taken[1].email as string)];
    expect(seen[0] - seeded[0]).toBeGreaterThanOrEqual(1);
    expect(seen[0] - seeded[0]).toBeLessThanOrEqual(2);
    expect(seen[1] - seeded[1]).toBeGreaterThanOrEqual(1);
    expect(seen[1] - seeded[1]).toBeLessThanOrEqual(2);
    await sleep(3000);
    expect([await postsFor(taken[0].email as string), await postsFor(taken[1].email as string)]).toEqual(seen);

    // A change to a failed customer is accepted and held; a re-sync tries again and fails the same way, once.
    const [one] = failed;
    const before = await postsFor(one.email);
    await updateCustomer(stack, one.id, { name: 'Still Mine' });
    await deactivateCustomer(stack, one.id);
    await resyncCustomer(stack, one.id);
    await waitUntilSettled(stack.db, 60_000);
    const again = (await mirror(stack.db)).find((r) => r.id === one.id)!;
    expect(again.sync_status).toBe('failed');
    expect(again.sync_error?.code).toBe('upstream_conflict');
    expect(await postsFor(one.email)).toBe(before + 1);
  }, 120_000);

  it.each(['no_content', 'empty', 'message'] as const)('PATCH and DELETE answered %s are successes: one call each, our values kept', async (mutationBody) => {
    await stack.sandbox.control.setSettings({ mutationBody: 'customer' });
    const [id] = await createCustomers(stack, [customerInput(`body-${mutationBody}`, 0)]);
    await waitUntilSettled(stack.db, 30_000);
    await stack.sandbox.control.setSettings({ mutationBody });
    await updateCustomer(stack, id, { name: `Renamed ${mutationBody}` });
    await waitUntilSettled(stack.db, 30_000);
    await deactivateCustomer(stack, id);
    await waitUntilSettled(stack.db, 30_000);

    const row = (await mirror(stack.db)).find((r) => r.id === id)!;
    expect(row.sync_status).toBe('synced');
    expect(row.name).toBe(`Renamed ${mutationBody}`);
    expect(row.is_active).toBe(false);
    const upstream = await stack.sandbox.control.customers();
    expect(compareWithUpstream([row], upstream)).toEqual([]);
    const calls = await stack.sandbox.control.requestLog({ customerId: row.celar_id! });
    expect(calls.filter((e) => e.method === 'PATCH')).toHaveLength(1);
    expect(calls.filter((e) => e.method === 'DELETE')).toHaveLength(1);
  }, 60_000);

  it("mirrors Celar's kyc_status and keeps its extra fields", async () => {
    await stack.sandbox.control.setSettings({ mutationBody: 'customer' });
    const [id] = await createCustomers(stack, [customerInput('kyc', 0)]);
    await waitUntilSettled(stack.db, 30_000);
    const res = await request(stack.http).get(`/api/v1/customers/${id}`).set('Authorization', `Bearer ${TEST_APP_KEY}`).expect(200);
    expect(res.body.kyc_status).toBe('pending');
    const row = (await mirror(stack.db)).find((r) => r.id === id)!;
    expect(row.celar_raw).toMatchObject({ first_name: 'Customer', kyc_status: 'pending' });
  }, 60_000);

  it('an error that never ends is retried with waits that grow, not in a tight loop', async () => {
    const [id] = await createCustomers(stack, [customerInput('stuck', 0)]);
    await waitUntilSettled(stack.db, 30_000);
    const row = (await mirror(stack.db)).find((r) => r.id === id)!;
    await stack.sandbox.control.addFault({ kind: 'error', status: 503, method: 'PATCH', path: `/customers/${row.celar_id}` });
    await updateCustomer(stack, id, { name: 'Never Lands' });
    await sleep(8000);

    const patches = (await stack.sandbox.control.requestLog({ method: 'PATCH', customerId: row.celar_id! })).sort((a, b) => a.seq - b.seq);
    // A 503 may have acted: each retry waits the settle time (1 s) at least, and reads back first.
    expect(patches.length).toBeGreaterThan(1);
    expect(patches.length).toBeLessThanOrEqual(8);
    for (let i = 1; i < patches.length; i++) expect(Date.parse(patches[i].at) - Date.parse(patches[i - 1].at)).toBeGreaterThanOrEqual(1000);
    const now = (await mirror(stack.db)).find((r) => r.id === id)!;
    expect(now.sync_status).toBe('pending');

    await stack.sandbox.control.clearFaults();
    await waitUntilSettled(stack.db, 60_000);
    const upstream = await stack.sandbox.control.customers();
    expect(compareWithUpstream([(await mirror(stack.db)).find((r) => r.id === id)!], upstream)).toEqual([]);
  }, 120_000);

  it('a create waits while another customer of ours still holds its email at Celar (deactivated or renamed here first)', async () => {
    // Celar keeps active emails unique: sending the new customer first would be refused (409).
    const [gone, renamed] = await createCustomers(stack, [customerInput('handover', 0), customerInput('handover', 1)]);
    await waitUntilSettled(stack.db, 30_000);
    await stack.sandbox.control.addFaults([
      { kind: 'latency', method: 'DELETE', latencyMs: 800 },
      { kind: 'latency', method: 'PATCH', latencyMs: 800 },
    ]);
    await deactivateCustomer(stack, gone);
    await updateCustomer(stack, renamed, { email: 'handover-1-new@example.com' });
    const [heir1, heir2] = await createCustomers(stack, [customerInput('handover', 0), customerInput('handover', 1)]);
    await waitUntilSettled(stack.db, 60_000);
    await stack.sandbox.control.clearFaults();

    const rows = (await mirror(stack.db)).filter((r) => [gone, renamed, heir1, heir2].includes(r.id));
    expect(rows.map((r) => [r.email, r.sync_status, r.sync_error?.code ?? null]).sort()).toEqual(
      [
        ['handover-0@example.com', 'synced', null],
        ['handover-0@example.com', 'synced', null],
        ['handover-1-new@example.com', 'synced', null],
        ['handover-1@example.com', 'synced', null],
      ].sort(),
    );
    const upstream = await stack.sandbox.control.customers();
    expect(compareWithUpstream(rows, upstream)).toEqual([]);
  }, 90_000);
});
