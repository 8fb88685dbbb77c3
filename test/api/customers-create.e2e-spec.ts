import { Client } from 'pg';
import request from 'supertest';
import { APP_AUTH, ApiHarness, business, count, CustomerBody, individual, operationsOf, startApi } from './api-test-kit';

let h: ApiHarness;

beforeAll(async () => {
  h = await startApi();
});

afterAll(() => h.close());

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('POST /api/v1/customers', () => {
  it("creates Celar's example customer: 202, the contract's shape, pending, and one create operation", async () => {
    const input = individual();
    const res = await request(h.http).post('/api/v1/customers').set(APP_AUTH).set('X-Request-Id', 'req-create-1').send(input);
    expect(res.status).toBe(202);
    expect(res.headers['x-request-id']).toBe('req-create-1');
    expect(res.body.message).toBe('1 customer(s) created successfully');
    expect(res.body.customers).toHaveLength(1);
    const customer = res.body.customers[0];
    expect(Object.keys(customer)).toEqual([
      'id', 'created_at', 'updated_at', 'country', 'email', 'type', 'wallet_address', 'address', 'is_active', 'name', 'psp_id',
      'tax_id', 'document_type', 'verification_document', 'incorporation_certificate', 'celar_id', 'sync_status', 'sync_error',
      'last_synced_at', 'kyc_status',
    ]);
    expect(customer).toEqual({
      ...input,
      id: expect.stringMatching(UUID),
      created_at: expect.any(String),
      updated_at: customer.created_at,
      is_active: true,
      psp_id: null,
      verification_document: null,
      incorporation_certificate: null,
      celar_id: null,
      sync_status: 'pending',
      sync_error: null,
      last_synced_at: null,
      kyc_status: null,
    });
    expect(new Date(customer.created_at).toISOString()).toBe(customer.created_at);

    const { rows } = await h.db.query(`SELECT email, tax_id, wallet_address, last_op_seq, sync_status, is_active FROM customers WHERE id = $1`, [
      customer.id,
    ]);
    expect(rows).toEqual([
      { email: input.email, tax_id: input.tax_id, wallet_address: input.wallet_address, last_op_seq: 1, sync_status: 'pending', is_active: true },
    ]);
    const ops = await operationsOf(h.db, customer.id);
    expect(ops).toEqual([
      {
        id: expect.any(String),
        seq: 1,
        kind: 'create',
        payload: input,
        status: 'pending',
        idempotency_key: expect.stringMatching(UUID),
        request_id: 'req-create-1',
        enqueued_at: null,
        last_error: null,
      },
    ]);
  });

  it('sends only the given optional fields upstream', async () => {
    const input = { type: 'individual', name: 'Bare Minimum', email: 'bare@example.com', country: 'UGA', document_type: 'id_card' };
    const [customer] = (await request(h.http).post('/api/v1/customers').set(APP_AUTH).send(input).expect(202)).body.customers;
    expect(customer).toEqual(expect.objectContaining({ address: null, tax_id: null, wallet_address: null }));
    const [op] = await operationsOf(h.db, customer.id);
    expect(op.payload).toEqual(input);
  });

  it('stores single-case wallet addresses as given, and a checksummed one', async () => {
    const lower = individual({ wallet_address: '0xde709f2102306220921060314715629080e2fb77' });
    const upper = individual({ wallet_address: '0x52908400098527886E0F7030069857D2E4169EE7' });
    const res = await request(h.http).post('/api/v1/customers').set(APP_AUTH).send([lower, upper, business()]).expect(202);
    expect(res.body.customers.map((c: CustomerBody) => c.wallet_address)).toEqual([
      lower.wallet_address,
      upper.wallet_address,
      '0x47c99E83FF01123f4BBD2A9E7aaF35A2f97B4761',
    ]);
  });

  it('creates a bulk in order: every customer and its operation, in the order given', async () => {
    const items = Array.from({ length: 25 }, (_, i) => (i % 3 === 0 ? business() : individual()));
    const res = await request(h.http).post('/api/v1/customers').set(APP_AUTH).send(items).expect(202);
    expect(res.body.message).toBe('25 customer(s) created successfully');
    const created: CustomerBody[] = res.body.customers;
    expect(created.map((c) => c.email)).toEqual(items.map((i) => i.email));
    expect(new Set(created.map((c) => c.id)).size).toBe(25);

    const { rows } = await h.db.query(
      `SELECT customer_id, seq, kind, payload FROM customer_operations WHERE customer_id = ANY($1) ORDER BY id`,
      [created.map((c) => c.id)],
    );
    expect(rows.map((r) => r.customer_id)).toEqual(created.map((c) => c.id));
    expect(rows.map((r) => r.payload)).toEqual(items);
    expect(rows.every((r) => r.seq === 1 && r.kind === 'create')).toBe(true);
  });

  it('accepts a bulk of 1000', async () => {
    const before = await count(h.db, 'customers');
    const items = Array.from({ length: 1000 }, () => individual());
    const res = await request(h.http).post('/api/v1/customers').set(APP_AUTH).send(items).expect(202);
    expect(res.body.message).toBe('1000 customer(s) created successfully');
    expect(res.body.customers).toHaveLength(1000);
    expect(await count(h.db, 'customers')).toBe(before + 1000);
    const { rows } = await h.db.query(`SELECT count(*)::int AS n FROM customer_operations WHERE customer_id = ANY($1)`, [
      res.body.customers.map((c: CustomerBody) => c.id),
    ]);
    expect(rows[0].n).toBe(1000);
  });

  it('frees an email when its customer is deactivated', async () => {
    const input = individual();
    const [first] = (await request(h.http).post('/api/v1/customers').set(APP_AUTH).send(input).expect(202)).body.customers;
    await request(h.http).post('/api/v1/customers').set(APP_AUTH).send(individual({ email: input.email })).expect(409);
    await request(h.http).delete(`/api/v1/customers/${first.id}`).set(APP_AUTH).expect(202);
    const [second] = (await request(h.http).post('/api/v1/customers').set(APP_AUTH).send(individual({ email: input.email })).expect(202)).body
      .customers;
    expect(second.id).not.toBe(first.id);
  });

  it('lets exactly one of two simultaneous creates of one email through', async () => {
    const email = 'race@example.com';
    const results = await Promise.all(
      Array.from({ length: 6 }, () => request(h.http).post('/api/v1/customers').set(APP_AUTH).send(individual({ email }))),
    );
    expect(results.map((r) => r.status).sort()).toEqual([202, 409, 409, 409, 409, 409]);
    for (const r of results.filter((x) => x.status === 409)) expect(r.body.error.code).toBe('email_taken');
    const { rows } = await h.db.query(`SELECT count(*)::int AS n FROM customers WHERE lower(email) = $1`, [email]);
    expect(rows[0].n).toBe(1);
  });

  it('wakes the sync engine: a notification on customer_operations at commit', async () => {
    const listener = new Client({ connectionString: (h.db as unknown as { options: { connectionString: string } }).options.connectionString });
    await listener.connect();
    try {
      await listener.query('LISTEN customer_operations');
      const notified = new Promise<string>((resolve) => listener.on('notification', (n) => resolve(n.channel)));
      await request(h.http).post('/api/v1/customers').set(APP_AUTH).send(individual()).expect(202);
      expect(await notified).toBe('customer_operations');
    } finally {
      await listener.end();
    }
  });
});

