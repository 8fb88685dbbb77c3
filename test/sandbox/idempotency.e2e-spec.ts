import { setTimeout as sleep } from 'node:timers/promises';
import { RunningSandbox, startSandbox } from '@app/testing';
import { call, individual } from './sandbox-http';

describe('Celar sandbox: Idempotency-Key', () => {
  let sandbox: RunningSandbox;
  const api = (method: string, path: string, options?: Parameters<typeof call>[3]) => call(sandbox.baseUrl, method, path, options);
  const keyed = (key: string, method: string, path: string, body?: unknown, apiKey?: string) =>
    api(method, path, { body, key: apiKey, headers: { 'idempotency-key': key } });

  beforeAll(async () => {
    sandbox = await startSandbox({ apiKeys: ['sandbox_key', 'second_key'] });
  });
  afterAll(() => sandbox.close());
  beforeEach(() => sandbox.control.reset());

  it('replays the first create with the same status and body, creating nothing more', async () => {
    const body = individual();
    const first = await keyed('k-create-1', 'POST', '/customers', body);
    expect(first.status).toBe(201);
    const again = await keyed('k-create-1', 'POST', '/customers', body);
    expect(again.status).toBe(201);
    expect(again.body).toEqual(first.body);
    expect(await sandbox.control.customers()).toHaveLength(1);
    const log = await sandbox.control.requestLog({ method: 'POST' });
    expect(log.map((e) => [e.outcome, e.acted, e.idempotencyKey])).toEqual([
      ['ok', true, 'k-create-1'],
      ['replayed', false, 'k-create-1'],
    ]);
  });

  it('treats a body with its keys in another order as the same request', async () => {
    const body = individual();
    const reordered = Object.fromEntries(Object.entries(body).reverse());
    await keyed('k-order', 'POST', '/customers', body);
    expect((await keyed('k-order', 'POST', '/customers', reordered)).status).toBe(201);
    expect(await sandbox.control.customers()).toHaveLength(1);
  });

  it('answers 422 when the key comes back with another body or route, acting on neither', async () => {
    const body = individual();
    await keyed('k-reuse', 'POST', '/customers', body);
    const other = await keyed('k-reuse', 'POST', '/customers', { ...body, name: 'Someone Else' });
    expect(other.status).toBe(422);
    expect(other.body.error.code).toBe('idempotency_key_reused');
    const [c] = await sandbox.control.customers();
    const patch = await keyed('k-reuse', 'PATCH', `/customers/${c.id}`, { name: 'Renamed' });
    expect(patch.status).toBe(422);
    expect((await sandbox.control.customers()).map((x) => x.name)).toEqual([body.name]);
  });

  it('replays a PATCH (the stored answer, even after later changes) and a DELETE (no 409 on the repeat)', async () => {
    const [c] = (await api('POST', '/customers', { body: individual() })).body.customers;
    const patched = await keyed('k-patch', 'PATCH', `/customers/${c.id}`, { name: 'First Name' });
    await api('PATCH', `/customers/${c.id}`, { body: { address: 'Elsewhere' } });
    const replay = await keyed('k-patch', 'PATCH', `/customers/${c.id}`, { name: 'First Name' });
    expect(replay.status).toBe(200);
    expect(replay.body).toEqual(patched.body);
    const deleted = await keyed('k-delete', 'DELETE', `/customers/${c.id}`);
    const deletedAgain = await keyed('k-delete', 'DELETE', `/customers/${c.id}`);
    expect(deletedAgain.status).toBe(200);
    expect(deletedAgain.body).toEqual(deleted.body);
    // without the key, the repeat is a conflict
    expect((await api('DELETE', `/customers/${c.id}`)).status).toBe(409);
  });

  it('does not store a refused request: the key stays usable', async () => {
    const bad = await keyed('k-bad', 'POST', '/customers', individual({ country: 'ke' }));
    expect(bad.status).toBe(400);
    const fixed = await keyed('k-bad', 'POST', '/customers', individual());
    expect(fixed.status).toBe(201);
    expect(await sandbox.control.customers()).toHaveLength(1);
  });

  it('keeps keys per API key', async () => {
    const a = individual();
    const b = individual();
    expect((await keyed('k-shared', 'POST', '/customers', a, 'sandbox_key')).status).toBe(201);
    expect((await keyed('k-shared', 'POST', '/customers', b, 'second_key')).status).toBe(201);
    expect(await sandbox.control.customers()).toHaveLength(2);
  });

  it('answers 409 to the same key while the first request is still running', async () => {
    await sandbox.control.addFault({ kind: 'latency', latencyMs: 1000, method: 'POST', count: 1 });
    const body = individual();
    const slow = keyed('k-inflight', 'POST', '/customers', body);
    // the slow call holds the key before its delay; wait until the sandbox has seen it
    for (let i = 0; i < 100 && (await sandbox.control.stats()).faultsFired.latency !== 1; i++) await sleep(10);
    const concurrent = await keyed('k-inflight', 'POST', '/customers', body);
    expect(concurrent.status).toBe(409);
    expect(concurrent.body.error.code).toBe('idempotency_key_in_use');
    const done = await slow;
    expect(done.status).toBe(201);
    expect(await sandbox.control.customers()).toHaveLength(1);
    // once finished, the key replays
    expect((await keyed('k-inflight', 'POST', '/customers', body)).body).toEqual(done.body);
  });

  it('ignores keys when switched off: a repeat creates a duplicate (emails allowed) or meets the email check', async () => {
    await sandbox.control.setSettings({ ignoreIdempotencyKeys: true });
    const body = individual();
    expect((await keyed('k-ignored', 'POST', '/customers', body)).status).toBe(201);
    const repeat = await keyed('k-ignored', 'POST', '/customers', body);
    expect(repeat.status).toBe(409);
    expect(repeat.body.error.code).toBe('email_taken');

    await sandbox.control.setSettings({ allowDuplicateEmails: true });
    expect((await keyed('k-ignored', 'POST', '/customers', body)).status).toBe(201);
    const holders = await sandbox.control.customers({ email: body.email as string });
    expect(holders).toHaveLength(2);
    expect(holders[0].id).not.toBe(holders[1].id);
  });

  it('ignores keys on GET', async () => {
    expect((await api('GET', '/customers', { headers: { 'idempotency-key': 'k-get' } })).status).toBe(200);
    expect((await api('GET', '/customers?limit=5', { headers: { 'idempotency-key': 'k-get' } })).status).toBe(200);
  });

  it('refuses a key over 255 characters', async () => {
    const res = await keyed('k'.repeat(256), 'POST', '/customers', individual());
    expect(res.status).toBe(400);
    expect(await sandbox.control.customers()).toHaveLength(0);
  });
});
