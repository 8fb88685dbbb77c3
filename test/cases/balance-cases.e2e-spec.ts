// Cases opened, followed and resolved by balance runs, through the real worker and the sandbox.
import request from 'supertest';
import { Stack, startStack } from '../support/stack';
import { ADMIN, ADMIN_ACTOR, act, getCase, insertMirror, listCases, seedCustomers, Seeded, startRun, waitForRun } from './cases-kit';

describe('cases from balance runs (e2e)', () => {
  let stack: Stack;
  let customers: Seeded[];

  beforeAll(async () => {
    stack = await startStack();
    customers = await seedCustomers(stack, 6);
    for (const c of customers) await stack.sandbox.control.setBalance(c.celarId, '100.00');
    // Deactivated here (as by an earlier sync), still holding money at Celar.
    await stack.db.query(`UPDATE customers SET is_active = false, deactivated_at = now() WHERE id = ANY($1::uuid[])`, [
      [customers[0].id, customers[1].id],
    ]);
  });

  afterAll(async () => {
    await stack?.close();
  });

  const casesOf = async (customerId: string) => listCases(stack, `?customer_id=${customerId}&limit=100`);

  it('opens a deactivated_with_balance case on the first fetch, with its currency, and no case for a first balance', async () => {
    const run = await waitForRun(stack, (await startRun(stack, 'balances')).id);
    expect(run.status).toBe('completed');
    const [held] = await casesOf(customers[0].id);
    expect(held).toMatchObject({
      kind: 'deactivated_with_balance',
      status: 'open',
      celar_id: customers[0].celarId,
      field: 'balance',
      expected: '0',
      actual: '100.00',
      currency: 'USDC',
      occurrence_count: 1,
      first_run_id: run.id,
      last_run_id: run.id,
      resolution: null,
    });
    expect(await casesOf(customers[2].id)).toEqual([]);
    const detail = await getCase(stack, held.id);
    expect(detail.events).toEqual([{ at: expect.any(String), action: 'opened', actor: `run:${run.id}`, note: null, run_id: run.id }]);
  });

  it('updates the same case on the next run instead of opening another, keeping its status', async () => {
    const [before] = await casesOf(customers[0].id);
    expect((await act(stack, before.id, 'acknowledge', { note: 'finance is on it' })).status).toBe(200);
    await stack.sandbox.control.setBalance(customers[0].celarId, '80.50');
    const run = await waitForRun(stack, (await startRun(stack, 'balances')).id);
    const after = await casesOf(customers[0].id);
    expect(after).toHaveLength(1);
    expect(after[0]).toMatchObject({ id: before.id, status: 'acknowledged', occurrence_count: 2, last_run_id: run.id, actual: '80.50', first_seen_at: before.first_seen_at });
    expect(Date.parse(after[0].last_seen_at)).toBeGreaterThan(Date.parse(before.last_seen_at));
    const events = (await getCase(stack, before.id)).events!.map((e) => [e.action, e.actor]);
    expect(events).toEqual([
      ['opened', expect.stringMatching(/^run:/)],
      ['acknowledged', ADMIN_ACTOR],
      ['seen', `run:${run.id}`],
    ]);
  });

  it('a partial run opens balance_fetch_failed for the customer it could not check, and resolves nothing', async () => {
    const victim = customers[3];
    await stack.sandbox.control.setBalance(customers[1].celarId, '0');
    const fault = await stack.sandbox.control.addFault({ kind: 'error', status: 503, method: 'GET', path: `/customers/${victim.celarId}/balance` });
    const run = await waitForRun(stack, (await startRun(stack, 'balances')).id);
    await stack.sandbox.control.removeFault(fault.id);
    expect(run.status).toBe('partial');
    const [failed] = await casesOf(victim.id);
    expect(failed).toMatchObject({ kind: 'balance_fetch_failed', status: 'open', first_run_id: run.id });
    // customers[1] no longer holds money, but a partial run never resolves.
    const [held] = await casesOf(customers[1].id);
    expect(held).toMatchObject({ kind: 'deactivated_with_balance', status: 'open', resolution: null });
  });

  it('a completed run resolves (auto) the open and acknowledged cases it no longer sees; an accepted case stays accepted', async () => {
    const [accepted] = await casesOf(customers[0].id);
    expect((await act(stack, accepted.id, 'accept', { note: 'court order: funds frozen' })).status).toBe(200);
    await stack.sandbox.control.setBalance(customers[0].celarId, '0');
    const run = await waitForRun(stack, (await startRun(stack, 'balances')).id);
    expect(run.status).toBe('completed');

    const [failed] = await casesOf(customers[3].id);
    expect(failed).toMatchObject({ status: 'resolved', resolution: 'auto' });
    const [gone] = await casesOf(customers[1].id);
    expect(gone).toMatchObject({ status: 'resolved', resolution: 'auto' });
    expect((await getCase(stack, gone.id)).events!.at(-1)).toMatchObject({ action: 'resolved', actor: `run:${run.id}`, run_id: run.id });
    expect((await getCase(stack, accepted.id)).status).toBe('accepted');
  });

  it('opens a new case when a resolved break comes back, and refuses to reopen the old one while the new one is live', async () => {
    const [old] = await casesOf(customers[1].id);
    await stack.sandbox.control.setBalance(customers[1].celarId, '5');
    await waitForRun(stack, (await startRun(stack, 'balances')).id);
    const both = await casesOf(customers[1].id);
    expect(both.map((c) => c.status)).toEqual(['resolved', 'open']);
    expect(both[0].id).toBe(old.id);
    const reopen = await act(stack, old.id, 'reopen');
    expect(reopen.status).toBe(409);
    expect(reopen.body.error.code).toBe('invalid_transition');
  });

  it('counts cases in the summary by kind and age, with the last runs and the totals of the last completed balance run', async () => {
    await stack.db.query(`UPDATE reconciliation_cases SET first_seen_at = now() - interval '4 days' WHERE customer_id = $1`, [customers[1].id]);
    const res = await request(stack.http).get('/api/v1/admin/summary').set(ADMIN);
    expect(res.status).toBe(200);
    const body = res.body;
    expect(body.customers).toEqual({ total: 6, active: 4, pending: 0, synced: 6, failed: 0 });
    expect(body.outbox).toEqual({ pending: 0, oldest_pending_age_s: null });
    // customers[1]: the new open case (4 days: both of its cases moved back, only the live one counts); customers[0]: accepted, not counted.
    expect(body.cases).toMatchObject({ open: 1, acknowledged: 0, by_age: { lt_1d: 0, '1d_3d': 0, '3d_7d': 1, gt_7d: 0 } });
    expect(body.cases.by_kind).toMatchObject({ deactivated_with_balance: 1, balance_fetch_failed: 0, field_drift: 0 });
    expect(body.last_runs.balances).toMatchObject({ kind: 'balances', status: 'completed' });
    expect(body.last_runs.records).toBeNull();
    // customers[2..5] hold 100.00 each, customers[0] 0, customers[1] 5.
    expect(body.totals).toEqual([{ currency: 'USDC', total: '405.00' }]);
  });

  it('keeps a case for a customer unknown here by its celar_id', async () => {
    // A mirror row whose celar_id Celar does not know: a missing_upstream case, keyed by our id.
    const ghost = { id: '00000000-0000-4000-8000-00000000beef', celarId: 'cr_0000000beef0', email: 'ghost.cases@example.com' };
    await insertMirror(stack.db, [ghost]);
    const run = await waitForRun(stack, (await startRun(stack, 'balances')).id);
    const [missing] = await listCases(stack, `?customer_id=${ghost.celarId}`);
    expect(missing).toMatchObject({ kind: 'missing_upstream', customer_id: ghost.id, celar_id: ghost.celarId, first_run_id: run.id });
  });
});
