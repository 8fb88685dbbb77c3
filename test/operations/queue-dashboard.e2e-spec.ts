import { INestApplication } from '@nestjs/common';
import { Queue } from 'bullmq';
import request from 'supertest';
import { AppConfig } from '@app/config';
import { bullPrefix } from '@app/queue';
import { TEST_ADMIN_KEY, TEST_APP_KEY, createTestDatabase, testConfig } from '@app/testing';
import { createApiApp } from '../../apps/api/src/api-app';

describe('queue dashboard (/admin/queues)', () => {
  let config: AppConfig;
  let app: INestApplication;
  let queue: Queue;

  beforeAll(async () => {
    config = testConfig(await createTestDatabase());
    app = await createApiApp(config);
    queue = new Queue('customer-sync', { connection: { url: config.redisUrl }, prefix: bullPrefix(config) });
    await queue.add('probe', { n: 1 }, { delay: 60_000 });
  });

  afterAll(async () => {
    await queue?.obliterate({ force: true }).catch(() => undefined);
    await queue?.close();
    await app?.close();
  });

  const get = (path: string) => request(app.getHttpServer()).get(path);

  it('refuses a request without a key: 401 in the error shape, with a Basic challenge for browsers', async () => {
    for (const path of ['/admin/queues', '/admin/queues/api/queues']) {
      const res = await get(path);
      expect(res.status).toBe(401);
      expect(res.body).toEqual({ error: { code: 'unauthorized', message: expect.any(String) } });
      expect(res.headers['www-authenticate']).toMatch(/^Basic /);
    }
  });

  it('refuses an unknown key with 401', async () => {
    const res = await get('/admin/queues').set('Authorization', 'Bearer not_a_real_key');
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('unauthorized');
  });

  it('refuses an app key with 403', async () => {
    const res = await get('/admin/queues/api/queues').set('Authorization', `Bearer ${TEST_APP_KEY}`);
    expect(res.status).toBe(403);
    expect(res.body).toEqual({ error: { code: 'forbidden', message: expect.any(String) } });
  });

  it('serves the dashboard and its queues to the admin key', async () => {
    const page = await get('/admin/queues').set('Authorization', `Bearer ${TEST_ADMIN_KEY}`);
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toMatch(/text\/html/);
    expect(page.text).toContain('<html');

    const api = await get('/admin/queues/api/queues').set('Authorization', `Bearer ${TEST_ADMIN_KEY}`);
    expect(api.status).toBe(200);
    const names = (api.body.queues as { name: string }[]).map((q) => q.name).sort();
    expect(names).toEqual(['customer-sync', 'reconciliation']);
    const sync = (api.body.queues as { name: string; counts: Record<string, number>; readOnlyMode: boolean }[]).find(
      (q) => q.name === 'customer-sync',
    );
    expect(sync?.counts.delayed).toBe(1);
    expect(sync?.readOnlyMode).toBe(true);
  });

  it('accepts the admin key as a Basic password (what a browser sends after the prompt)', async () => {
    const basic = Buffer.from(`admin:${TEST_ADMIN_KEY}`).toString('base64');
    const res = await get('/admin/queues').set('Authorization', `Basic ${basic}`);
    expect(res.status).toBe(200);
  });
});
