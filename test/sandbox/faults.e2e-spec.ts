import { RunningSandbox, SandboxControlError, startSandbox } from '@app/testing';
import { call, individual } from './sandbox-http';

describe('Celar sandbox: faults', () => {
  let sandbox: RunningSandbox;
  const api = (method: string, path: string, options?: Parameters<typeof call>[3]) => call(sandbox.baseUrl, method, path, options);
  const createOne = async () => (await api('POST', '/customers', { body: individual() })).body.customers[0] as { id: string; email: string };

  beforeAll(async () => {
    sandbox = await startSandbox();
  });
  afterAll(() => sandbox.close());
  beforeEach(() => sandbox.control.reset());

  it('latency delays the answer by at least the given time', async () => {
    await sandbox.control.addFault({ kind: 'latency', latencyMs: 300, method: 'GET', path: '/customers' });
    const started = Date.now();
    const res = await api('GET', '/customers');
    expect(res.status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    const [entry] = await sandbox.control.requestLog();
    expect(entry.outcome).toBe('fault:latency');
  });

  it('error answers a 5xx before acting, for the next `count` matching requests only', async () => {
    await sandbox.control.addFault({ kind: 'error', status: 503, method: 'POST', count: 2 });
    const body = individual();
    for (let i = 0; i < 2; i++) {
      const res = await api('POST', '/customers', { body });
      expect(res.status).toBe(503);
      expect(res.body.error.code).toBe('service_unavailable');
    }
    expect(await sandbox.control.customers()).toHaveLength(0);
    expect(await sandbox.control.faults()).toEqual([]);
    expect((await api('POST', '/customers', { body })).status).toBe(201);
    const log = await sandbox.control.requestLog();
    expect(log.map((e) => [e.status, e.outcome, e.acted])).toEqual([
      [503, 'fault:error', false],
      [503, 'fault:error', false],
      [201, 'ok', true],
    ]);
  });

  it('error defaults to 500 and can use other 5xx statuses', async () => {
    await sandbox.control.addFault({ kind: 'error', count: 1 });
    const plain = await api('GET', '/customers');
    expect(plain.status).toBe(500);
    expect(plain.body.error.code).toBe('internal_error');
    await sandbox.control.addFault({ kind: 'error', status: 502, count: 1 });
    expect((await api('GET', '/customers')).status).toBe(502);
  });

  it('rate_limited answers 429 with Retry-After, acting on nothing', async () => {
    await sandbox.control.addFault({ kind: 'rate_limited', retryAfterSeconds: 7, count: 1 });
    const res = await api('POST', '/customers', { body: individual() });
    expect(res.status).toBe(429);
    expect(res.headers['retry-after']).toBe('7');
    expect(res.body.error.code).toBe('rate_limited');
    expect(await sandbox.control.customers()).toHaveLength(0);
    expect((await sandbox.control.stats()).rateLimited).toBe(1);
  });

  it('the rateLimit setting answers 429 with Retry-After past its budget, and stops when lifted', async () => {
    await sandbox.control.setRateLimit(1, 1);
    const statuses: number[] = [];
    let retryAfter: string | undefined;
    for (let i = 0; i < 10; i++) {
      const res = await api('GET', '/customers');
      statuses.push(res.status);
      if (res.status === 429) retryAfter = res.headers['retry-after'] as string;
    }
    expect(statuses[0]).toBe(200);
    const limited = statuses.filter((s) => s === 429).length;
    expect(limited).toBeGreaterThan(0);
    expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
    const stats = await sandbox.control.stats();
    expect(stats.rateLimited).toBe(limited);
    expect(stats.rateLimit).toEqual({ requestsPerSecond: 1, burst: 1 });
    const log = await sandbox.control.requestLog({ outcome: 'rate_limited' });
    expect(log).toHaveLength(limited);

    await sandbox.control.setRateLimit(null);
    for (let i = 0; i < 5; i++) expect((await api('GET', '/customers')).status).toBe(200);
  });

  it('act_then_error performs the create, then answers 5xx; a retry with the key replays it', async () => {
    await sandbox.control.addFault({ kind: 'act_then_error', status: 503, method: 'POST', path: '/customers', count: 1 });
    const body = individual();
    const res = await api('POST', '/customers', { body, headers: { 'idempotency-key': 'k-ate' } });
    expect(res.status).toBe(503);
    const created = await sandbox.control.customers({ email: body.email as string });
    expect(created).toHaveLength(1);
    const retry = await api('POST', '/customers', { body, headers: { 'idempotency-key': 'k-ate' } });
    expect(retry.status).toBe(201);
    expect(retry.body.customers[0].id).toBe(created[0].id);
    expect(await sandbox.control.customers()).toHaveLength(1);
    const [entry] = await sandbox.control.requestLog({ outcome: 'fault:act_then_error' });
    expect(entry).toMatchObject({ status: 503, acted: true, customerIds: [created[0].id] });
  });

  it('act_then_error on a DELETE deactivates the customer', async () => {
    const c = await createOne();
    await sandbox.control.addFault({ kind: 'act_then_error', method: 'DELETE', count: 1 });
    expect((await api('DELETE', `/customers/${c.id}`)).status).toBe(500);
    expect((await sandbox.control.customer(c.id))?.customer.is_active).toBe(false);
  });

  it('act_then_drop performs the create, then drops the connection without answering', async () => {
    await sandbox.control.addFault({ kind: 'act_then_drop', method: 'POST', count: 1 });
    const body = individual();
    await expect(api('POST', '/customers', { body })).rejects.toMatchObject({ code: expect.stringMatching(/ECONNRESET|socket hang up/i) });
    expect(await sandbox.control.customers({ email: body.email as string })).toHaveLength(1);
    const [entry] = await sandbox.control.requestLog({ method: 'POST' });
    expect(entry).toMatchObject({ status: null, outcome: 'fault:act_then_drop', acted: true });
    expect((await sandbox.control.stats()).dropped).toBe(1);
  });

  it('act_then_drop on a PATCH applies the change', async () => {
    const c = await createOne();
    await sandbox.control.addFault({ kind: 'act_then_drop', method: 'PATCH', path: '/customers/:id', count: 1 });
    await expect(api('PATCH', `/customers/${c.id}`, { body: { name: 'Changed Anyway' } })).rejects.toBeDefined();
    expect((await sandbox.control.customer(c.id))?.customer.name).toBe('Changed Anyway');
  });

  it('drop_before drops the connection and does nothing', async () => {
    await sandbox.control.addFault({ kind: 'drop_before', method: 'POST', count: 1 });
    const body = individual();
    await expect(api('POST', '/customers', { body })).rejects.toMatchObject({ code: expect.stringMatching(/ECONNRESET|socket hang up/i) });
    expect(await sandbox.control.customers()).toHaveLength(0);
    const [entry] = await sandbox.control.requestLog({ method: 'POST' });
    expect(entry).toMatchObject({ status: null, outcome: 'fault:drop_before', acted: false });
    // the next request is served
    expect((await api('POST', '/customers', { body })).status).toBe(201);
  });

  it('reject answers a permanent 400 for chosen emails until cleared', async () => {
    const bodies = Array.from({ length: 20 }, () => individual());
    const refused = [bodies[3], bodies[9], bodies[15]].map((b) => b.email as string);
    await sandbox.control.addFault({ kind: 'reject', email: refused.map((e) => e.toUpperCase()), message: 'sanctions screening failed' });
    const statuses: number[] = [];
    for (const body of bodies) {
      const res = await api('POST', '/customers', { body });
      statuses.push(res.status);
      if (res.status === 400) expect(res.body.error).toMatchObject({ code: 'customer_rejected', message: 'sanctions screening failed' });
    }
    expect(statuses.filter((s) => s === 400)).toHaveLength(3);
    expect([statuses[3], statuses[9], statuses[15]]).toEqual([400, 400, 400]);
    // permanent: a retry is refused again
    expect((await api('POST', '/customers', { body: bodies[3] })).status).toBe(400);
    expect(await sandbox.control.customers()).toHaveLength(17);

    await sandbox.control.clearFaults();
    for (const i of [3, 9, 15]) expect((await api('POST', '/customers', { body: bodies[i] })).status).toBe(201);
    expect(await sandbox.control.customers()).toHaveLength(20);
  });

  it('reject in a bulk names the matched items and creates nothing; it also stops changes to such a customer', async () => {
    const c = await createOne();
    const other = individual();
    await sandbox.control.addFault({ kind: 'reject', email: [c.email, other.email as string] });
    const bulk = await api('POST', '/customers', { body: [individual(), other] });
    expect(bulk.status).toBe(400);
    expect(bulk.body.error.details).toEqual([expect.objectContaining({ index: 1, field: 'email' })]);
    expect((await api('PATCH', `/customers/${c.id}`, { body: { name: 'New Name' } })).status).toBe(400);
    // reads are not refused
    expect((await api('GET', `/customers/${c.id}`)).status).toBe(200);
    expect(await sandbox.control.customers()).toHaveLength(1);
  });

  it('matches rules by method and path', async () => {
    const c = await createOne();
    await sandbox.control.addFault({ kind: 'error', method: 'GET', path: '/api/v1/customers/*/balance' });
    expect((await api('GET', `/customers/${c.id}/balance`)).status).toBe(500);
    expect((await api('GET', `/customers/${c.id}`)).status).toBe(200);
    expect((await api('GET', '/customers')).status).toBe(200);
    expect((await api('PATCH', `/customers/${c.id}`, { body: { name: 'Still Works' } })).status).toBe(200);
  });

  it('draws probabilities from a seed when given one, so a run can be replayed', async () => {
    const run = async () => {
      await sandbox.control.reset();
      await sandbox.control.setSettings({ seed: 42 });
      await sandbox.control.addFault({ kind: 'error', probability: 0.5, method: 'GET' });
      const statuses: number[] = [];
      for (let i = 0; i < 40; i++) statuses.push((await api('GET', '/customers')).status);
      return statuses;
    };
    const first = await run();
    expect(first).toContain(500);
    expect(first).toContain(200);
    expect(await run()).toEqual(first);
  });

  it('probability 0 never triggers', async () => {
    await sandbox.control.addFault({ kind: 'error', probability: 0 });
    for (let i = 0; i < 20; i++) expect((await api('GET', '/customers')).status).toBe(200);
  });

  it('lists, removes and validates rules', async () => {
    const [a, b] = await sandbox.control.addFaults([
      { kind: 'latency', latencyMs: 1 },
      { kind: 'error', status: 504, count: 3 },
    ]);
    expect(await sandbox.control.faults()).toEqual([
      expect.objectContaining({ id: a.id, kind: 'latency', remaining: null, fired: 0 }),
      expect.objectContaining({ id: b.id, kind: 'error', remaining: 3 }),
    ]);
    await sandbox.control.removeFault(b.id);
    expect((await sandbox.control.faults()).map((f) => f.id)).toEqual([a.id]);
    for (const bad of [
      { kind: 'explode' },
      { kind: 'error', status: 404 },
      { kind: 'error', probability: 2 },
      { kind: 'latency' },
      { kind: 'reject' },
      { kind: 'error', path: 'customers' },
      { kind: 'error', surprise: true },
    ]) {
      await expect(sandbox.control.addFault(bad as never)).rejects.toBeInstanceOf(SandboxControlError);
    }
    // a batch with one bad rule adds none
    await expect(sandbox.control.addFaults([{ kind: 'error' }, { kind: 'nope' as never }])).rejects.toMatchObject({ status: 400 });
    expect(await sandbox.control.faults()).toHaveLength(1);
  });
});
