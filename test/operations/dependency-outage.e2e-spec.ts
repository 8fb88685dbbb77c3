import { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { AppConfig } from '@app/config';
import { createTestDatabase, TEST_ADMIN_KEY, TEST_APP_KEY, testConfig, waitFor } from '@app/testing';
import { createApiApp } from '../../apps/api/src/api-app';
import { TcpProxy } from './tcp-proxy';

const APP = { Authorization: `Bearer ${TEST_APP_KEY}` };
const ADMIN = { Authorization: `Bearer ${TEST_ADMIN_KEY}` };
// The contract: an answer within 5 s while a dependency is down. Supertest gives up after this
// (a little slack for a busy machine), so a hang fails the test instead of passing late.
const ANSWER_WITHIN_MS = 6000;

const alice = (n: number) => ({
  type: 'individual',
  name: 'Alice Wanjiku',
  email: `alice.outage.${n}.${Date.now()}@example.com`,
  country: 'KEN',
  document_type: 'passport',
});

// The API with Postgres and Redis each behind a proxy the test cuts (connections refused and
// reset) or silences (a partition: nothing answers, nothing is refused).
describe('API requests while a dependency is down', () => {
  let pg: TcpProxy;
  let redis: TcpProxy;
  let config: AppConfig;
  let app: INestApplication;
  let customerId: string;

  beforeAll(async () => {
    const dbUrl = await createTestDatabase();
    pg = await TcpProxy.start(5432);
    redis = await TcpProxy.start(6379);
    config = testConfig(pg.rewrite(dbUrl), { REDIS_URL: redis.rewrite('redis://127.0.0.1:6379') });
    app = await createApiApp(config);
    const created = await request(app.getHttpServer()).post('/api/v1/customers').set(APP).send(alice(0)).expect(202);
    customerId = created.body.customers[0].id;
  });

  afterAll(async () => {
    await pg.restore();
    await redis.restore();
    await app?.close();
    await pg.close();
    await redis.close();
  });

  const http = () => request(app.getHttpServer());
  const requests = () => [
    http().get('/api/v1/customers').set(APP),
    http().get(`/api/v1/customers/${customerId}`).set(APP),
    http().post('/api/v1/customers').set(APP).send(alice(1)),
    http().patch(`/api/v1/customers/${customerId}`).set(APP).send({ name: 'Alice W.' }),
    http().get('/api/v1/admin/reconciliations').set(ADMIN),
  ];

  async function expectAllDependencyDown(): Promise<void> {
    const responses = await Promise.all(requests().map((r) => r.timeout(ANSWER_WITHIN_MS)));
    for (const res of responses) {
      expect(res.status).toBe(503);
      expect(res.body).toEqual({ error: { code: 'dependency_down', message: expect.any(String) } });
      expect(res.headers['retry-after']).toBe('1');
    }
  }

  async function expectServedAgain(): Promise<void> {
    await waitFor(() => http().get('/health/ready'), (res) => res.status === 200, 30_000);
    await waitFor(() => http().get(`/api/v1/customers/${customerId}`).set(APP), (res) => res.status === 200, 30_000);
  }

  it("names its Postgres sessions after the process, bounds their statements and keeps them alive", async () => {
    const db = app.get(DataSource);
    const [{ application_name }] = await db.query(`SELECT current_setting('application_name') AS application_name`);
    expect(application_name).toBe('customer-sync-api');
    const setting = async (name: string) => (await db.query(`SELECT current_setting($1) AS v`, [name]))[0].v;
    expect(await setting('statement_timeout')).toBe('3s');
    // A session whose client vanished is dropped by the server within 30 s + 3 x 10 s.
    expect([await setting('tcp_keepalives_idle'), await setting('tcp_keepalives_interval'), await setting('tcp_keepalives_count')]).toEqual([
      '30',
      '10',
      '3',
    ]);
  });

  it('Postgres refusing connections: every request that needs it answers 503 in the error shape, and ready names Postgres', async () => {
    await pg.cut();
    await expectAllDependencyDown();
    const ready = await http().get('/health/ready').timeout(ANSWER_WITHIN_MS);
    expect(ready.status).toBe(503);
    expect(ready.body.details.postgres.status).toBe('down');
    expect(ready.body.details.redis.status).toBe('up');
    await pg.restore();
    await expectServedAgain();
  });

  it('Postgres gone silent (no answer, no reset): the same 503s instead of a hang, and it recovers', async () => {
    pg.silence();
    await expectAllDependencyDown();
    // Again: the connections that timed out were dropped, the new ones time out too (no pile-up).
    await expectAllDependencyDown();
    const ready = await http().get('/health/ready').timeout(ANSWER_WITHIN_MS);
    expect(ready.status).toBe(503);
    expect(ready.body.error).toHaveProperty('postgres');
    await pg.restore();
    await expectServedAgain();
    // Nothing accepted before the outage was lost.
    const list = await http().get('/api/v1/customers').set(APP).expect(200);
    expect(list.body.customers.map((c: { id: string }) => c.id)).toContain(customerId);
  });

  it('Redis down: changes are still accepted (the outbox is in Postgres); a route that needs Redis answers 503 naming it', async () => {
    await redis.cut();
    await waitFor(() => http().get('/health/ready'), (res) => res.body.details?.redis?.status === 'down');
    await http().post('/api/v1/customers').set(APP).send(alice(2)).timeout(ANSWER_WITHIN_MS).expect(202);
    const run = await http().post('/api/v1/admin/reconciliations').set(ADMIN).send({ kind: 'balances' }).timeout(ANSWER_WITHIN_MS);
    expect(run.status).toBe(503);
    expect(run.body.error.code).toBe('dependency_down');
    expect(run.body.error.message).toMatch(/Redis/);
    // Back, then silent (a partition): the same 503, not a hang.
    await redis.restore();
    redis.silence();
    const silent = await http().post('/api/v1/admin/reconciliations').set(ADMIN).send({ kind: 'balances' }).timeout(ANSWER_WITHIN_MS);
    expect(silent.status).toBe(503);
    await redis.restore();
    await waitFor(() => http().get('/health/ready'), (res) => res.body.details?.redis?.status === 'up', 30_000);
  });
});
