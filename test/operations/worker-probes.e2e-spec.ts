import { INestApplication, INestApplicationContext } from '@nestjs/common';
import request from 'supertest';
import { createTestDatabase, testConfig, waitFor } from '@app/testing';
import { TcpProxy } from './tcp-proxy';
import { createApiApp } from '../../apps/api/src/api-app';
import { createWorkerApp, workerPort } from '../../apps/worker/src/worker-app';

// The worker's own probes on WORKER_PORT: it can do nothing without Postgres or without Redis.
// The API beside it, on the same Postgres and Redis, serves the same routes from the same
// controller with its own readiness policy.
describe('worker probes (WORKER_PORT)', () => {
  let pgProxy: TcpProxy;
  let redisProxy: TcpProxy;
  let app: INestApplicationContext;
  let api: INestApplication;
  let base: string;

  beforeAll(async () => {
    const dbUrl = await createTestDatabase();
    pgProxy = await TcpProxy.start(5432);
    redisProxy = await TcpProxy.start(6379);
    const config = testConfig(pgProxy.rewrite(dbUrl), { REDIS_URL: redisProxy.rewrite('redis://127.0.0.1:6379') });
    app = await createWorkerApp(config);
    api = await createApiApp(config);
    base = `http://127.0.0.1:${workerPort(app)}`;
  });

  afterAll(async () => {
    await pgProxy.restore();
    await redisProxy.restore();
    await app?.close();
    await api?.close();
    await pgProxy.close();
    await redisProxy.close();
  });

  const ready = () => request(base).get('/health/ready');

  it('answers liveness', async () => {
    const res = await request(base).get('/health/live');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok' });
  });

  it('is ready with Postgres and Redis up, naming both', async () => {
    const res = await ready();
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('ok');
    expect(res.body.details).toEqual({ postgres: { status: 'up' }, redis: { status: 'up' } });
  });

  it('is not ready (503) with Redis down, naming Redis, and recovers', async () => {
    await redisProxy.cut();
    const down = await waitFor(ready, (res) => res.status === 503);
    expect(down.body.status).toBe('error');
    expect(down.body.details.redis.status).toBe('down');
    expect(down.body.details.postgres).toEqual({ status: 'up' });
    expect((await request(base).get('/health/live')).status).toBe(200);

    await redisProxy.restore();
    const up = await waitFor(ready, (res) => res.status === 200);
    expect(up.body.details.redis).toEqual({ status: 'up' });
  });

  it('with Redis down, is not ready (503) while the API on the same Redis stays ready (200): one controller, two policies', async () => {
    const apiReady = () => request(api.getHttpServer()).get('/health/ready');
    await redisProxy.cut();
    const worker = await waitFor(ready, (res) => res.status === 503);
    const beside = await waitFor(apiReady, (res) => res.body.details?.redis?.status === 'down');
    expect(worker.body).toMatchObject({ status: 'error', error: { redis: { status: 'down' } }, details: { postgres: { status: 'up' }, redis: { status: 'down' } } });
    expect(beside.status).toBe(200);
    expect(beside.body).toMatchObject({ status: 'ok', error: { redis: { status: 'down' } }, details: { postgres: { status: 'up' }, redis: { status: 'down' } } });
    // The same outage, seen by both at once.
    expect((await ready()).status).toBe(503);

    await redisProxy.restore();
    expect((await waitFor(ready, (res) => res.status === 200)).body.details.redis).toEqual({ status: 'up' });
    expect((await waitFor(apiReady, (res) => res.body.details?.redis?.status === 'up')).status).toBe(200);
  });

  it('is not ready (503) with Postgres down, naming Postgres, and recovers', async () => {
    await pgProxy.cut();
    const down = await waitFor(ready, (res) => res.status === 503);
    expect(down.body.details.postgres.status).toBe('down');
    expect(down.body.details.redis).toEqual({ status: 'up' });
    expect(down.body.error).toHaveProperty('postgres');

    await pgProxy.restore();
    const up = await waitFor(ready, (res) => res.status === 200);
    expect(up.body.details.postgres).toEqual({ status: 'up' });
  });

  it('serves /metrics even with Redis down, reporting it', async () => {
    const before = await request(base).get('/metrics');
    expect(before.status).toBe(200);
    expect(before.text).toMatch(/^dependency_up\{dependency="redis"\} 1$/m);
    expect(before.text).toMatch(/^sync_queue_jobs\{queue="customer-sync",state="waiting"\} \d+$/m);

    await redisProxy.cut();
    const during = await request(base).get('/metrics');
    expect(during.status).toBe(200);
    expect(during.text).toMatch(/^dependency_up\{dependency="redis"\} 0$/m);
    expect(during.text).toMatch(/^outbox_backlog \d+$/m);

    await redisProxy.restore();
    await waitFor(
      () => request(base).get('/metrics'),
      (res) => /^dependency_up\{dependency="redis"\} 1$/m.test(res.text),
    );
  });

  it('answers 404 in the error shape on any other path', async () => {
    const res = await request(base).get('/nope');
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('not_found');
  });

  it("serves nothing of the API: its routes are unknown here (404, not the key guard's 401)", async () => {
    for (const path of ['/api/v1/customers', '/docs', '/console', '/admin/queues']) {
      const res = await request(base).get(path);
      expect({ path, status: res.status, body: res.body }).toEqual({ path, status: 404, body: { error: { code: 'not_found', message: `No route ${path}` } } });
    }
  });

  it('answers 405 with Allow in the error shape to another method on its routes', async () => {
    for (const path of ['/health/live', '/health/ready', '/metrics']) {
      const res = await request(base).post(path).send({});
      expect(res.status).toBe(405);
      expect(res.headers.allow).toBe('GET, HEAD');
      expect(res.body).toEqual({ error: { code: 'method_not_allowed', message: `POST is not allowed on ${path}` } });
    }
  });

  it('answers HEAD, never lets a probe or a scrape be cached, and scrapes in the Prometheus content type', async () => {
    for (const path of ['/health/live', '/health/ready', '/metrics', '/nope']) {
      const get = await request(base).get(path);
      const head = await request(base).head(path);
      expect({ path, head: head.status, cache: [get.headers['cache-control'], head.headers['cache-control']] }).toEqual({ path, head: get.status, cache: ['no-store', 'no-store'] });
      expect(head.text ?? '').toBe('');
    }
    const scrape = await request(base).get('/metrics');
    expect(scrape.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
  });
});
