// The admin reconciliation routes of the contract: list, start, one run with its findings, CSV.
import request from 'supertest';
import { randomUUID } from 'node:crypto';
import { createApiApp } from '../../apps/api/src/api-app';
import { Stack, startStack } from '../support/stack';
import { RunBody, seedCustomers, startRun, trigger, waitForRun } from './reconciliation-kit';
import { ADMIN_AUTH, APP_AUTH } from '@app/testing';

const FINDING_FIELDS = ['id', 'run_id', 'kind', 'customer_id', 'celar_id', 'field', 'expected', 'actual', 'delta', 'message', 'created_at'];

describe('admin reconciliation routes (e2e)', () => {
  let stack: Stack;
  let baseline: RunBody;
  let changed: RunBody;

  beforeAll(async () => {
    stack = await startStack({ workerRuns: 'reconciliation' });
    const customers = await seedCustomers(stack, 25);
    baseline = await waitForRun(stack, (await startRun(stack, 'balances')).id);
    for (const [i, c] of customers.entries()) await stack.sandbox.control.setBalance(c.celarId, `${i + 1}.5`);
    changed = await waitForRun(stack, (await startRun(stack, 'balances')).id);
  });

  afterAll(async () => {
    await stack?.close();
  });

  it('lists runs newest first, paginated', async () => {
    const res = await request(stack.http).get('/api/v1/admin/reconciliations').set(ADMIN_AUTH).expect(200);
    expect(res.body).toMatchObject({ total: 2, limit: 20, offset: 0 });
    expect(res.body.runs.map((r: RunBody) => r.id)).toEqual([changed.id, baseline.id]);
    const run = res.body.runs[0];
    expect(Object.keys(run).sort()).toEqual(
      ['id', 'kind', 'trigger', 'status', 'progress', 'started_at', 'finished_at', 'created_at', 'counts', 'totals', 'error', 'eta_seconds'].sort(),
    );
    expect(run).toMatchObject({ kind: 'balances', trigger: 'manual', status: 'completed', progress: { done: 25, total: 25 } });
    // An estimate only while a run is running.
    expect(run.eta_seconds).toBeNull();
    expect(run.counts).toEqual({ customers_checked: 25, balances_changed: 25, findings: 25, errors: 0 });

    const second = await request(stack.http).get('/api/v1/admin/reconciliations?limit=1&offset=1').set(ADMIN_AUTH).expect(200);
    expect(second.body).toMatchObject({ total: 2, limit: 1, offset: 1 });
    expect(second.body.runs.map((r: RunBody) => r.id)).toEqual([baseline.id]);
  });

  it('refuses bad paging: never clamped', async () => {
    for (const query of ['limit=0', 'limit=101', 'limit=abc', 'offset=-1', 'sort=asc']) {
      const res = await request(stack.http).get(`/api/v1/admin/reconciliations?${query}`).set(ADMIN_AUTH).expect(400);
      expect(res.body.error.code).toBe('validation_failed');
    }
  });

  it('gives one run with its findings, paginated by limit and offset', async () => {
    const page = await request(stack.http).get(`/api/v1/admin/reconciliations/${changed.id}?limit=10&offset=20`).set(ADMIN_AUTH).expect(200);
    expect(page.body).toMatchObject({ id: changed.id, status: 'completed', findings_total: 25 });
    expect(page.body.findings).toHaveLength(5);
    const finding = page.body.findings[0];
    expect(Object.keys(finding).sort()).toEqual([...FINDING_FIELDS].sort());
    expect(finding).toMatchObject({ run_id: changed.id, kind: 'balance_changed', field: 'balance', expected: '0.00' });
    expect(typeof finding.delta).toBe('string');

    const first = await request(stack.http).get(`/api/v1/admin/reconciliations/${changed.id}`).set(ADMIN_AUTH).expect(200);
    expect(first.body.findings).toHaveLength(20);
    const ids = [...first.body.findings, ...page.body.findings].map((f: { id: number }) => f.id);
    expect(new Set(ids).size).toBe(25);

    await request(stack.http).get(`/api/v1/admin/reconciliations/${changed.id}?limit=0`).set(ADMIN_AUTH).expect(400);
    await request(stack.http).get(`/api/v1/admin/reconciliations/${changed.id}?format=xml`).set(ADMIN_AUTH).expect(400);
  });

  it('exports all findings as CSV with a header row of the finding fields (?format=csv or Accept: text/csv)', async () => {
    const res = await request(stack.http).get(`/api/v1/admin/reconciliations/${changed.id}?format=csv&limit=5`).set(ADMIN_AUTH).expect(200);
    expect(res.headers['content-type']).toMatch(/^text\/csv/);
    const lines = res.text.trim().split('\r\n');
    expect(lines[0]).toBe(FINDING_FIELDS.join(','));
    expect(lines).toHaveLength(26);
    const row = lines[1].split(',');
    expect(row[1]).toBe(changed.id);
    expect(row[2]).toBe('balance_changed');
    expect(row[7]).toMatch(/^\d+\.5$/);

    const byAccept = await request(stack.http).get(`/api/v1/admin/reconciliations/${changed.id}`).set(ADMIN_AUTH).set('Accept', 'text/csv').expect(200);
    expect(byAccept.text).toBe(res.text);
    const empty = await request(stack.http).get(`/api/v1/admin/reconciliations/${baseline.id}?format=csv`).set(ADMIN_AUTH).expect(200);
    expect(empty.text).toBe(`${FINDING_FIELDS.join(',')}\r\n`);
  });

  it('answers 404 for an unknown run id, in JSON and CSV', async () => {
    for (const id of [randomUUID(), 'not-a-run']) {
      const res = await request(stack.http).get(`/api/v1/admin/reconciliations/${id}`).set(ADMIN_AUTH).expect(404);
      expect(res.body.error.code).toBe('not_found');
      await request(stack.http).get(`/api/v1/admin/reconciliations/${id}?format=csv`).set(ADMIN_AUTH).expect(404);
    }
  });

  it('validates the start request', async () => {
    for (const body of [{}, { kind: 'everything' }, { kind: 'balances', extra: 1 }, [], { kind: 7 }]) {
      const res = await request(stack.http).post('/api/v1/admin/reconciliations').set(ADMIN_AUTH).send(body).expect(400);
      expect(res.body.error.code).toBe('validation_failed');
    }
    await request(stack.http).post('/api/v1/admin/reconciliations').set(ADMIN_AUTH).set('Content-Type', 'text/plain').send('kind=balances').expect(415);
    const { rows } = await stack.db.query(`SELECT count(*)::int AS n FROM reconciliation_runs`);
    expect(rows[0].n).toBe(2);
  });

  it('needs an admin key: an app key gets 403, no key 401', async () => {
    await request(stack.http).get('/api/v1/admin/reconciliations').set(APP_AUTH).expect(403);
    await request(stack.http).get(`/api/v1/admin/reconciliations/${changed.id}`).set(APP_AUTH).expect(403);
    const refused = await trigger(stack, 'balances', APP_AUTH).expect(403);
    expect(refused.body.error.code).toBe('forbidden');
    await request(stack.http).get('/api/v1/admin/reconciliations').expect(401);
  });

  it('answers 503 dependency_down when Redis is unreachable, and leaves no run behind', async () => {
    const api = await createApiApp({ ...stack.config, redisUrl: 'redis://127.0.0.1:1' });
    try {
      const res = await request(api.getHttpServer()).post('/api/v1/admin/reconciliations').set(ADMIN_AUTH).send({ kind: 'records' }).expect(503);
      expect(res.body.error.code).toBe('dependency_down');
      const { rows } = await stack.db.query(`SELECT count(*)::int AS n FROM reconciliation_runs WHERE kind = 'records'`);
      expect(rows[0].n).toBe(0);
    } finally {
      await api.close();
    }
  });
});
