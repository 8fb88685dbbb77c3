import request from 'supertest';
import { ADMIN_AUTH, APP_AUTH, ApiHarness, business, count, createCustomers, individual, operationsOf, startApi } from './api-test-kit';

let h: ApiHarness;

beforeAll(async () => {
  h = await startApi();
});

afterAll(() => h.close());

describe('PATCH /api/v1/customers/:id', () => {
  it('changes the customer and writes an update operation with seq 2 holding only the changed fields', async () => {
    const [customer] = await createCustomers(h, individual());
    await h.db.query(`UPDATE customers SET sync_status = 'synced', celar_id = 'cr_0123456789ab' WHERE id = $1`, [customer.id]);
    const patch = {
      name: 'Alice N. Wanjiku',
      address: '101 Moi Avenue, Nairobi',
      wallet_address: '0x5d3a536e4d6dbd6114cc1ead35777bab948e3643',
      document_type: 'id_card',
      email: 'alice.new@example.com',
    };
    const res = await request(h.http).patch(`/api/v1/customers/${customer.id}`).set(APP_AUTH).set('X-Request-Id', 'req-patch-1').send(patch);
    expect(res.status).toBe(202);
    expect(res.body).toEqual({
      message: 'Customer updated successfully',
      customer: { ...customer, ...patch, celar_id: 'cr_0123456789ab', sync_status: 'pending', updated_at: expect.any(String) },
    });
    const { rows } = await h.db.query(`SELECT updated_at > created_at AS touched FROM customers WHERE id = $1`, [customer.id]);
    expect(rows[0].touched).toBe(true);

    const ops = await operationsOf(h.db, customer.id);
    expect(ops.map((o) => [o.seq, o.kind])).toEqual([
      [1, 'create'],
      [2, 'update'],
    ]);
    expect(ops[1]).toEqual(expect.objectContaining({ payload: patch, status: 'pending', request_id: 'req-patch-1' }));
    expect(ops[1].idempotency_key).not.toBe(ops[0].idempotency_key);
    const get = await request(h.http).get(`/api/v1/customers/${customer.id}`).set(APP_AUTH).expect(200);
    expect(get.body).toEqual(res.body.customer);
  });

  it('finds the customer by celar_id too, and numbers each change in turn', async () => {
    const [customer] = await createCustomers(h, business());
    await h.db.query(`UPDATE customers SET celar_id = 'cr_bbbbbbbbbbbb' WHERE id = $1`, [customer.id]);
    await request(h.http).patch('/api/v1/customers/cr_bbbbbbbbbbbb').set(APP_AUTH).send({ name: 'Acme 2' }).expect(202);
    await request(h.http).patch(`/api/v1/customers/${customer.id}`).set(APP_AUTH).send({ address: 'Mombasa Road' }).expect(202);
    const ops = await operationsOf(h.db, customer.id);
    expect(ops.map((o) => [o.seq, o.kind, o.payload])).toEqual([
      [1, 'create', expect.any(Object)],
      [2, 'update', { name: 'Acme 2' }],
      [3, 'update', { address: 'Mombasa Road' }],
    ]);
    const { rows } = await h.db.query(`SELECT last_op_seq FROM customers WHERE id = $1`, [customer.id]);
    expect(rows[0].last_op_seq).toBe(3);
  });

  it("lets a customer keep its own email in another case", async () => {
    const [customer] = await createCustomers(h, individual({ email: 'own@example.com' }));
    const res = await request(h.http).patch(`/api/v1/customers/${customer.id}`).set(APP_AUTH).send({ email: 'OWN@example.com' }).expect(202);
    expect(res.body.customer.email).toBe('OWN@example.com');
  });

  it('keeps a failed customer failed: its change waits for a re-sync', async () => {
    const [customer] = await createCustomers(h, individual());
    await h.db.query(`UPDATE customers SET sync_status = 'failed' WHERE id = $1`, [customer.id]);
    const res = await request(h.http).patch(`/api/v1/customers/${customer.id}`).set(APP_AUTH).send({ name: 'Held' }).expect(202);
    expect(res.body.customer).toEqual(expect.objectContaining({ name: 'Held', sync_status: 'failed' }));
    expect((await operationsOf(h.db, customer.id)).map((o) => o.kind)).toEqual(['create', 'update']);
  });

  it('lets exactly one of two simultaneous patches take a free email', async () => {
    const [a, b] = await createCustomers(h, [individual(), individual()]);
    const results = await Promise.all([
      request(h.http).patch(`/api/v1/customers/${a.id}`).set(APP_AUTH).send({ email: 'contested@example.com' }),
      request(h.http).patch(`/api/v1/customers/${b.id}`).set(APP_AUTH).send({ email: 'contested@example.com' }),
    ]);
    expect(results.map((r) => r.status).sort()).toEqual([202, 409]);
    const { rows } = await h.db.query(`SELECT count(*)::int AS n FROM customers WHERE email = 'contested@example.com'`);
    expect(rows[0].n).toBe(1);
  });
});

