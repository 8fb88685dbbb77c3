import { RunningSandbox, SandboxCustomer, SandboxSettingsPatch, startSandbox, waitFor } from '@app/testing';
import { call, individual } from './sandbox-http';

// The settings that make the sandbox behave as each kind of Celar in ASSUMPTIONS.md (docs/sandbox.md).
describe('Celar sandbox: behaviour switches', () => {
  let sandbox: RunningSandbox;
  const api = (method: string, path: string, options?: Parameters<typeof call>[3]) => call(sandbox.baseUrl, method, path, options);
  const create = async (overrides: Record<string, unknown> = {}): Promise<SandboxCustomer> => {
    const res = await api('POST', '/customers', { body: individual(overrides) });
    expect(res.status).toBe(201);
    return res.body.customers[0];
  };
  /** `n` customers, oldest first. */
  const createMany = async (n: number): Promise<SandboxCustomer[]> => {
    const res = await api('POST', '/customers', { body: Array.from({ length: n }, () => individual()) });
    expect(res.status).toBe(201);
    return res.body.customers;
  };
  const listIds = async (query = ''): Promise<string[]> => {
    const res = await api('GET', `/customers${query}`);
    expect(res.status).toBe(200);
    return res.body.customers.map((c: SandboxCustomer) => c.id);
  };
  const refused = async (patch: Record<string, unknown>) => {
    await expect(sandbox.control.setSettings(patch as SandboxSettingsPatch)).rejects.toMatchObject({
      status: 400,
      body: { error: { code: 'validation_failed', details: [expect.objectContaining({ field: Object.keys(patch)[0] })] } },
    });
  };

  beforeAll(async () => {
    sandbox = await startSandbox();
  });
  afterAll(() => sandbox.close());
  beforeEach(() => sandbox.control.reset());

  describe('listOrder', () => {
    it('lists newest first by default, oldest first when asked', async () => {
      const ids = (await createMany(5)).map((c) => c.id);
      expect(await listIds()).toEqual([...ids].reverse());
      await sandbox.control.setSettings({ listOrder: 'oldest' });
      expect(await listIds()).toEqual(ids);
      expect(await listIds('?limit=2&offset=1')).toEqual(ids.slice(1, 3));
    });

    it('shuffles afresh for each request, every customer once, the same draws again under the same seed', async () => {
      const ids = (await createMany(12)).map((c) => c.id);
      await sandbox.control.setSettings({ listOrder: 'shuffled', seed: 42 });
      const first = await listIds('?limit=100');
      const second = await listIds('?limit=100');
      expect([...first].sort()).toEqual([...ids].sort());
      expect([...second].sort()).toEqual([...ids].sort());
      expect(second).not.toEqual(first);
      await sandbox.control.setSettings({ seed: 42 });
      expect(await listIds('?limit=100')).toEqual(first);
      expect(await listIds('?limit=100')).toEqual(second);
    });

    it('refuses an unknown order, and reset restores newest first', async () => {
      await refused({ listOrder: 'random' });
      await sandbox.control.setSettings({ listOrder: 'oldest' });
      await sandbox.control.reset();
      expect((await sandbox.control.settings()).listOrder).toBe('newest');
    });
  });

  describe('pageCap', () => {
    it('returns at most pageCap items whatever limit asks, and offset counts items', async () => {
      const ids = (await createMany(7)).map((c) => c.id).reverse();
      await sandbox.control.setSettings({ pageCap: 3 });
      const page = await api('GET', '/customers?limit=100');
      expect(page.body).toMatchObject({ total: 7, limit: 100, offset: 0 });
      expect(page.body.customers).toHaveLength(3);
      // Paging on with offset + returned reaches every customer once; a short page is not the end.
      const seen: string[] = [];
      for (let offset = 0; ; ) {
        const res = await api('GET', `/customers?limit=100&offset=${offset}`);
        if (res.body.customers.length === 0) break;
        seen.push(...res.body.customers.map((c: SandboxCustomer) => c.id));
        offset += res.body.customers.length;
      }
      expect(seen).toEqual(ids);
      expect(await listIds('?limit=2')).toEqual(ids.slice(0, 2));
      await sandbox.control.setSettings({ pageCap: null });
      expect(await listIds('?limit=100')).toEqual(ids);
    });

    it('refuses a cap below 1, a fraction or a string', async () => {
      for (const pageCap of [0, 1.5, '3']) await refused({ pageCap });
      expect((await sandbox.control.settings()).pageCap).toBeNull();
    });
  });

  describe('listTotal', () => {
    it('omits total (limit and offset stay) when off', async () => {
      await createMany(2);
      await sandbox.control.setSettings({ listTotal: false });
      const res = await api('GET', '/customers?limit=5&offset=1');
      expect(Object.keys(res.body).sort()).toEqual(['customers', 'limit', 'offset']);
      expect(res.body).toMatchObject({ limit: 5, offset: 1 });
      expect(res.body.customers).toHaveLength(1);
      await refused({ listTotal: 'no' });
    });
  });

  describe('emailFilter', () => {
    it('filters on email in any case when honoured', async () => {
      await createMany(3);
      const wanted = await create({ email: 'Find.Me@Example.com' });
      await api('DELETE', `/customers/${wanted.id}`);
      const res = await api('GET', '/customers?email=find.me@example.COM');
      expect(res.body).toMatchObject({ total: 1, customers: [{ id: wanted.id, is_active: false }] });
      expect((await api('GET', '/customers?email=nobody@example.com')).body).toMatchObject({ total: 0, customers: [] });
      expect((await api('GET', '/customers?email=')).status).toBe(400);
    });

    it('has no effect when ignored, as a Celar without the filter', async () => {
      await createMany(3);
      await create({ email: 'find.me@example.com' });
      await sandbox.control.setSettings({ emailFilter: 'ignored' });
      const res = await api('GET', '/customers?email=find.me@example.com');
      expect(res.body.total).toBe(4);
      expect(res.body.customers).toHaveLength(4);
      expect((await api('GET', '/customers?email=')).status).toBe(200);
      await refused({ emailFilter: 'partial' });
    });
  });

  describe('mutationBody', () => {
    const cases = [
      { mutationBody: 'no_content', status: 204, body: undefined },
      { mutationBody: 'empty', status: 200, body: {} },
      { mutationBody: 'message', status: 200, body: { message: 'Customer updated successfully' } },
    ] as const;
    for (const { mutationBody, status, body } of cases) {
      it(`answers PATCH and DELETE with ${mutationBody} (${status}), and still acts`, async () => {
        const c = await create();
        await sandbox.control.setSettings({ mutationBody });
        const patched = await api('PATCH', `/customers/${c.id}`, { body: { name: 'Renamed Person' } });
        expect(patched.status).toBe(status);
        expect(patched.body).toEqual(body);
        const deleted = await api('DELETE', `/customers/${c.id}`);
        expect(deleted.status).toBe(status);
        if (mutationBody === 'message') expect(deleted.body).toEqual({ message: 'Customer deactivated successfully' });
        else expect(deleted.body).toEqual(body);
        expect((await sandbox.control.customer(c.id))?.customer).toMatchObject({ name: 'Renamed Person', is_active: false });
      });
    }

    it('answers with the customer by default, replays a 204 under the same Idempotency-Key, refuses unknown values', async () => {
      const c = await create();
      const patched = await api('PATCH', `/customers/${c.id}`, { body: { name: 'Default Answer' } });
      expect(patched.body).toMatchObject({ message: 'Customer updated successfully', customer: { id: c.id, name: 'Default Answer' } });
      await sandbox.control.setSettings({ mutationBody: 'no_content' });
      const headers = { 'idempotency-key': 'patch-204' };
      expect((await api('PATCH', `/customers/${c.id}`, { body: { name: 'Once' }, headers })).status).toBe(204);
      const again = await api('PATCH', `/customers/${c.id}`, { body: { name: 'Once' }, headers });
      expect(again.status).toBe(204);
      expect((await sandbox.control.requestLog({ method: 'PATCH' })).map((e) => e.outcome)).toEqual(['ok', 'ok', 'replayed']);
      await refused({ mutationBody: 'nothing' });
    });
  });

  describe('kycStatus', () => {
    it('is absent by default', async () => {
      const c = await create();
      expect(c).not.toHaveProperty('kyc_status');
      expect((await api('GET', `/customers/${c.id}`)).body).not.toHaveProperty('kyc_status');
    });

    it('when on: pending on create, approved by the review, pending_update after a wallet change only', async () => {
      await sandbox.control.setSettings({ kycStatus: true });
      const c = await create({ wallet_address: '0x8ba1f109551bD432803012645Ac136ddd64DBA72' });
      expect(c.kyc_status).toBe('pending');
      await sandbox.control.setKycStatus(c.id, 'approved');
      expect((await api('GET', `/customers/${c.id}`)).body.kyc_status).toBe('approved');
      // The same address in another case is no change; a name change leaves it too.
      const same = await api('PATCH', `/customers/${c.id}`, { body: { wallet_address: '0x8ba1f109551bd432803012645ac136ddd64dba72', name: 'New Name' } });
      expect(same.body.customer.kyc_status).toBe('approved');
      const moved = await api('PATCH', `/customers/${c.id}`, { body: { wallet_address: '0x52908400098527886E0F7030069857D2E4169EE7' } });
      expect(moved.body.customer.kyc_status).toBe('pending_update');
      expect((await api('GET', '/customers')).body.customers[0].kyc_status).toBe('pending_update');
      // Off again: hidden, except where the control API set it (shown as before the switch existed).
      const other = await create();
      await sandbox.control.setSettings({ kycStatus: false });
      expect((await api('GET', `/customers/${other.id}`)).body).not.toHaveProperty('kyc_status');
      expect((await api('GET', `/customers/${c.id}`)).body.kyc_status).toBe('pending_update');
    });

    it('refuses a non-boolean setting and an empty kyc_status from the control API', async () => {
      await refused({ kycStatus: 'on' });
      const c = await create();
      await expect(sandbox.control.setKycStatus(c.id, '')).rejects.toMatchObject({ status: 400 });
    });
  });

  describe('nameParts', () => {
    it('adds first_name/last_name split at the first space, beside name', async () => {
      await sandbox.control.setSettings({ nameParts: true });
      const c = await create({ name: 'Amina Njeri Odhiambo' });
      expect(c).toMatchObject({ name: 'Amina Njeri Odhiambo', first_name: 'Amina', last_name: 'Njeri Odhiambo' });
      const one = await api('PATCH', `/customers/${c.id}`, { body: { name: 'Cher' } });
      expect(one.body.customer).toMatchObject({ name: 'Cher', first_name: 'Cher', last_name: '' });
      await sandbox.control.setSettings({ nameParts: false });
      expect((await api('GET', `/customers/${c.id}`)).body).not.toHaveProperty('first_name');
      await refused({ nameParts: 1 });
    });
  });

  describe('unique emails', () => {
    it('refuses a whole bulk holding an email an active customer has (409, its index), creating nothing', async () => {
      await create({ email: 'taken@example.com' });
      const bulk = [individual(), individual(), individual({ email: 'TAKEN@example.com' }), individual()];
      const res = await api('POST', '/customers', { body: bulk });
      expect(res.status).toBe(409);
      expect(res.body.error).toMatchObject({ code: 'email_taken', details: [{ index: 2, field: 'email', message: expect.any(String) }] });
      expect(await sandbox.control.customers()).toHaveLength(1);
      for (const item of bulk) expect(await sandbox.control.customers({ email: item.email as string })).toHaveLength(item === bulk[2] ? 1 : 0);
    });
  });

  describe('late effects', () => {
    it('acts on a create whose client gave up during the latency: only the answer is lost', async () => {
      await sandbox.control.addFault({ kind: 'latency', latencyMs: 1500, method: 'POST', count: 1 });
      const body = individual();
      await expect(api('POST', '/customers', { body, timeoutMs: 200 })).rejects.toMatchObject({ code: 'ETIMEDOUT' });
      const [created] = await waitFor(
        () => sandbox.control.customers({ email: body.email as string }),
        (found) => found.length > 0,
      );
      expect(created).toMatchObject({ name: body.name, is_active: true });
      const [entry] = await waitFor(
        () => sandbox.control.requestLog({ method: 'POST' }),
        (log) => log.length > 0,
      );
      expect(entry).toMatchObject({ status: null, outcome: 'fault:latency', acted: true, customerIds: [created.id] });
    });

    it('applies a PATCH the client gave up on after a newer one, as a late Celar would', async () => {
      const c = await create();
      await sandbox.control.addFault({ kind: 'latency', latencyMs: 800, method: 'PATCH', count: 1 });
      await expect(api('PATCH', `/customers/${c.id}`, { body: { name: 'Version One' }, timeoutMs: 200 })).rejects.toMatchObject({ code: 'ETIMEDOUT' });
      expect((await api('PATCH', `/customers/${c.id}`, { body: { name: 'Version Two' } })).status).toBe(200);
      const log = await waitFor(
        () => sandbox.control.requestLog({ method: 'PATCH' }),
        (entries) => entries.length === 2,
      );
      expect(log.map((e) => [e.body, e.acted])).toEqual([
        [{ name: 'Version One' }, true],
        [{ name: 'Version Two' }, true],
      ]);
      expect((await sandbox.control.customer(c.id))?.customer.name).toBe('Version One');
    });

    it('actAfterMs acts before answering: the customer exists while the answer is still held', async () => {
      await sandbox.control.addFault({ kind: 'latency', latencyMs: 3000, actAfterMs: 0, method: 'POST', count: 1 });
      const body = individual();
      let answered = false;
      const pending = api('POST', '/customers', { body }).then((res) => {
        answered = true;
        return res;
      });
      await waitFor(
        () => sandbox.control.customers({ email: body.email as string }),
        (found) => found.length === 1,
      );
      expect(answered).toBe(false);
      const res = await pending;
      expect(res.status).toBe(201);
      expect(await sandbox.control.customers({ email: body.email as string })).toHaveLength(1);
    });

    it('a retry under the same Idempotency-Key after the late act replays it (one customer)', async () => {
      await sandbox.control.addFault({ kind: 'latency', latencyMs: 600, method: 'POST', count: 1 });
      const body = individual();
      const headers = { 'idempotency-key': 'late-create' };
      await expect(api('POST', '/customers', { body, headers, timeoutMs: 200 })).rejects.toMatchObject({ code: 'ETIMEDOUT' });
      await waitFor(
        () => sandbox.control.customers({ email: body.email as string }),
        (found) => found.length === 1,
      );
      const retry = await api('POST', '/customers', { body, headers });
      expect(retry.status).toBe(201);
      expect((await sandbox.control.requestLog({ outcome: 'replayed' })).length).toBe(1);
      expect(await sandbox.control.customers({ email: body.email as string })).toHaveLength(1);
    });

    it('refuses actAfterMs beyond latencyMs or on another kind', async () => {
      for (const rule of [
        { kind: 'latency', latencyMs: 100, actAfterMs: 200 },
        { kind: 'error', actAfterMs: 10 },
      ] as const) {
        await expect(sandbox.control.addFault(rule)).rejects.toMatchObject({
          status: 400,
          body: { error: { details: [expect.objectContaining({ field: 'actAfterMs' })] } },
        });
      }
    });
  });

  it('reset restores every switch', async () => {
    await sandbox.control.setSettings({
      listOrder: 'shuffled',
      pageCap: 5,
      listTotal: false,
      emailFilter: 'ignored',
      mutationBody: 'empty',
      kycStatus: true,
      nameParts: true,
    });
    await sandbox.control.reset();
    expect(await sandbox.control.settings()).toMatchObject({
      listOrder: 'newest',
      pageCap: null,
      listTotal: true,
      emailFilter: 'honoured',
      mutationBody: 'customer',
      kycStatus: false,
      nameParts: false,
    });
  });
});
