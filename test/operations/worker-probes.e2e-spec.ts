import { INestApplicationContext } from '@nestjs/common';
import request from 'supertest';
import { createTestDatabase, testConfig, waitFor } from '@app/testing';
import { WorkerOperationsServer } from '../../apps/worker/src/operations/worker-operations.server';
import { TcpProxy } from './tcp-proxy';
import { createWorkerApp } from '../../apps/worker/src/worker-app';

// The worker's own probes on WORKER_PORT: it can do nothing without Postgres or without Redis.
describe('worker probes (WORKER_PORT)', () => {
  let pgProxy: TcpProxy;
  let redisProxy: TcpProxy;
  let app: INestApplicationContext;
  let base: string;

  beforeAll(async () => {
    const dbUrl = await createTestDatabase();
    pgProxy = await TcpProxy.start(5432);
    redisProxy = await TcpProxy.start(6379);
    const config = testConfig(pgProxy.rewrite(dbUrl), { REDIS_URL: redisProxy.rewrite('redis://127.0.0.1:6379') });
    app = await createWorkerApp(config);
    base = `http://127.0.0.1:${app.get(WorkerOperationsServer).port}`;
  });

  afterAll(async () => {
    await pgProxy.restore();
    await redisProxy.restore();
    await app?.close();
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
});