describe('DELETE /api/v1/customers/:id', () => {
  it('deactivates at once and writes a deactivate operation; repeating it changes nothing and answers the same', async () => {
    const [customer] = await createCustomers(h, individual());
    await request(h.http).patch(`/api/v1/customers/${customer.id}`).set(APP_AUTH).send({ name: 'Before' }).expect(202);
    const first = await request(h.http).delete(`/api/v1/customers/${customer.id}`).set(APP_AUTH).expect(202);
    expect(first.body).toEqual({
      message: 'Customer deactivated successfully',
      customer: expect.objectContaining({ id: customer.id, is_active: false, name: 'Before', sync_status: 'pending' }),
    });
    const ops = await operationsOf(h.db, customer.id);
    expect(ops.map((o) => [o.seq, o.kind, o.payload])).toEqual([
      [1, 'create', expect.any(Object)],
      [2, 'update', { name: 'Before' }],
      [3, 'deactivate', {}],
    ]);
    const { rows } = await h.db.query(`SELECT deactivated_at FROM customers WHERE id = $1`, [customer.id]);
    expect(rows[0].deactivated_at).toBeInstanceOf(Date);

    const operations = await count(h.db, 'customer_operations');
    const again = await request(h.http).delete(`/api/v1/customers/${customer.id}`).set(APP_AUTH).expect(202);
    expect(again.body).toEqual(first.body);
    expect(await count(h.db, 'customer_operations')).toBe(operations);
  });
});

describe('POST /api/v1/customers/:id/sync', () => {
  it("puts a failed customer's failed operations back in line, keeping their last error", async () => {
    const [customer] = await createCustomers(h, individual());
    await request(h.http).patch(`/api/v1/customers/${customer.id}`).set(APP_AUTH).send({ name: 'Later' }).expect(202);
    const error = { code: 'rejected', message: 'Celar said no', status: 400, at: '2025-01-01T00:00:00.000Z' };
    await h.db.query(`UPDATE customer_operations SET enqueued_at = now() WHERE customer_id = $1`, [customer.id]);
    await h.db.query(`UPDATE customer_operations SET status = 'failed', last_error = $2 WHERE customer_id = $1 AND seq = 1`, [
      customer.id,
      JSON.stringify(error),
    ]);
    await h.db.query(`UPDATE customers SET sync_status = 'failed', sync_error = $2 WHERE id = $1`, [
      customer.id,
      JSON.stringify({ code: error.code, message: error.message, at: error.at }),
    ]);

    const res = await request(h.http).post(`/api/v1/customers/${customer.id}/sync`).set(ADMIN_AUTH).expect(202);
    expect(res.body).toEqual({
      message: expect.any(String),
      customer: expect.objectContaining({ id: customer.id, sync_status: 'pending', sync_error: null, name: 'Later' }),
    });
    const ops = await operationsOf(h.db, customer.id);
    expect(ops.map((o) => [o.seq, o.status, o.enqueued_at])).toEqual([
      [1, 'pending', null],
      [2, 'pending', null],
    ]);
    expect(ops[0].last_error).toEqual(error);

    // Now it is pending, not failed: a second re-sync is refused.
    const again = await request(h.http).post(`/api/v1/customers/${customer.id}/sync`).set(ADMIN_AUTH).expect(409);
    expect(again.body.error.code).toBe('not_failed');
  });

  it('leaves operations already done as they were', async () => {
    const [customer] = await createCustomers(h, individual());
    await request(h.http).patch(`/api/v1/customers/${customer.id}`).set(APP_AUTH).send({ name: 'Rejected' }).expect(202);
    await request(h.http).patch(`/api/v1/customers/${customer.id}`).set(APP_AUTH).send({ name: 'Held' }).expect(202);
    await h.db.query(
      `UPDATE customer_operations SET enqueued_at = now(),
         status = CASE seq WHEN 1 THEN 'done' WHEN 2 THEN 'failed' ELSE 'pending' END,
         completed_at = CASE seq WHEN 1 THEN now() END
       WHERE customer_id = $1`,
      [customer.id],
    );
    await h.db.query(`UPDATE customers SET sync_status = 'failed', celar_id = 'cr_cccccccccccc' WHERE id = $1`, [customer.id]);

    await request(h.http).post('/api/v1/customers/cr_cccccccccccc/sync').set(ADMIN_AUTH).expect(202);
    const ops = await operationsOf(h.db, customer.id);
    expect(ops.map((o) => [o.seq, o.status, o.enqueued_at === null])).toEqual([
      [1, 'done', false],
      [2, 'pending', true],
      [3, 'pending', true],
    ]);
  });
});
