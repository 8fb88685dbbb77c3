import request from 'supertest';
import { APP_AUTH, ApiHarness, count, expectErrorShape, individual, startApi } from './api-test-kit';

// Transport-level behaviour: request ids, content types, body limit, routes, and Redis not needed for writes.

let h: ApiHarness;

beforeAll(async () => {
  // Redis is unreachable on purpose: the write path must not need it.
  h = await startApi({ REDIS_URL: 'redis://127.0.0.1:1' });
});

afterAll(() => h.close());

describe('X-Request-Id', () => {
  it('echoes a sane id the caller sent and stores it with the operation', async () => {
    const res = await request(h.http).post('/api/v1/customers').set(APP_AUTH).set('X-Request-Id', 'abc.123:XYZ-9_z').send(individual()).expect(202);
    expect(res.headers['x-request-id']).toBe('abc.123:XYZ-9_z');
    const { rows } = await h.db.query(`SELECT request_id FROM customer_operations WHERE customer_id = $1`, [res.body.customers[0].id]);
    expect(rows[0].request_id).toBe('abc.123:XYZ-9_z');
  });

  it.each([
    ['spaces', 'a b'],
    ['too long', 'x'.repeat(129)],
    ['quotes', '"quoted"'],
  ])('replaces an id with %s by a generated one', async (_, id) => {
    const res = await request(h.http).get('/api/v1/customers').set(APP_AUTH).set('X-Request-Id', id).expect(200);
    expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('is generated when absent, on errors too', async () => {
    const res = await request(h.http).get('/api/v1/customers/unknown').set(APP_AUTH).expect(404);
    expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('bodies', () => {
  it('accepts application/json with a charset', async () => {
    await request(h.http)
      .post('/api/v1/customers')
      .set(APP_AUTH)
      .set('Content-Type', 'application/json; charset=utf-8')
      .send(JSON.stringify(individual()))
      .expect(202);
  });

  it('refuses JSON in an unsupported charset with 415', async () => {
    const before = await count(h.db, 'customers');
    const res = await request(h.http)
      .post('/api/v1/customers')
      .set(APP_AUTH)
      .set('Content-Type', 'application/json; charset=latin1')
      .send(JSON.stringify(individual()))
      .expect(415);
    expectErrorShape(res.body, 'unsupported_media_type');
    expect(await count(h.db, 'customers')).toBe(before);
  });

  it('refuses a body over the default 2 MiB limit with 413', async () => {
    const before = await count(h.db, 'customers');
    const items = Array.from({ length: 1000 }, () => individual({ address: 'x'.repeat(2200) }));
    const res = await request(h.http).post('/api/v1/customers').set(APP_AUTH).send(items);
    expect(res.status).toBe(413);
    expectErrorShape(res.body, 'payload_too_large');
    expect(await count(h.db, 'customers')).toBe(before);
  });

  it('answers an unknown route with 404 in the error shape, even without a key', async () => {
    const res = await request(h.http).get('/api/v2/customers').expect(404);
    expectErrorShape(res.body, 'not_found');
  });

  it('answers a malformed percent-encoding in a path with 400 in the error shape, not a 500', async () => {
    const res = await request(h.http).get('/api/v1/customers/%E0%A4%A').set(APP_AUTH).expect(400);
    expectErrorShape(res.body, 'validation_failed');
  });
});

describe('Redis down', () => {
  it('still accepts and serves changes: they are stored in Postgres with their operations', async () => {
    const res = await request(h.http).post('/api/v1/customers').set(APP_AUTH).send(individual()).expect(202);
    const id = res.body.customers[0].id;
    await request(h.http).patch(`/api/v1/customers/${id}`).set(APP_AUTH).send({ name: 'Still here' }).expect(202);
    await request(h.http).delete(`/api/v1/customers/${id}`).set(APP_AUTH).expect(202);
    const { rows } = await h.db.query(`SELECT kind FROM customer_operations WHERE customer_id = $1 ORDER BY seq`, [id]);
    expect(rows.map((r) => r.kind)).toEqual(['create', 'update', 'deactivate']);
  });
});