describe('Idempotency-Key', () => {
  it('replays the first answer byte for byte and creates nothing more', async () => {
    const body = [individual(), business()];
    const first = await request(h.http).post('/api/v1/customers').set(APP_AUTH).set('Idempotency-Key', 'idem-1').send(body).expect(202);
    const customers = await count(h.db, 'customers');
    const operations = await count(h.db, 'customer_operations');

    // The same body with its keys in another order is the same request.
    const reordered = body.map((item) => Object.fromEntries(Object.entries(item).reverse()));
    const again = await request(h.http).post('/api/v1/customers').set(APP_AUTH).set('Idempotency-Key', 'idem-1').send(reordered);
    expect(again.status).toBe(202);
    expect(again.text).toBe(first.text);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(await count(h.db, 'customers')).toBe(customers);
    expect(await count(h.db, 'customer_operations')).toBe(operations);

    const { rows } = await h.db.query(
      `SELECT state, response_status, extract(epoch FROM expires_at - created_at)::int AS ttl_seconds FROM idempotency_keys WHERE key = 'idem-1'`,
    );
    expect(rows).toEqual([{ state: 'completed', response_status: 202, ttl_seconds: 24 * 3600 }]);
  });

  it('answers 422 for the same key with another body, and keeps the first answer', async () => {
    const body = individual();
    const first = await request(h.http).post('/api/v1/customers').set(APP_AUTH).set('Idempotency-Key', 'idem-2').send(body).expect(202);
    const other = await request(h.http).post('/api/v1/customers').set(APP_AUTH).set('Idempotency-Key', 'idem-2').send(individual()).expect(422);
    expect(other.body.error.code).toBe('idempotency_key_reused');
    const replay = await request(h.http).post('/api/v1/customers').set(APP_AUTH).set('Idempotency-Key', 'idem-2').send(body).expect(202);
    expect(replay.text).toBe(first.text);
  });

  it('keeps keys per API key: another key may use the same Idempotency-Key for its own request', async () => {
    await request(h.http).post('/api/v1/customers').set(APP_AUTH).set('Idempotency-Key', 'idem-3').send(individual()).expect(202);
    const res = await request(h.http)
      .post('/api/v1/customers')
      .set({ Authorization: 'Bearer test_app_key_2' })
      .set('Idempotency-Key', 'idem-3')
      .send(individual())
      .expect(202);
    expect(res.headers['idempotent-replayed']).toBeUndefined();
  });

  it('does not keep a key whose request failed, so a corrected retry can use it', async () => {
    await request(h.http).post('/api/v1/customers').set(APP_AUTH).set('Idempotency-Key', 'idem-4').send(individual({ country: 'ken' })).expect(400);
    await request(h.http).post('/api/v1/customers').set(APP_AUTH).set('Idempotency-Key', 'idem-4').send(individual()).expect(202);
  });

  it('treats an expired key as new', async () => {
    await request(h.http).post('/api/v1/customers').set(APP_AUTH).set('Idempotency-Key', 'idem-5').send(individual()).expect(202);
    await h.db.query(`UPDATE idempotency_keys SET expires_at = now() - interval '1 second' WHERE key = 'idem-5'`);
    const res = await request(h.http).post('/api/v1/customers').set(APP_AUTH).set('Idempotency-Key', 'idem-5').send(individual()).expect(202);
    expect(res.headers['idempotent-replayed']).toBeUndefined();
    const { rows } = await h.db.query(`SELECT count(*)::int AS n FROM idempotency_keys WHERE key = 'idem-5' AND expires_at > now()`);
    expect(rows[0].n).toBe(1);
  });

  it('creates once when the same request arrives several times at once', async () => {
    const body = individual();
    const before = await count(h.db, 'customers');
    const results = await Promise.all(
      Array.from({ length: 5 }, () => request(h.http).post('/api/v1/customers').set(APP_AUTH).set('Idempotency-Key', 'idem-6').send(body)),
    );
    // Each is either the first answer (or its replay) or told the first is still running.
    const accepted = results.filter((r) => r.status === 202);
    expect(accepted.length).toBeGreaterThanOrEqual(1);
    expect(new Set(accepted.map((r) => r.text)).size).toBe(1);
    for (const r of results.filter((x) => x.status !== 202)) {
      expect(r.status).toBe(409);
      expect(r.body.error.code).toBe('idempotency_key_in_use');
    }
    expect(await count(h.db, 'customers')).toBe(before + 1);
  });
});
