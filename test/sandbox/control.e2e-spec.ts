import { setTimeout as sleep } from 'node:timers/promises';
import { connectSandbox, RunningSandbox, SandboxControl, startSandbox } from '@app/testing';
import { call, individual } from './sandbox-http';

describe('Celar sandbox: control API', () => {
  let sandbox: RunningSandbox;
  const api = (method: string, path: string, options?: Parameters<typeof call>[3]) => call(sandbox.baseUrl, method, path, options);
  const createOne = async (overrides: Record<string, unknown> = {}) =>
    (await api('POST', '/customers', { body: individual(overrides) })).body.customers[0] as Record<string, string>;

  beforeAll(async () => {
    sandbox = await startSandbox({ pspId: 'psp_0123456789ab' });
  });
  afterAll(() => sandbox.close());
  beforeEach(() => sandbox.control.reset());

  describe('balances', () => {
    it('answers exactly the decimal string that was set, with its currency', async () => {
      const c = await createOne();
      await sandbox.control.setBalance(c.id, '123456789012.123456');
      expect((await api('GET', `/customers/${c.id}/balance`)).body).toEqual({ customer_id: c.id, balance: '123456789012.123456', currency: 'USDC' });
      await sandbox.control.setBalance(c.id, '0.10', 'USDT');
      expect((await api('GET', `/customers/${c.id}/balance`)).body).toEqual({ customer_id: c.id, balance: '0.10', currency: 'USDT' });
    });

    it.each([12.5, '1e5', '1.1234567', 'abc', '', '1,000.00', null])('refuses balance %p', async (balance) => {
      const c = await createOne();
      await expect(sandbox.control.setBalance(c.id, balance as string)).rejects.toMatchObject({ status: 400 });
      expect((await api('GET', `/customers/${c.id}/balance`)).body.balance).toBe('0.00');
    });

    it('404s for an unknown customer', async () => {
      await expect(sandbox.control.setBalance('cr_000000000000', '1.00')).rejects.toMatchObject({ status: 404 });
    });
  });

  describe('documents', () => {
    it('links and unlinks document URLs as the Dashboard would, visible through the API', async () => {
      const c = await createOne();
      await sleep(5);
      const linked = await sandbox.control.attachDocument(c.id, { verification_document: 'https://files.celar.example/kyc/passport.pdf' });
      expect(linked.verification_document).toBe('https://files.celar.example/kyc/passport.pdf');
      expect(linked.updated_at > c.updated_at).toBe(true);
      const fetched = (await api('GET', `/customers/${c.id}`)).body;
      expect(fetched).toEqual(linked);
      expect(fetched.incorporation_certificate).toBeNull();
      await sandbox.control.attachDocument(c.id, { verification_document: null });
      expect((await api('GET', `/customers/${c.id}`)).body.verification_document).toBeNull();
    });

    it('refuses a non-URL, another field or nothing', async () => {
      const c = await createOne();
      for (const docs of [{ verification_document: 'passport.pdf' }, { name: 'x' }, {}]) {
        await expect(sandbox.control.attachDocument(c.id, docs as never)).rejects.toMatchObject({ status: 400 });
      }
    });
  });

  describe('behind our back', () => {
    it('creates a customer our service never sent, with defaults, extra fields and no email check', async () => {
      const ours = await createOne({ email: 'shared@example.com' });
      const theirs = await sandbox.control.createBehindOurBack({ email: 'shared@example.com', name: 'Made In Dashboard', kyc_status: 'approved' });
      expect(theirs).toMatchObject({
        id: expect.stringMatching(/^cr_[0-9a-f]{12}$/),
        psp_id: 'psp_0123456789ab',
        email: 'shared@example.com',
        is_active: true,
        kyc_status: 'approved',
        verification_document: null,
      });
      expect(ours.psp_id).toBe('psp_0123456789ab');
      // the API sees it, newest first, extra field included
      const list = (await api('GET', '/customers')).body;
      expect(list.customers.map((c: { id: string }) => c.id)).toEqual([theirs.id, ours.id]);
      expect(list.customers[0].kyc_status).toBe('approved');
      expect(await sandbox.control.customers({ email: 'SHARED@example.com' })).toHaveLength(2);
      // and nothing of it is in the request log
      expect((await sandbox.control.requestLog()).every((e) => !e.customerIds.includes(theirs.id))).toBe(true);
    });

    it('refuses a malformed or taken id', async () => {
      const c = await createOne();
      await expect(sandbox.control.createBehindOurBack({ id: 'cr_XYZ' })).rejects.toMatchObject({ status: 400 });
      await expect(sandbox.control.createBehindOurBack({ id: c.id })).rejects.toMatchObject({ status: 400 });
      const given = await sandbox.control.createBehindOurBack({ id: 'cr_aaaaaaaaaaaa' });
      expect((await api('GET', '/customers/cr_aaaaaaaaaaaa')).body.id).toBe(given.id);
    });

    it('changes fields and deactivates without the API knowing', async () => {
      const c = await createOne();
      await sandbox.control.updateBehindOurBack(c.id, { name: 'Drifted Name', country: 'UGA' });
      expect((await api('GET', `/customers/${c.id}`)).body).toMatchObject({ name: 'Drifted Name', country: 'UGA' });
      const deactivated = await sandbox.control.deactivateBehindOurBack(c.id);
      expect(deactivated.is_active).toBe(false);
      expect((await api('GET', `/customers/${c.id}`)).body.is_active).toBe(false);
      expect((await api('DELETE', `/customers/${c.id}`)).status).toBe(409);
      // repeating it is harmless; the freed email can be used again
      expect((await sandbox.control.deactivateBehindOurBack(c.id)).is_active).toBe(false);
      expect((await api('POST', '/customers', { body: individual({ email: c.email }) })).status).toBe(201);
      await expect(sandbox.control.deactivateBehindOurBack('cr_000000000000')).rejects.toMatchObject({ status: 404 });
    });
  });

  describe('customers listing', () => {
    it('lists every customer oldest first, filtered by email (any case), is_active, type or tax_id', async () => {
      const a = await createOne({ tax_id: 'TAX-A' });
      const b = await createOne();
      await api('DELETE', `/customers/${b.id}`);
      expect((await sandbox.control.customers()).map((c) => c.id)).toEqual([a.id, b.id]);
      expect((await sandbox.control.customers({ email: a.email.toUpperCase() })).map((c) => c.id)).toEqual([a.id]);
      expect((await sandbox.control.customers({ is_active: false })).map((c) => c.id)).toEqual([b.id]);
      expect((await sandbox.control.customers({ tax_id: 'TAX-A' })).map((c) => c.id)).toEqual([a.id]);
      expect(await sandbox.control.customers({ type: 'business' })).toEqual([]);
      expect(await sandbox.control.customer('cr_000000000000')).toBeNull();
      expect((await sandbox.control.customer(a.id))?.balance).toEqual({ customer_id: a.id, balance: '0.00', currency: 'USDC' });
    });
  });

  describe('request log', () => {
    it('records each API call with method, path, status, key, body, customers and outcome', async () => {
      const body = individual();
      const created = await api('POST', '/customers', { body, headers: { 'idempotency-key': 'log-key' } });
      const id = created.body.customers[0].id;
      await api('GET', `/customers/${id}/balance?x=1`);
      await api('GET', '/customers', { key: 'wrong_key' });
      const log = await sandbox.control.requestLog();
      expect(log).toHaveLength(3);
      expect(log[0]).toEqual({
        seq: expect.any(Number),
        at: expect.stringMatching(/Z$/),
        method: 'POST',
        path: '/api/v1/customers',
        query: {},
        status: 201,
        idempotencyKey: 'log-key',
        body,
        customerIds: [id],
        outcome: 'ok',
        acted: true,
        durationMs: expect.any(Number),
      });
      expect(log[1]).toMatchObject({ method: 'GET', path: `/api/v1/customers/${id}/balance`, query: { x: '1' }, status: 200, customerIds: [id], acted: false, body: null });
      expect(log[2]).toMatchObject({ status: 401 });
      expect(log[1].seq).toBeGreaterThan(log[0].seq);
    });

    it('filters by since (seq or time), limit, method, path, customer and outcome; clears', async () => {
      const a = await createOne();
      const b = await createOne();
      await api('GET', `/customers/${a.id}`);
      await api('PATCH', `/customers/${b.id}`, { body: { name: 'Bee' } });
      const all = await sandbox.control.requestLog();
      expect(all).toHaveLength(4);
      expect(await sandbox.control.requestLog({ since: all[1].seq })).toEqual(all.slice(2));
      expect(await sandbox.control.requestLog({ since: all[0].at })).toEqual(all);
      expect(await sandbox.control.requestLog({ since: new Date(Date.now() + 60_000).toISOString() })).toEqual([]);
      expect(await sandbox.control.requestLog({ limit: 2 })).toEqual(all.slice(0, 2));
      expect((await sandbox.control.requestLog({ method: 'post' })).map((e) => e.seq)).toEqual([all[0].seq, all[1].seq]);
      expect((await sandbox.control.requestLog({ customerId: b.id })).map((e) => e.method)).toEqual(['POST', 'PATCH']);
      expect((await sandbox.control.requestLog({ path: `/api/v1/customers/${a.id}` })).map((e) => e.method)).toEqual(['GET']);
      expect(await sandbox.control.requestLog({ outcome: 'replayed' })).toEqual([]);

      const lastSeq = await sandbox.control.clearRequestLog();
      expect(lastSeq).toBe(all[3].seq);
      expect(await sandbox.control.requestLog()).toEqual([]);
      await api('GET', '/customers');
      const [next] = await sandbox.control.requestLog({ since: lastSeq });
      expect(next.seq).toBeGreaterThan(lastSeq);
      // the counters survive a log clear
      expect((await sandbox.control.stats()).requestsTotal).toBe(5);
    });
  });

  describe('settings, stats and reset', () => {
    it('reads and changes settings, refusing unknown or mistyped ones', async () => {
      // The switches added later (docs/sandbox.md) have their defaults.
      const later = { listOrder: 'newest', pageCap: null, listTotal: true, emailFilter: 'honoured', mutationBody: 'customer', kycStatus: false, nameParts: false };
      expect(await sandbox.control.settings()).toEqual({ ignoreIdempotencyKeys: false, allowDuplicateEmails: false, rateLimit: null, seed: null, ...later });
      expect(await sandbox.control.setSettings({ ignoreIdempotencyKeys: true, rateLimit: { requestsPerSecond: 50 }, seed: 7 })).toEqual({
        ignoreIdempotencyKeys: true,
        allowDuplicateEmails: false,
        rateLimit: { requestsPerSecond: 50, burst: 50 },
        seed: 7,
        ...later,
      });
      for (const bad of [{ ignoreIdempotencyKeys: 'yes' }, { verbose: true }, { rateLimit: { requestsPerSecond: 0 } }, { seed: 1.5 }]) {
        await expect(sandbox.control.setSettings(bad as never)).rejects.toMatchObject({ status: 400 });
      }
    });

    it('counts requests by status, 429s and fired faults', async () => {
      await sandbox.control.addFault({ kind: 'rate_limited', count: 1 });
      await api('GET', '/customers');
      await api('GET', '/customers');
      await api('GET', '/customers/cr_000000000000');
      const stats = await sandbox.control.stats();
      expect(stats).toMatchObject({ requestsTotal: 3, rateLimited: 1, byStatus: { 200: 1, 404: 1, 429: 1 }, faultsFired: { rate_limited: 1 }, customers: 0 });
    });

    it('reset forgets customers, balances, keys, faults, settings, the log and counters', async () => {
      const c = await createOne();
      await sandbox.control.setBalance(c.id, '5.00');
      await sandbox.control.addFault({ kind: 'latency', latencyMs: 1 });
      await sandbox.control.setSettings({ allowDuplicateEmails: true, rateLimit: { requestsPerSecond: 1000 } });
      const body = individual();
      await api('POST', '/customers', { body, headers: { 'idempotency-key': 'reset-key' } });
      await sandbox.control.reset();
      expect(await sandbox.control.customers()).toEqual([]);
      expect(await sandbox.control.faults()).toEqual([]);
      expect(await sandbox.control.requestLog()).toEqual([]);
      expect(await sandbox.control.settings()).toMatchObject({ allowDuplicateEmails: false, rateLimit: null });
      expect((await sandbox.control.stats()).requestsTotal).toBe(0);
      // the key is forgotten: the same request creates again
      expect((await api('POST', '/customers', { body, headers: { 'idempotency-key': 'reset-key' } })).body.customers[0].id).not.toBe(c.id);
      expect(await sandbox.control.customers()).toHaveLength(1);
    });
  });

  it('connectSandbox and SandboxControl work from any of the sandbox URLs', async () => {
    const c = await createOne();
    const remote = connectSandbox(sandbox.baseUrl);
    expect(remote.baseUrl).toBe(sandbox.baseUrl);
    expect(remote.controlUrl).toBe(sandbox.controlUrl);
    expect((await remote.control.customers()).map((x) => x.id)).toEqual([c.id]);
    expect(new SandboxControl(`${sandbox.controlUrl}/`).controlUrl).toBe(sandbox.controlUrl);
    await remote.close();
    expect((await api('GET', '/customers')).status).toBe(200);
  });

  it('answers unknown control routes with 404', async () => {
    const res = await call(sandbox.controlUrl, 'GET', '/nothing', { key: null });
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('not_found');
  });
});
