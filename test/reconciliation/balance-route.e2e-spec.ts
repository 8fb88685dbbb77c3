// GET /api/v1/customers/:id/balance: the stored value, ?refresh=true, and its errors.
import request from 'supertest';
import { randomUUID } from 'node:crypto';
import { Stack, startStack } from '../support/stack';
import { insertMirror, Seeded, seedCustomers, startRun, waitForRun } from './reconciliation-kit';
import { ADMIN_AUTH, APP_AUTH } from '@app/testing';

describe('GET /customers/:id/balance (e2e)', () => {
  let stack: Stack;
  let customer: Seeded;
  let other: Seeded;

  beforeAll(async () => {
    // No worker: runs are not needed except where a test starts one itself.
    stack = await startStack({ workers: 0, workerRuns: 'reconciliation' });
    [customer, other] = await seedCustomers(stack, 2);
  });

  afterAll(async () => {
    await stack?.close();
  });

  afterEach(async () => {
    await stack.sandbox.control.clearFaults();
  });

  const balance = (id: string, query = '', auth = APP_AUTH) => request(stack.http).get(`/api/v1/customers/${id}/balance${query}`).set(auth);

  it('answers null balance and as_of before any fetch, without calling Celar', async () => {
    const since = await stack.sandbox.control.clearRequestLog();
    const res = await balance(customer.id).expect(200);
    expect(res.body).toEqual({ customer_id: customer.id, balance: null, currency: null, as_of: null });
    expect(await stack.sandbox.control.requestLog({ since })).toEqual([]);
  });

  it('fetches and stores it now with ?refresh=true, exactly, then serves the stored value', async () => {
    await stack.sandbox.control.setBalance(customer.celarId, '123456789012.123456');
    const before = Date.now();
    const res = await balance(customer.id, '?refresh=true').expect(200);
    expect(res.body).toEqual({ customer_id: customer.id, balance: '123456789012.123456', currency: 'USDC', as_of: expect.any(String) });
    expect(Date.parse(res.body.as_of)).toBeGreaterThanOrEqual(before - 1000);

    // Celar changes; a plain read still serves what we stored, without asking Celar.
    await stack.sandbox.control.setBalance(customer.celarId, '1.000001');
    const since = await stack.sandbox.control.clearRequestLog();
    const stored = await balance(customer.id).expect(200);
    expect(stored.body).toEqual(res.body);
    expect(await stack.sandbox.control.requestLog({ since })).toEqual([]);

    // A refresh records the change in the history, with no run.
    const refreshed = await balance(customer.id, '?refresh=true').expect(200);
    expect(refreshed.body.balance).toBe('1.000001');
    const { rows } = await stack.db.query(
      `SELECT balance::text, previous_balance::text, delta::text, run_id FROM balance_history WHERE customer_id = $1 ORDER BY id`,
      [customer.id],
    );
    expect(rows).toEqual([
      { balance: '123456789012.123456', previous_balance: null, delta: null, run_id: null },
      { balance: '1.000001', previous_balance: '123456789012.123456', delta: '-123456789011.123455', run_id: null },
    ]);
  });

  it('serves the value a run stored, by our id or by celar_id', async () => {
    await stack.sandbox.control.setBalance(other.celarId, '0.000001');
    await stack.startWorker();
    try {
      await waitForRun(stack, (await startRun(stack, 'balances')).id);
    } finally {
      await stack.stopWorkers();
    }
    const byOurs = await balance(other.id).expect(200);
    expect(byOurs.body).toEqual({ customer_id: other.id, balance: '0.000001', currency: 'USDC', as_of: expect.any(String) });
    const byCelar = await balance(other.celarId, '', ADMIN_AUTH).expect(200);
    expect(byCelar.body).toEqual(byOurs.body);
  });

  it('answers 409 not_created_upstream to a refresh of a customer Celar does not have yet', async () => {
    const pending = { id: randomUUID(), celarId: null, email: `pending.${randomUUID()}@example.com` };
    await insertMirror(stack.db, [pending]);
    const res = await balance(pending.id, '?refresh=true').expect(409);
    expect(res.body.error.code).toBe('not_created_upstream');
    const plain = await balance(pending.id).expect(200);
    expect(plain.body).toEqual({ customer_id: pending.id, balance: null, currency: null, as_of: null });
  });

  it('answers 404 for an unknown customer', async () => {
    for (const id of [randomUUID(), 'cr_0123456789ab', 'nobody']) {
      const res = await balance(id).expect(404);
      expect(res.body.error.code).toBe('not_found');
    }
  });

  it('refuses bad parameters', async () => {
    for (const query of ['?refresh=yes', '?refresh=1', '?fresh=true']) {
      const res = await balance(customer.id, query).expect(400);
      expect(res.body.error.code).toBe('validation_failed');
    }
  });

  it('answers 503 when Celar cannot be asked, and keeps the stored value', async () => {
    const stored = (await balance(customer.id).expect(200)).body;
    await stack.sandbox.control.addFault({ kind: 'error', status: 503, path: `/customers/${customer.celarId}/balance` });
    const res = await balance(customer.id, '?refresh=true').expect(503);
    expect(res.body.error.code).toBe('celar_unavailable');
    expect((await balance(customer.id).expect(200)).body).toEqual(stored);
  });

  it('needs an API key', async () => {
    await request(stack.http).get(`/api/v1/customers/${customer.id}/balance`).expect(401);
  });

  it('limits ?refresh=true to a few calls a minute per API key: 429 with Retry-After past them, other keys unaffected', async () => {
    const second = { Authorization: 'Bearer test_app_key_2' };
    for (let i = 0; i < 6; i++) await balance(other.id, '?refresh=true', second).expect(200);
    const since = await stack.sandbox.control.clearRequestLog();
    const refused = await balance(other.id, '?refresh=true', second).expect(429);
    expect(refused.body).toEqual({ error: { code: 'rate_limited', message: expect.stringMatching(/balance refreshes a minute/) } });
    expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(Number(refused.headers['retry-after'])).toBeLessThanOrEqual(60);
    // Refused before Celar was asked: it cost nothing from the shared budget.
    expect(await stack.sandbox.control.requestLog({ since })).toEqual([]);
    // Plain reads are not limited, and another key still has its own allowance.
    await balance(other.id, '', second).expect(200);
    await balance(other.id, '?refresh=true', APP_AUTH).expect(200);
  });
});
