// Balance reconciliation against the sandbox: exact decimals, changes between runs, gaps.
import request from 'supertest';
import { Stack, startStack } from '../support/stack';
import { allFindings, insertMirror, Seeded, seedCustomers, startRun, trigger, waitForRun } from './reconciliation-kit';
import { ADMIN_AUTH } from '@app/testing';
import { randomUUID } from 'node:crypto';

describe('balance reconciliation (e2e)', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack({ workerRuns: 'reconciliation' });
  });

  afterAll(async () => {
    await stack?.close();
  });

  beforeEach(async () => {
    await stack.sandbox.control.clearFaults();
  });

  const EXACT = ['0', '0.000001', '1250.50', '123456789012.123456', '999999999999999999.999999', '0.10'];

  describe('a first run, then a second after some balances change', () => {
    let customers: Seeded[];
    let first: Awaited<ReturnType<typeof waitForRun>>;

    beforeAll(async () => {
      customers = await seedCustomers(stack, EXACT.length + 4);
      for (const [i, balance] of EXACT.entries()) await stack.sandbox.control.setBalance(customers[i].celarId, balance);
      const run = await startRun(stack, 'balances');
      first = await waitForRun(stack, run.id);
    });

    it('completes, checking every customer that exists upstream, with no findings for first balances', () => {
      expect(first.status).toBe('completed');
      expect(first.trigger).toBe('manual');
      expect(first.progress).toEqual({ done: customers.length, total: customers.length });
      expect(first.counts).toEqual({ customers_checked: customers.length, balances_changed: 0, findings: 0, errors: 0 });
      expect(first.findings).toEqual([]);
      expect(first.error).toBeNull();
      expect(first.finished_at).not.toBeNull();
    });

    it('sums the totals per currency exactly', () => {
      // 0 + 0.000001 + 1250.50 + 123456789012.123456 + 999999999999999999.999999 + 0.10, four customers at 0.00
      expect(first.totals).toEqual([{ currency: 'USDC', total: '1000000123456790262.723456' }]);
    });

    it('stores and serves every balance exactly as Celar gave it, with as_of', async () => {
      for (const [i, balance] of EXACT.entries()) {
        const res = await request(stack.http).get(`/api/v1/customers/${customers[i].id}/balance`).set(ADMIN_AUTH).expect(200);
        expect(res.body).toEqual({ customer_id: customers[i].id, balance, currency: 'USDC', as_of: expect.any(String) });
        expect(res.text).toContain(`"balance":"${balance}"`);
      }
      const { rows } = await stack.db.query(`SELECT balance::text AS balance FROM customer_balances WHERE customer_id = $1`, [customers[3].id]);
      expect(rows).toEqual([{ balance: '123456789012.123456' }]);
    });

    it('reports exactly the balances that changed on a second run, with exact deltas', async () => {
      await stack.sandbox.control.setBalance(customers[1].celarId, '0.000002');
      await stack.sandbox.control.setBalance(customers[3].celarId, '123456789012.123455');
      await stack.sandbox.control.setBalance(customers[7].celarId, '42.5');
      const run = await startRun(stack, 'balances');
      const second = await waitForRun(stack, run.id);

      expect(second.status).toBe('completed');
      expect(second.counts).toEqual({ customers_checked: customers.length, balances_changed: 3, findings: 3, errors: 0 });
      const findings = await allFindings(stack, run.id);
      const byCustomer = Object.fromEntries(findings.map((f) => [f.customer_id, f]));
      expect(Object.keys(byCustomer).sort()).toEqual([customers[1].id, customers[3].id, customers[7].id].sort());
      expect(byCustomer[customers[1].id]).toMatchObject({
        kind: 'balance_changed',
        run_id: run.id,
        celar_id: customers[1].celarId,
        field: 'balance',
        expected: '0.000001',
        actual: '0.000002',
        delta: '0.000001',
      });
      expect(byCustomer[customers[3].id]).toMatchObject({ expected: '123456789012.123456', actual: '123456789012.123455', delta: '-0.000001' });
      expect(byCustomer[customers[7].id]).toMatchObject({ expected: '0.00', actual: '42.5', delta: '42.50' });
      expect(second.totals).toEqual([{ currency: 'USDC', total: '1000000123456790305.223456' }]);

      // A history row for the baseline and for each change.
      const { rows } = await stack.db.query(
        `SELECT balance::text, previous_balance::text, delta::text, run_id FROM balance_history WHERE customer_id = $1 ORDER BY id`,
        [customers[3].id],
      );
      expect(rows).toEqual([
        { balance: '123456789012.123456', previous_balance: null, delta: null, run_id: first.id },
        { balance: '123456789012.123455', previous_balance: '123456789012.123456', delta: '-0.000001', run_id: run.id },
      ]);
    });
  });

  it('flags a deactivated customer still holding a balance, and covers it in the totals', async () => {
    const [holder] = await seedCustomers(stack, 1);
    await stack.sandbox.control.setBalance(holder.celarId, '10.25', 'EURC');
    await stack.db.query(`UPDATE customers SET is_active = false, deactivated_at = now() WHERE id = $1`, [holder.id]);
    const run = await waitForRun(stack, (await startRun(stack, 'balances')).id);
    const findings = (await allFindings(stack, run.id)).filter((f) => f.customer_id === holder.id);
    expect(findings).toEqual([
      expect.objectContaining({ kind: 'deactivated_with_balance', celar_id: holder.celarId, expected: '0', actual: '10.25' }),
    ]);
    expect(run.totals).toContainEqual({ currency: 'EURC', total: '10.25' });
  });

  it('ends partial when Celar fails for some customers, naming them; a customer Celar does not know is missing upstream', async () => {
    const customers = await seedCustomers(stack, 6);
    const ghost = { id: randomUUID(), celarId: 'cr_00000000dead', email: `ghost.${randomUUID()}@example.com` };
    await insertMirror(stack.db, [ghost]);
    for (const victim of [customers[1], customers[4]]) {
      await stack.sandbox.control.addFault({ kind: 'error', status: 503, method: 'GET', path: `/customers/${victim.celarId}/balance` });
    }
    const run = await waitForRun(stack, (await startRun(stack, 'balances')).id);

    expect(run.status).toBe('partial');
    expect(run.counts.errors).toBe(3);
    expect(run.error).toContain('3 customer(s) could not be checked');
    const findings = await allFindings(stack, run.id);
    const failed = findings.filter((f) => f.kind === 'balance_fetch_failed');
    expect(failed.map((f) => f.customer_id).sort()).toEqual([customers[1].id, customers[4].id].sort());
    expect(failed[0].message).toContain('503');
    expect(findings.filter((f) => f.kind === 'missing_upstream')).toEqual([
      expect.objectContaining({ customer_id: ghost.id, celar_id: ghost.celarId }),
    ]);
    // Retried before giving up (3 tries), and the others were checked.
    const log = await stack.sandbox.control.requestLog({ path: `/api/v1/customers/${customers[1].celarId}/balance` });
    expect(log.filter((e) => e.status === 503).length).toBe(3);
    expect(run.counts.customers_checked).toBe(run.progress.total - 3);
  });

  it('refuses a second trigger while a run is active, naming the active run', async () => {
    await seedCustomers(stack, 30);
    await stack.sandbox.control.addFault({ kind: 'latency', latencyMs: 200, path: '/customers/*/balance' });
    const first = await startRun(stack, 'balances');
    const again = await trigger(stack, 'balances').expect(409);
    expect(again.body.error.code).toBe('run_in_progress');
    expect(again.body.error.details[0].run_id).toBe(first.id);
    expect(again.body.error.message).toContain(first.id);

    // A records run is another kind: it may start meanwhile.
    const records = await trigger(stack, 'records').expect(202);
    await stack.sandbox.control.clearFaults();
    await waitForRun(stack, first.id);
    await waitForRun(stack, records.body.id);
    const { rows } = await stack.db.query(`SELECT count(*)::int AS n FROM reconciliation_runs WHERE kind = 'balances' AND created_at >= $1`, [
      first.created_at,
    ]);
    expect(rows[0].n).toBe(1);
    // Once it has ended, a new one may start.
    await waitForRun(stack, (await startRun(stack, 'balances')).id);
  });
});
