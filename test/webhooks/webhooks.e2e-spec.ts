import { setTimeout as sleep } from 'node:timers/promises';
import { INestApplicationContext } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { inTransaction } from '@app/database';
import { TEST_APP_KEY, startWebhookReceiver, WebhookReceiver } from '@app/testing';
import { WebhookEvents } from '@app/webhooks';
import { workerPort } from '../../apps/worker/src/worker-app';
import { metric } from '../operations/prometheus';
import { Stack, startStack } from '../support/stack';
import { createCustomers, customerInput, deactivateCustomer, http, updateCustomer, waitUntilSettled } from '../sync/sync-kit';
import { ADMIN, Endpoint, events, pendingDeliveries, subscribe, waitFor, WEBHOOK_TEST_ENV } from './webhook-kit';

jest.setTimeout(180_000);

// Through the real API, worker (in this process) and sandbox, to a receiver that verifies
// every signature with the standardwebhooks library.
describe('events to PSP apps', () => {
  let stack: Stack;
  let receiver: WebhookReceiver;
  let worker: INestApplicationContext;
  let all: Endpoint;
  let failedOnly: Endpoint;
  const refusedEmail = customerInput('hook', 2).email as string;

  beforeAll(async () => {
    receiver = await startWebhookReceiver();
    stack = await startStack({
      env: WEBHOOK_TEST_ENV,
      workers: 0,
      faults: [{ kind: 'reject', method: 'POST', email: [refusedEmail], message: 'tax id could not be verified' }],
    });
    all = await subscribe(stack, receiver, 'all');
    failedOnly = await subscribe(stack, receiver, 'failed-only', ['customer.sync_failed']);
    worker = await stack.startWorker();
  });

  afterAll(async () => {
    await stack?.close();
    await receiver?.close();
  });

  async function workerMetrics(): Promise<string> {
    const port = workerPort(worker);
    return (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  }

  it('refuses bad endpoints with 400 in the error shape: no URL, a non-http URL, an unknown type, an unknown field', async () => {
    const bad = [{}, { url: 'ftp://example.com/hooks' }, { url: 'not a url' }, { url: 'https://a.example/h', types: ['customer.exploded'] }, { url: 'https://a.example/h', secret: 'mine' }];
    for (const body of bad) {
      const res = await http(stack).post('/api/v1/admin/webhook-endpoints').set(ADMIN).send(body).expect(400);
      expect(res.body.error.code).toBe('validation_failed');
      expect(res.body.error.details.length).toBeGreaterThan(0);
    }
    await http(stack).post('/api/v1/admin/webhook-endpoints').set('Authorization', `Bearer ${TEST_APP_KEY}`).send({ url: 'http://127.0.0.1:1/x' }).expect(403);
    await http(stack).patch(`/api/v1/admin/webhook-endpoints/${all.id}`).set(ADMIN).send({}).expect(400);
    await http(stack).patch(`/api/v1/admin/webhook-endpoints/${all.id}`).set(ADMIN).send({ url: 'mailto:a@b.c' }).expect(400);
    await http(stack).post(`/api/v1/admin/webhook-endpoints/${all.id}/recover`).set(ADMIN).send({ since: 'yesterday' }).expect(400);
    await http(stack).get('/api/v1/admin/webhook-endpoints/00000000-0000-4000-8000-000000000000/deliveries').set(ADMIN).expect(404);
    await http(stack).get(`/api/v1/admin/webhook-endpoints/${all.id}/deliveries?limit=0`).set(ADMIN).expect(400);
  });

  it('shows the secret once: 201 with whsec_ and types null for every type; the list has no secret', async () => {
    expect(all).toEqual({
      id: expect.any(String),
      url: receiver.endpointUrl('all'),
      types: null,
      description: 'test all',
      enabled: true,
      secret: expect.stringMatching(/^whsec_[A-Za-z0-9+/]+=*$/),
      created_at: expect.any(String),
    });
    const list = await http(stack).get('/api/v1/admin/webhook-endpoints').set(ADMIN).expect(200);
    expect(list.body.endpoints).toEqual([
      { id: all.id, url: all.url, types: null, description: 'test all', enabled: true, created_at: all.created_at },
      expect.objectContaining({ id: failedOnly.id, types: ['customer.sync_failed'] }),
    ]);
  });

  it('delivers every event type, signed, with the contract body; the types filter holds', async () => {
    const ids = await createCustomers(stack, [customerInput('hook', 1), customerInput('hook', 2)]);
    await waitUntilSettled(stack.db);
    await updateCustomer(stack, ids[0], { name: 'Renamed Customer' });
    await deactivateCustomer(stack, ids[0]);
    await waitUntilSettled(stack.db);
    const run = await http(stack).post('/api/v1/admin/reconciliations').set(ADMIN).send({ kind: 'balances' }).expect(202);
    // The cases lib calls this in its own transaction; here the test stands in for it.
    const openedCase = { id: 'case-1', kind: 'field_drift', status: 'open', customer_id: ids[1], field: 'name' };
    await inTransaction(stack.api.get(DataSource), (sql) => WebhookEvents.appendCaseOpened(sql, openedCase));

    const types = ['customer.synced', 'customer.updated', 'customer.deactivated', 'customer.sync_failed', 'reconciliation.run_finished', 'reconciliation.case_opened'];
    await waitFor('every type at the "all" endpoint', () => types.every((t) => receiver.accepted('all').some((r) => r.type === t)));

    const got = receiver.accepted('all');
    expect(got.every((r) => r.verified)).toBe(true);
    expect(receiver.received.filter((r) => !r.verified)).toEqual([]);
    const byType = (t: string) => got.find((r) => r.type === t)!;
    expect(byType('customer.synced').body).toEqual({
      id: byType('customer.synced').webhookId,
      type: 'customer.synced',
      created_at: expect.stringMatching(/Z$/),
      data: { customer: expect.objectContaining({ id: ids[0], sync_status: expect.any(String), celar_id: expect.stringMatching(/^cr_/) }) },
    });
    expect(byType('customer.updated').body.data).toEqual({ customer: expect.objectContaining({ id: ids[0], name: 'Renamed Customer' }) });
    expect(byType('customer.deactivated').body.data).toEqual({ customer: expect.objectContaining({ id: ids[0], is_active: false }) });
    expect(byType('customer.sync_failed').body.data).toEqual({
      customer: expect.objectContaining({ id: ids[1], sync_status: 'failed', sync_error: expect.objectContaining({ message: expect.stringContaining('tax id') }) }),
    });
    expect(byType('reconciliation.run_finished').body.data).toEqual({ run: expect.objectContaining({ id: run.body.id, kind: 'balances', status: 'completed' }) });
    expect(byType('reconciliation.case_opened').body.data).toEqual({ case: openedCase });
    // The timestamp is the attempt's: within a few seconds of when it arrived.
    for (const r of got) expect(Math.abs(r.timestamp * 1000 - r.at)).toBeLessThan(5000);
    // Customer 1's events arrived in the order they happened.
    expect(got.filter((r) => r.customerId === ids[0]).map((r) => r.type)).toEqual(['customer.synced', 'customer.updated', 'customer.deactivated']);

    // The filtered endpoint got only its type.
    await waitFor('the filtered endpoint', () => receiver.accepted('failed-only').length > 0);
    expect(receiver.received.filter((r) => r.endpoint === 'failed-only').map((r) => r.type)).toEqual(['customer.sync_failed']);
  });

  it('lists deliveries newest event first, with the contract fields and pagination', async () => {
    await waitFor('no pending deliveries', async () => (await pendingDeliveries(stack.db)) === 0);
    const page = await http(stack).get(`/api/v1/admin/webhook-endpoints/${all.id}/deliveries?limit=2`).set(ADMIN).expect(200);
    const ordered = (await events(stack.db)).reverse();
    const total = ordered.length;
    expect(page.body).toEqual({ deliveries: expect.any(Array), total, limit: 2, offset: 0 });
    expect(page.body.deliveries).toHaveLength(2);
    expect(page.body.deliveries[0]).toEqual({
      event_id: ordered[0].id,
      type: ordered[0].type,
      status: 'delivered',
      attempts: 1,
      last_status_code: 200,
      last_attempt_at: expect.any(String),
      next_attempt_at: null,
    });
    const rest = await http(stack).get(`/api/v1/admin/webhook-endpoints/${all.id}/deliveries?limit=100&offset=2`).set(ADMIN).expect(200);
    expect(rest.body.deliveries).toHaveLength(total - 2);
    expect([...page.body.deliveries, ...rest.body.deliveries].map((d: { event_id: string }) => d.event_id)).toEqual(ordered.map((e) => e.id));
  });

  it('recover sends the events since a time again, with their original ids', async () => {
    const before = receiver.accepted('all').length;
    const everything = await events(stack.db);
    const res = await http(stack).post(`/api/v1/admin/webhook-endpoints/${all.id}/recover`).set(ADMIN).send({ since: '2000-01-01T00:00:00Z' }).expect(202);
    expect(res.body).toEqual({ queued: everything.length });
    await waitFor('the recovered events', () => receiver.accepted('all').length >= before + everything.length);
    const again = receiver.accepted('all').slice(before).map((r) => r.webhookId);
    expect(new Set(again)).toEqual(new Set(everything.map((e) => e.id)));
    // A recover adds rows to the log: one per event and endpoint, twice now.
    const log = await http(stack).get(`/api/v1/admin/webhook-endpoints/${all.id}/deliveries`).set(ADMIN).expect(200);
    expect(log.body.total).toBe(2 * everything.length);
    // The filtered endpoint recovers only its types.
    const filtered = await http(stack).post(`/api/v1/admin/webhook-endpoints/${failedOnly.id}/recover`).set(ADMIN).send({ since: '2000-01-01T00:00:00Z' }).expect(202);
    expect(filtered.body).toEqual({ queued: 1 });
  });

  it('a deleted endpoint gets nothing more; a disabled one gets nothing until it is enabled again', async () => {
    await http(stack).delete(`/api/v1/admin/webhook-endpoints/${failedOnly.id}`).set(ADMIN).expect(204);
    await http(stack).delete(`/api/v1/admin/webhook-endpoints/${failedOnly.id}`).set(ADMIN).expect(404);
    const paused = await http(stack).patch(`/api/v1/admin/webhook-endpoints/${all.id}`).set(ADMIN).send({ enabled: false }).expect(200);
    expect(paused.body).toEqual(expect.objectContaining({ id: all.id, enabled: false }));
    expect(paused.body.secret).toBeUndefined();
    const before = receiver.received.length;

    await stack.sandbox.control.addFault({ kind: 'reject', method: 'POST', email: [customerInput('late', 0).email as string], message: 'refused again' });
    const [late] = await createCustomers(stack, [customerInput('late', 0)]);
    await waitUntilSettled(stack.db);
    // Disabled when the event was written: no delivery for it, and nothing sent.
    await sleep(1000);
    expect(receiver.received.length).toBe(before);

    await http(stack).patch(`/api/v1/admin/webhook-endpoints/${all.id}`).set(ADMIN).send({ enabled: true }).expect(200);
    await updateCustomer(stack, (await createCustomers(stack, [customerInput('late', 1)]))[0], { name: 'After Enable' });
    await waitUntilSettled(stack.db);
    await waitFor('the update after re-enabling', () => receiver.accepted('all').some((r) => r.type === 'customer.updated' && r.body.data && JSON.stringify(r.body.data).includes('After Enable')));
    expect(receiver.received.filter((r) => r.endpoint === 'failed-only').some((r) => r.customerId === late)).toBe(false);
  });

  it('disables an endpoint that has failed every delivery for days, and counts it', async () => {
    const broken = await subscribe(stack, receiver, 'broken', ['customer.synced']);
    receiver.setSecret('broken', 'whsec_' + Buffer.alloc(32, 7).toString('base64'));
    // Its streak of failures began four days ago (waiting that long is not a test).
    await stack.db.query(`UPDATE webhook_endpoints SET failing_since = now() - interval '4 days' WHERE id = $1`, [broken.id]);
    await createCustomers(stack, [customerInput('broken', 0)]);
    await waitFor('the endpoint disabled', async () => {
      const list = await http(stack).get('/api/v1/admin/webhook-endpoints').set(ADMIN).expect(200);
      return list.body.endpoints.find((e: Endpoint) => e.id === broken.id)?.enabled === false;
    });
    // The receiver refused the bad signature (401): the delivery stays pending for a re-enable.
    expect(receiver.received.filter((r) => r.endpoint === 'broken').every((r) => r.status === 401)).toBe(true);
    expect(await pendingDeliveries(stack.db, broken.id)).toBe(1);
    const text = await workerMetrics();
    expect(metric(text, 'webhook_endpoints_disabled_total')).toBe(1);
    expect(metric(text, 'webhook_deliveries_total', { outcome: 'delivered' })).toBeGreaterThan(0);
    expect(metric(text, 'webhook_deliveries_total', { outcome: 'retry' })).toBeGreaterThan(0);
    expect(metric(text, 'webhook_delivery_attempts_total', { result: '4xx' })).toBeGreaterThan(0);
    expect(text).toMatch(/^webhook_oldest_undelivered_age_seconds \d/m);
  });
});
