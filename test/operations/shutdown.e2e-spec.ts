import { INestApplication } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { Pool } from 'pg';
import request from 'supertest';
import { AppConfig } from '@app/config';
import { RunningSandbox, TEST_APP_KEY, createTestDatabase, startSandbox, testConfig, API_MAIN, WORKER_MAIN, assertBuilt, freePort, processEnv, spawnProcess, waitFor } from '@app/testing';
import { createApiApp } from '../../apps/api/src/api-app';
import { createWorkerApp } from '../../apps/worker/src/worker-app';
import { TcpProxy } from './tcp-proxy';

const APP = { Authorization: `Bearer ${TEST_APP_KEY}` };

const customers = (n: number) =>
  Array.from({ length: n }, (_, i) => ({
    type: 'individual',
    name: `Draining Person ${i}`,
    email: `drain.${i}.${randomUUID().slice(0, 8)}@example.com`,
    country: 'KEN',
    document_type: 'passport',
  }));

// SIGTERM sent to the real built processes: in-flight work finishes, then a clean exit 0.
// (Exit 0 is itself the bound: past SHUTDOWN_TIMEOUT_MS the process exits 1.)
describe('graceful shutdown on SIGTERM (real processes)', () => {
  let sandbox: RunningSandbox;
  let dbUrl: string;
  let env: Record<string, string>;
  let config: AppConfig;
  let db: Pool;

  beforeAll(async () => {
    assertBuilt();
    sandbox = await startSandbox();
    dbUrl = await createTestDatabase();
    // Two customers at a time, so some work is in hand and some is not yet started. A short
    // Celar timeout keeps the job lock short, so a job cut off by a forced exit is taken over soon.
    // A short settle time and lease: a worker cut mid-request holds its customer only this long.
    const tuning = { SYNC_CONCURRENCY: '2', CELAR_TIMEOUT_MS: '2000', CELAR_SETTLE_MS: '1000', SYNC_LEASE_MS: '3000' };
    env = processEnv(dbUrl, sandbox.baseUrl, { ...tuning, SHUTDOWN_TIMEOUT_MS: '20000' });
    config = testConfig(dbUrl, { ...tuning, QUEUE_PREFIX: env.QUEUE_PREFIX, CELAR_BASE_URL: sandbox.baseUrl });
    db = new Pool({ connectionString: dbUrl, max: 2 });
  });

  afterAll(async () => {
    await db?.end();
    await sandbox?.close();
  });

  it('worker: the sync jobs in hand finish, nothing is half-done or duplicated, exit 0', async () => {
    const api: INestApplication = await createApiApp(config);
    try {
      // Every create takes 1.5 s at Celar: SIGTERM lands while requests are in flight.
      await sandbox.control.addFault({ kind: 'latency', method: 'POST', path: '/customers', latencyMs: 1500 });
      const created = await request(api.getHttpServer()).post('/api/v1/customers').set(APP).send(customers(6)).expect(202);
      const emails = (created.body.customers as { email: string }[]).map((c) => c.email);

      const worker = spawnProcess(WORKER_MAIN, env);
      let inFlight: { id: string }[] = [];
      try {
        // An attempt is recorded before its request leaves: these are in flight now.
        inFlight = await waitFor(
          async () =>
            (await db.query<{ id: string }>(`SELECT id::text FROM customer_operations WHERE attempts > 0 AND status = 'pending'`)).rows,
          (rows) => rows.length > 0,
        );
        const listening = await worker.waitForLine((line) => /health and metrics on port/.test(line.msg ?? ''));
        const probe = `http://127.0.0.1:${/port (\d+)/.exec(listening.msg ?? '')![1]}`;
        worker.child.kill('SIGTERM');
        // While it drains (the Celar calls in hand take 1.5 s), it says it is going away.
        const draining = await waitFor(
          () => request(probe).get('/health/ready'),
          (res) => res.status === 503,
        );
        expect(draining.body.status).toBe('shutting_down');
        expect(await worker.exited).toEqual({ code: 0, signal: null });
        expect(worker.lines().some((line) => /SIGTERM/.test(line.msg ?? ''))).toBe(true);
      } finally {
        worker.kill();
      }

      // The operations in hand were finished, not abandoned; any not started wait, untouched.
      const done = (await db.query<{ id: string }>(`SELECT id::text FROM customer_operations WHERE status = 'done'`)).rows;
      expect(done.map((op) => op.id)).toEqual(expect.arrayContaining(inFlight.map((op) => op.id)));
      const ops = (
        await db.query<{ id: string; status: string; attempts: number }>(`SELECT id::text, status, attempts FROM customer_operations`)
      ).rows;
      expect(ops.filter((op) => op.status === 'failed')).toEqual([]);
      expect(ops.filter((op) => op.status === 'pending' && op.attempts > 0)).toEqual([]);
      expect(ops.some((op) => op.status === 'done')).toBe(true);
      const mirror = (
        await db.query<{ email: string; sync_status: string; celar_id: string | null }>(`SELECT email, sync_status, celar_id FROM customers`)
      ).rows;
      for (const c of mirror) expect(c.sync_status === 'synced' ? c.celar_id !== null : c.sync_status === 'pending' && c.celar_id === null).toBe(true);
      const upstream = await sandbox.control.customers();
      for (const c of mirror) {
        const copies = upstream.filter((u) => u.email === c.email);
        expect(copies.map((u) => u.id)).toEqual(c.celar_id ? [c.celar_id] : []);
      }

      // A new worker takes over what was left: every customer synced, exactly once upstream.
      await sandbox.control.clearFaults();
      const next = await createWorkerApp(config);
      try {
        await waitFor(
          () => request(api.getHttpServer()).get('/api/v1/customers?sync_status=synced').set(APP),
          (res) => res.body.total === 6,
        );
      } finally {
        await next.close();
      }
      const after = await sandbox.control.customers();
      for (const email of emails) expect(after.filter((u) => u.email === email)).toHaveLength(1);
    } finally {
      await sandbox.control.clearFaults();
      await api.close();
    }
  });

  it('worker: draining longer than SHUTDOWN_TIMEOUT_MS exits anyway (1) with a log line; the cut job completes later, once', async () => {
    const api: INestApplication = await createApiApp(config);
    try {
      await sandbox.control.addFault({ kind: 'latency', method: 'POST', path: '/customers', latencyMs: 4000 });
      const [person] = customers(1);
      await request(api.getHttpServer()).post('/api/v1/customers').set(APP).send(person).expect(202);
      // The shutdown timeout is always above the Celar timeout (the config refuses less), so the
      // drain is made longer another way: Postgres goes silent while the request is in flight,
      // and recording its outcome waits on it.
      const pgProxy = await TcpProxy.start(5432);
      const worker = spawnProcess(WORKER_MAIN, { ...env, DATABASE_URL: pgProxy.rewrite(dbUrl), SHUTDOWN_TIMEOUT_MS: '3000' });
      try {
        await waitFor(
          async () => (await db.query(`SELECT 1 FROM customer_operations WHERE attempts > 0 AND status = 'pending'`)).rowCount,
          (count) => (count ?? 0) > 0,
        );
        pgProxy.silence();
        worker.child.kill('SIGTERM');
        expect(await worker.exited).toEqual({ code: 1, signal: null });
        expect(worker.lines().some((line) => line.level === 'error' && /exiting anyway/.test(line.msg ?? ''))).toBe(true);
      } finally {
        worker.kill();
        await pgProxy.close();
      }
      // The cut request still lands at Celar; the operation stays pending in Postgres.
      await waitFor(() => sandbox.control.customers({ email: person.email }), (found) => found.length === 1);
      const { rows } = await db.query(`SELECT o.status FROM customer_operations o JOIN customers c ON c.id = o.customer_id WHERE c.email = $1`, [
        person.email,
      ]);
      expect(rows).toEqual([{ status: 'pending' }]);

      // The next worker takes the job over once its lock expires, and finds the customer
      // upstream instead of creating it twice.
      await sandbox.control.clearFaults();
      const next = await createWorkerApp(config);
      try {
        await waitFor(
          () => request(api.getHttpServer()).get(`/api/v1/customers?email=${encodeURIComponent(person.email)}`).set(APP),
          (res) => res.body.customers?.[0]?.sync_status === 'synced',
          45_000,
        );
      } finally {
        await next.close();
      }
      expect(await sandbox.control.customers({ email: person.email })).toHaveLength(1);
    } finally {
      await sandbox.control.clearFaults();
      await api.close();
    }
  });

  it('api: a request in progress at SIGTERM is answered, then exit 0', async () => {
    const port = await freePort();
    const api = spawnProcess(API_MAIN, { ...env, PORT: String(port) });
    try {
      await waitFor(
        () => request(`http://127.0.0.1:${port}`).get('/health/ready').catch(() => ({ status: 0 })),
        (res) => res.status === 200,
      );
      const [person] = customers(1);
      const body = JSON.stringify(person);
      // Headers first (the server acknowledges them with 100 Continue), the body only after SIGTERM.
      const response = new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = http.request({
          host: '127.0.0.1',
          port,
          method: 'POST',
          path: '/api/v1/customers',
          headers: { ...APP, 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body), Expect: '100-continue', Connection: 'close' },
        });
        req.on('continue', () => {
          api.child.kill('SIGTERM');
          api
            .waitForLine((line) => /SIGTERM received/.test(line.msg ?? ''))
            .then(() => req.end(body), reject);
        });
        req.on('response', (res) => {
          let text = '';
          res.on('data', (chunk: Buffer) => (text += chunk.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
        });
        req.on('error', reject);
        req.flushHeaders();
      });

      const answered = await response;
      expect(answered.status).toBe(202);
      expect(await api.exited).toEqual({ code: 0, signal: null });
      expect(api.lines().some((line) => line.msg === 'shutdown complete')).toBe(true);
      // Accepted means stored: the customer and its outbox row are in Postgres.
      const { rows } = await db.query(
        `SELECT c.sync_status, o.status FROM customers c JOIN customer_operations o ON o.customer_id = c.id WHERE c.email = $1`,
        [person.email],
      );
      expect(rows).toEqual([{ sync_status: 'pending', status: 'pending' }]);
    } finally {
      api.kill();
    }
  });
});
