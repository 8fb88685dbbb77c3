import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { RunningSandbox, createTestDatabase, startSandbox, API_MAIN, LogLine, Spawned, WORKER_MAIN, assertBuilt, freePort, processEnv, spawnProcess, waitFor } from '@app/testing';

// Distinctive secrets: any of them in any output is a leak.
const APP_KEY = 'app_key_9f3c1e7d2b';
const ADMIN_KEY = 'admin_key_4a8b6c2e0f';
const CELAR_KEY = 'celar_key_7e1d9b3a5c';
const TAX_ID = 'TAXID-5523-9917-X';

// The real built processes, their stdout read line by line.
describe('structured logs (real processes)', () => {
  let sandbox: RunningSandbox;
  let api: Spawned;
  let worker: Spawned;
  let apiUrl: string;
  const requestId = `logs-test-${randomUUID()}`;

  beforeAll(async () => {
    assertBuilt();
    sandbox = await startSandbox({ apiKeys: [CELAR_KEY] });
    const env = processEnv(await createTestDatabase(), sandbox.baseUrl, {
      API_KEYS: APP_KEY,
      ADMIN_API_KEYS: ADMIN_KEY,
      CELAR_API_KEY: CELAR_KEY,
      PORT: String(await freePort()),
    });
    apiUrl = `http://127.0.0.1:${env.PORT}`;
    api = spawnProcess(API_MAIN, env);
    worker = spawnProcess(WORKER_MAIN, env);
    await waitFor(
      () => request(apiUrl).get('/health/ready').catch(() => ({ status: 0 })),
      (res) => res.status === 200,
    );

    const created = await request(apiUrl)
      .post('/api/v1/customers')
      .set('Authorization', `Bearer ${APP_KEY}`)
      .set('X-Request-Id', requestId)
      .send({
        type: 'individual',
        name: 'Logged Person',
        email: `logged.${randomUUID().slice(0, 8)}@example.com`,
        country: 'KEN',
        document_type: 'passport',
        tax_id: TAX_ID,
      })
      .expect(202);
    // Refused requests get their line too: an unknown key, a body that is not JSON, a bad field.
    await request(apiUrl).get('/api/v1/customers').set('Authorization', `Bearer ${ADMIN_KEY}x`).expect(401);
    await request(apiUrl).post('/api/v1/customers').set('Authorization', `Bearer ${APP_KEY}`).set('Content-Type', 'application/json').send('{"tax_id": "' + TAX_ID).expect(400);
    await request(apiUrl).post('/api/v1/customers').set('Authorization', `Bearer ${APP_KEY}`).send({ tax_id: TAX_ID, country: 'xx' }).expect(400);
    await request(apiUrl).get('/admin/queues').set('Authorization', `Bearer ${ADMIN_KEY}`).expect(200);

    const id = created.body.customers[0].id as string;
    await waitFor(
      () => request(apiUrl).get(`/api/v1/customers/${id}`).set('Authorization', `Bearer ${APP_KEY}`),
      (res) => res.body.sync_status === 'synced',
    );
    await worker.waitForLine((line) => line.msg === 'job completed' && line.request_id === requestId);
    api.child.kill('SIGTERM');
    worker.child.kill('SIGTERM');
    await Promise.all([api.exited, worker.exited]);
  });

  afterAll(async () => {
    api?.kill();
    worker?.kill();
    await sandbox?.close();
  });

  it('writes only JSON lines, with level, time and service', () => {
    for (const [proc, service] of [
      [api, 'api'],
      [worker, 'worker'],
    ] as const) {
      const lines = proc.lines();
      expect(lines.length).toBeGreaterThan(0);
      for (const line of lines) {
        expect(line).toMatchObject({ level: expect.any(String), time: expect.any(String), service, msg: expect.any(String) });
      }
    }
  });

  it('logs one line per API request, with its request id, status and duration, the key redacted', () => {
    const mine = api.lines().filter((line) => line.request_id === requestId);
    const access = mine.filter((line) => line.res !== undefined);
    expect(access).toHaveLength(1);
    expect(access[0]).toMatchObject({
      level: 'info',
      msg: 'POST /api/v1/customers 202',
      req: { method: 'POST', url: '/api/v1/customers', headers: { authorization: '[redacted]', 'x-request-id': requestId } },
      res: { statusCode: 202 },
      duration_ms: expect.any(Number),
    });
    const refused = api.lines().filter((line) => line.res !== undefined && (line.res as { statusCode: number }).statusCode >= 400);
    expect(refused.map((line) => line.msg).sort()).toEqual(['GET /api/v1/customers 401', 'POST /api/v1/customers 400', 'POST /api/v1/customers 400']);
    expect(refused.every((line) => line.level === 'warn')).toBe(true);
  });

  it('carries the request id into the sync job the request caused: one line for the job', () => {
    const jobLines = worker.lines().filter((line: LogLine) => line.queue === 'customer-sync' && line.request_id === requestId);
    const completed = jobLines.filter((line) => line.msg === 'job completed');
    expect(completed).toHaveLength(1);
    expect(completed[0]).toMatchObject({ job_id: expect.any(String), outcome: 'done', duration_ms: expect.any(Number), attempt: 1 });
  });

  it('never writes an API key, an Authorization header or a tax id', () => {
    for (const proc of [api, worker]) {
      const output = proc.output();
      for (const secret of [APP_KEY, ADMIN_KEY, CELAR_KEY, TAX_ID, 'Bearer ']) expect(output).not.toContain(secret);
    }
  });

  it('logs the shutdown and exits 0 on SIGTERM', async () => {
    expect(await api.exited).toEqual({ code: 0, signal: null });
    expect(await worker.exited).toEqual({ code: 0, signal: null });
    expect(api.lines().some((line) => /SIGTERM/.test(line.msg ?? ''))).toBe(true);
    expect(worker.lines().some((line) => /SIGTERM/.test(line.msg ?? ''))).toBe(true);
  });
});
