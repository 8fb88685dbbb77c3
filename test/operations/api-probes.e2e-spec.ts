import { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { AppConfig } from '@app/config';
import { createTestDatabase, testConfig, waitFor } from '@app/testing';
import { createApiApp } from '../../apps/api/src/api-app';
import { TcpProxy } from './tcp-proxy';

// The API's readiness: Postgres required, Redis only reported (changes still land in the outbox without it).
describe('API probes', () => {
  let pgProxy: TcpProxy;
  let redisProxy: TcpProxy;
  let config: AppConfig;
  let app: INestApplication;

  beforeAll(async () => {
    const dbUrl = await createTestDatabase();
    pgProxy = await TcpProxy.start(5432);
    redisProxy = await TcpProxy.start(6379);
    config = testConfig(pgProxy.rewrite(dbUrl), { REDIS_URL: redisProxy.rewrite('redis://127.0.0.1:6379') });
    app = await createApiApp(config);
  });

  afterAll(async () => {
    await pgProxy.restore();
    await redisProxy.restore();
    await app?.close();
    await pgProxy.close();
    await redisProxy.close();
  });

  const ready = () => request(app.getHttpServer()).get('/health/ready');

  it('answers liveness without an API key', async () => {
    const res = await request(app.getHttpServer()).get('/health/live');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok' });
  });

  it('is ready with both dependencies up and names each one', async () => {
    const res = await ready();
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('ok');
    expect(res.body.details).toEqual({ postgres: { status: 'up' }, redis: { status: 'up' } });
  });

  it('stays ready with Redis down, naming Redis down, and recovers', async () => {
    await redisProxy.cut();
    const down = await waitFor(ready, (res) => res.body.details?.redis?.status === 'down');
    expect(down.status).toBe(200);
    expect(down.body.status).toBe('ok');
    expect(down.body.details.postgres).toEqual({ status: 'up' });
    expect(down.body.error).toEqual({ redis: expect.objectContaining({ status: 'down' }) });

    await redisProxy.restore();
    const up = await waitFor(ready, (res) => res.body.details?.redis?.status === 'up');
    expect(up.status).toBe(200);
  });

  it('is not ready (503) with Postgres down, naming Postgres, and recovers', async () => {
    await pgProxy.cut();
    const down = await waitFor(ready, (res) => res.status === 503);
    expect(down.body.status).toBe('error');
    expect(down.body.details.postgres.status).toBe('down');
    expect(down.body.error).toHaveProperty('postgres');
    expect(down.body.details.redis).toEqual({ status: 'up' });
    // Liveness does not depend on anything.
    expect((await request(app.getHttpServer()).get('/health/live')).status).toBe(200);

    await pgProxy.restore();
    const up = await waitFor(ready, (res) => res.status === 200);
    expect(up.body.details.postgres).toEqual({ status: 'up' });
  });

  it('answers /metrics without an API key, in Prometheus text', async () => {
    const res = await request(app.getHttpServer()).get('/metrics');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    expect(res.text).toContain('# TYPE http_requests_total counter');
    expect(res.text).toContain('process_cpu_seconds_total');
  });
});
