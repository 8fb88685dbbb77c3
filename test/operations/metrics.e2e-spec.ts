import { INestApplication, INestApplicationContext } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { AppConfig } from '@app/config';
import { RunningSandbox, TEST_ADMIN_KEY, TEST_APP_KEY, createTestDatabase, startSandbox, testConfig, waitFor } from '@app/testing';
import { createApiApp } from '../../apps/api/src/api-app';
import { createWorkerApp, workerPort } from '../../apps/worker/src/worker-app';
import { hasMetric, metric, parseMetrics } from './prometheus';

const APP = { Authorization: `Bearer ${TEST_APP_KEY}` };
const ADMIN = { Authorization: `Bearer ${TEST_ADMIN_KEY}` };

const customer = (n: number) => ({
  type: 'individual',
  name: `Metrics Person ${n}`,
  email: `metrics.${n}.${randomUUID().slice(0, 8)}@example.com`,
  country: 'KEN',
  document_type: 'passport',
});

// Scrape, drive real traffic through the API, the worker and the sandbox, scrape again.
describe('metrics after real traffic', () => {
  let sandbox: RunningSandbox;
  let config: AppConfig;
  let api: INestApplication;
  let worker: INestApplicationContext | undefined;
  let workerBase: string;
  const created: string[] = [];

  const apiMetrics = async () => (await request(api.getHttpServer()).get('/metrics').expect(200)).text;
  const workerMetrics = async () => (await request(workerBase).get('/metrics').expect(200)).text;

  beforeAll(async () => {
    sandbox = await startSandbox();
    config = testConfig(await createTestDatabase(), { CELAR_BASE_URL: sandbox.baseUrl, CELAR_REQUESTS_PER_SECOND: '1000' });
    api = await createApiApp(config);
  });

  afterAll(async () => {
    await worker?.close();
    await api?.close();
    await sandbox?.close();
  });

  it('counts API requests by method, route template and status, with latency, and shows the outbox backlog', async () => {
    const before = await apiMetrics();
    expect(metric(before, 'outbox_backlog')).toBe(0);

    const http = request(api.getHttpServer());
    const one = await http.post('/api/v1/customers').set(APP).send(customer(1)).expect(202);
    const bulk = await http.post('/api/v1/customers').set(APP).send([customer(2), customer(3)]).expect(202);
    created.push(one.body.customers[0].id, ...bulk.body.customers.map((c: { id: string }) => c.id));
    await http.get(`/api/v1/customers/${created[0]}`).set(APP).expect(200);
    await http.get(`/api/v1/customers/${randomUUID()}`).set(APP).expect(404);
    await http.post('/api/v1/customers').set(APP).set('Content-Type', 'application/json').send('{"broken":').expect(400);

    const after = await apiMetrics();
    const delta = (name: string, labels: Record<string, string>) => metric(after, name, labels) - metric(before, name, labels);
    expect(delta('http_requests_total', { method: 'POST', route: '/api/v1/customers', status: '202' })).toBe(2);
    expect(delta('http_requests_total', { method: 'GET', route: '/api/v1/customers/:id', status: '200' })).toBe(1);
    expect(delta('http_requests_total', { method: 'GET', route: '/api/v1/customers/:id', status: '404' })).toBe(1);
    // Refused by the body parser, before routing: counted, under no route.
    expect(delta('http_requests_total', { method: 'POST', route: 'unmatched', status: '400' })).toBe(1);
    expect(delta('http_request_duration_seconds_count', { method: 'POST', route: '/api/v1/customers', status: '202' })).toBe(2);
    expect(metric(after, 'http_request_duration_seconds_bucket', { route: '/api/v1/customers', status: '202', le: '+Inf' })).toBe(2);
    // Never a raw id in a label.
    for (const sample of parseMetrics(after)) {
      for (const value of Object.values(sample.labels)) expect(value).not.toMatch(/[0-9a-f]{8}-[0-9a-f]{4}-/);
    }
    // Three accepted creates wait in the outbox (no worker yet), the oldest for some time.
    expect(metric(after, 'outbox_backlog')).toBe(3);
    expect(hasMetric(after, 'sync_oldest_waiting_operation_age_seconds')).toBe(true);
    expect(metric(after, 'sync_oldest_waiting_operation_age_seconds')).toBeGreaterThanOrEqual(0);
    expect(after).toMatch(/^sync_queue_jobs\{queue="customer-sync",state="waiting"\} \d+$/m);
  });

  it('counts sync operations, Celar calls and latency on the worker, and the backlog drains', async () => {
    worker = await createWorkerApp(config);
    workerBase = `http://127.0.0.1:${workerPort(worker)}`;
    const before = await workerMetrics();

    await waitFor(
      () => request(api.getHttpServer()).get('/api/v1/customers?sync_status=synced').set(APP),
      (res) => res.body.total === 3,
    );
    const after = await waitFor(workerMetrics, (text) => metric(text, 'sync_operations_total', { kind: 'create', outcome: 'synced' }) >= 3);

    expect(metric(before, 'sync_operations_total', { kind: 'create', outcome: 'synced' })).toBe(0);
    expect(metric(after, 'sync_operations_total', { kind: 'create', outcome: 'synced' })).toBe(3);
    expect(metric(after, 'sync_operations_total', { outcome: 'failed' })).toBe(0);
    // Creates may go one by one or batched into bulk POSTs: at least one call, each timed.
    const celarCreates = parseMetrics(after).filter((s) => s.name === 'celar_requests_total' && s.labels.route === 'POST /customers');
    const createCalls = celarCreates.reduce((sum, s) => sum + s.value, 0);
    expect(metric(before, 'celar_requests_total', { route: 'POST /customers' })).toBe(0);
    expect(createCalls).toBeGreaterThanOrEqual(1);
    expect(celarCreates.every((s) => /^\d{3}$/.test(s.labels.status))).toBe(true);
    expect(metric(after, 'celar_request_duration_seconds_count', { route: 'POST /customers' })).toBe(createCalls);
    expect(metric(after, 'sync_queue_jobs', { queue: 'customer-sync', state: 'completed' })).toBeGreaterThanOrEqual(1);

    const drained = await waitFor(apiMetrics, (text) => metric(text, 'outbox_backlog') === 0);
    expect(metric(drained, 'sync_oldest_waiting_operation_age_seconds')).toBe(0);
  });

  it('counts reconciliation runs and findings', async () => {
    const http = request(api.getHttpServer());
    const runBalances = async () => {
      const started = await http.post('/api/v1/admin/reconciliations').set(ADMIN).send({ kind: 'balances' }).expect(202);
      const done = await waitFor(
        () => http.get(`/api/v1/admin/reconciliations/${started.body.id}`).set(ADMIN),
        (res) => ['completed', 'partial', 'failed'].includes(res.body.status),
      );
      expect(done.body.status).toBe('completed');
    };
    const before = await workerMetrics();

    await runBalances(); // the first balances are the baseline: no finding
    const synced = await http.get(`/api/v1/customers/${created[0]}`).set(APP).expect(200);
    await sandbox.control.setBalance(synced.body.celar_id, '1250.50');
    await runBalances(); // one balance moved: one finding

    const after = await workerMetrics();
    const runs = (text: string) => metric(text, 'reconciliation_runs_finished_total', { kind: 'balances', status: 'completed' });
    expect(runs(after) - runs(before)).toBe(2);
    const findings = (text: string) => metric(text, 'reconciliation_findings_total', { kind: 'balances', finding: 'balance_changed' });
    expect(findings(after) - findings(before)).toBe(1);
    // Runs by status, from the database (both processes show them), and none left active.
    for (const text of [after, await apiMetrics()]) {
      expect(metric(text, 'reconciliation_runs', { kind: 'balances', status: 'completed' })).toBe(2);
      expect(metric(text, 'reconciliation_runs', { status: 'running' }) + metric(text, 'reconciliation_runs', { status: 'queued' })).toBe(0);
      expect(metric(text, 'reconciliation_oldest_active_run_age_seconds')).toBe(0);
    }
    // The runs' Celar calls drew on the budget as reconciliation, the creates as sync.
    const slots = (text: string, purpose: string) => metric(text, 'celar_budget_slots_total', { purpose });
    expect(slots(after, 'reconcile') - slots(before, 'reconcile')).toBe(6); // 3 customers, 2 runs
    expect(slots(after, 'sync')).toBeGreaterThanOrEqual(1);
    expect(slots(after, 'refresh')).toBe(0);
  });

  it("counts the API's ?refresh=true calls to Celar, and their budget slots as refresh", async () => {
    const before = await apiMetrics();
    await request(api.getHttpServer()).get(`/api/v1/customers/${created[0]}/balance?refresh=true`).set(APP).expect(200);
    const after = await apiMetrics();
    expect(metric(after, 'celar_budget_slots_total', { purpose: 'refresh' }) - metric(before, 'celar_budget_slots_total', { purpose: 'refresh' })).toBe(1);
    expect(metric(after, 'celar_requests_total', { route: 'GET /customers/:id/balance' })).toBe(1);
  });

  it('includes the Node defaults on both processes', async () => {
    for (const text of [await apiMetrics(), await workerMetrics()]) {
      for (const name of ['process_cpu_seconds_total', 'process_resident_memory_bytes', 'nodejs_heap_size_used_bytes', 'nodejs_eventloop_lag_seconds']) {
        expect(hasMetric(text, name)).toBe(true);
      }
    }
  });
});
