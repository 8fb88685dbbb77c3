import { setTimeout as sleep } from 'node:timers/promises';
import { RunningSandbox, startSandbox } from '@app/testing';
import { business, call, individual } from './sandbox-http';

const ID = /^cr_[0-9a-f]{12}$/;
const PSP = /^psp_[0-9a-f]{12}$/;
const ISO_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

describe('Celar sandbox: customers API', () => {
  let sandbox: RunningSandbox;
  const api = (method: string, path: string, options?: Parameters<typeof call>[3]) => call(sandbox.baseUrl, method, path, options);
  const create = async (body: unknown) => {
    const res = await api('POST', '/customers', { body });
    expect(res.status).toBe(201);
    return res.body.customers as Record<string, unknown>[];
  };

  beforeAll(async () => {
    sandbox = await startSandbox();
  });
  afterAll(() => sandbox.close());
  beforeEach(() => sandbox.control.reset());

  describe('auth', () => {
    it('refuses a request without a key, with an unknown key, or with a non-Bearer scheme', async () => {
      for (const res of [
        await api('GET', '/customers', { key: null }),
        await api('GET', '/customers', { key: 'not_a_key' }),
        await api('GET', '/customers', { key: null, headers: { authorization: 'Basic c2FuZGJveF9rZXk6' } }),
        await api('POST', '/customers', { key: null, body: individual() }),
      ]) {
        expect(res.status).toBe(401);
        expect(res.body.error.code).toBe('unauthorized');
      }
      expect(await sandbox.control.customers()).toHaveLength(0);
    });

    it('accepts only the keys it was started with', async () => {
      const other = await startSandbox({ apiKeys: ['celar_live_abc', 'celar_live_def'] });
      try {
        expect(other.apiKey).toBe('celar_live_abc');
        expect((await call(other.baseUrl, 'GET', '/customers', { key: 'celar_live_def' })).status).toBe(200);
        expect((await call(other.baseUrl, 'GET', '/customers', { key: 'sandbox_key' })).status).toBe(401);
      } finally {
        await other.close();
      }
    });
  });

  describe('POST /customers', () => {
    it('creates an individual with the documented response', async () => {
      const input = individual();
      const res = await api('POST', '/customers', { body: input });
      expect(res.status).toBe(201);
      expect(res.body.message).toBe('1 customer(s) created successfully');
      expect(res.body.customers).toHaveLength(1);
      const c = res.body.customers[0];
      expect(c).toEqual({
        ...input,
        id: expect.stringMatching(ID),
        psp_id: expect.stringMatching(PSP),
        created_at: expect.stringMatching(ISO_MS),
        updated_at: c.created_at,
        is_active: true,
        verification_document: null,
        incorporation_certificate: null,
      });
      expect(Object.keys(c).sort()).toEqual(
        [
          'id', 'created_at', 'updated_at', 'country', 'email', 'type', 'wallet_address', 'address', 'is_active',
          'name', 'psp_id', 'tax_id', 'document_type', 'verification_document', 'incorporation_certificate',
        ].sort(),
      );
      const stored = await sandbox.control.customers({ email: input.email as string });
      expect(stored).toEqual([c]);
    });

    it('creates a business; optional fields default to null', async () => {
      const [c] = await create({ type: 'business', name: 'Acme', email: 'ops@acme.example', country: 'USA', document_type: 'incorporation_certificate' });
      expect(c).toMatchObject({ type: 'business', address: null, tax_id: null, wallet_address: null, is_active: true });
    });

    it('creates in bulk, all with the same psp_id and distinct ids', async () => {
      const res = await api('POST', '/customers', { body: [individual(), business(), individual({ document_type: 'id_card' })] });
      expect(res.status).toBe(201);
      expect(res.body.message).toBe('3 customer(s) created successfully');
      const ids = res.body.customers.map((c: { id: string }) => c.id);
      expect(new Set(ids).size).toBe(3);
      expect(new Set(res.body.customers.map((c: { psp_id: string }) => c.psp_id)).size).toBe(1);
      expect(await sandbox.control.customers()).toHaveLength(3);
    });

    it('rejects a whole bulk with per-item details when any item is invalid, storing nothing', async () => {
      const res = await api('POST', '/customers', {
        body: [individual(), individual({ country: 'ke' }), business({ document_type: 'passport' }), individual({ email: 'nope' })],
      });
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('validation_failed');
      expect(res.body.error.details).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ index: 1, field: 'country' }),
          expect.objectContaining({ index: 2, field: 'document_type' }),
          expect.objectContaining({ index: 3, field: 'email' }),
        ]),
      );
      expect(res.body.error.details.some((d: { index: number }) => d.index === 0)).toBe(false);
      expect(await sandbox.control.customers()).toHaveLength(0);
    });

    it.each([
      ['missing type', { type: undefined }, 'type'],
      ['missing name', { name: undefined }, 'name'],
      ['missing email', { email: undefined }, 'email'],
      ['missing country', { country: undefined }, 'country'],
      ['missing document_type', { document_type: undefined }, 'document_type'],
      ['null name', { name: null }, 'name'],
      ['blank name', { name: '   ' }, 'name'],
      ['unknown type', { type: 'trust' }, 'type'],
      ['individual with incorporation_certificate', { document_type: 'incorporation_certificate' }, 'document_type'],
      ['unknown document_type', { document_type: 'birth_certificate' }, 'document_type'],
      ['alpha-2 country', { country: 'KE' }, 'country'],
      ['lower-case country', { country: 'ken' }, 'country'],
      ['unassigned alpha-3 country', { country: 'XXX' }, 'country'],
      ['numeric country', { country: 404 }, 'country'],
      ['bad email', { email: 'alice@' }, 'email'],
      ['email with spaces', { email: 'al ice@example.com' }, 'email'],
      ['non-string tax_id', { tax_id: 123 }, 'tax_id'],
      ['unknown field', { nickname: 'Al' }, 'nickname'],
      ['id', { id: 'cr_0123456789ab' }, 'id'],
      ['is_active', { is_active: true }, 'is_active'],
      ['verification_document', { verification_document: 'https://example.com/id.pdf' }, 'verification_document'],
      ['incorporation_certificate', { incorporation_certificate: null }, 'incorporation_certificate'],
      ['psp_id', { psp_id: 'psp_0123456789ab' }, 'psp_id'],
    ])('refuses %s with 400 naming the field', async (_name, overrides, field) => {
      const body = individual(overrides);
      for (const key of Object.keys(overrides)) if ((overrides as Record<string, unknown>)[key] === undefined) delete body[key];
      const res = await api('POST', '/customers', { body });
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('validation_failed');
      expect(res.body.error.details).toEqual(expect.arrayContaining([expect.objectContaining({ field })]));
      expect(res.body.error.details[0].index).toBeUndefined();
      expect(await sandbox.control.customers()).toHaveLength(0);
    });

    it('a business needs incorporation_certificate', async () => {
      const res = await api('POST', '/customers', { body: business({ document_type: 'id_card' }) });
      expect(res.status).toBe(400);
      expect(res.body.error.details[0]).toMatchObject({ field: 'document_type' });
    });

    describe('wallet_address (EIP-55)', () => {
      it.each([
        // EIP-55's own test vectors, mixed case
        '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed',
        '0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359',
        '0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB',
        '0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb',
        // the docs' individual example
        '0x8ba1f109551bD432803012645Ac136ddd64DBA72',
        // single case carries no checksum
        '0x52908400098527886E0F7030069857D2E4169EE7',
        '0xde709f2102306220921060314715629080e2fb77',
      ])('accepts %s', async (wallet) => {
        const [c] = await create(individual({ wallet_address: wallet }));
        expect(c.wallet_address).toBe(wallet);
      });

      it.each([
        ['a flipped case (checksum broken)', '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD', 'checksum'],
        ["the docs' business example", '0x47c99e83Ff01123f4Bbd2A9e7aAF35A2F97B4761', 'checksum'],
        ["the docs' update example", '0x5D3a536E4D6DbD6114cc1Ead35777bAB948E3643', 'checksum'],
        ['too short', '0x8ba1f109551bD432803012645Ac136ddd64DBA7', '40 hex'],
        ['no 0x', '8ba1f109551bD432803012645Ac136ddd64DBA72aa', '40 hex'],
        ['upper-case 0X', '0X8ba1f109551bd432803012645ac136ddd64dba72', '40 hex'],
        ['not hex', '0x8ba1f109551bD432803012645Ac136ddd64DBAzz', '40 hex'],
      ])('refuses %s', async (_name, wallet, message) => {
        const res = await api('POST', '/customers', { body: individual({ wallet_address: wallet }) });
        expect(res.status).toBe(400);
        expect(res.body.error.details).toEqual([expect.objectContaining({ field: 'wallet_address', message: expect.stringContaining(message) })]);
      });

      it('accepts null', async () => {
        const [c] = await create(individual({ wallet_address: null }));
        expect(c.wallet_address).toBeNull();
      });
    });

    it('refuses an email an active customer holds (409, any case), and accepts it once that one is deactivated', async () => {
      const [first] = await create(individual({ email: 'Dup@Example.com' }));
      const again = await api('POST', '/customers', { body: individual({ email: 'dup@example.COM' }) });
      expect(again.status).toBe(409);
      expect(again.body.error.code).toBe('email_taken');
      expect((await api('DELETE', `/customers/${first.id}`)).status).toBe(200);
      await create(individual({ email: 'dup@example.com' }));
      expect(await sandbox.control.customers({ email: 'dup@example.com' })).toHaveLength(2);
    });

    it('refuses a bulk repeating one email (400) or holding a taken one (409), storing nothing', async () => {
      const repeated = await api('POST', '/customers', { body: [individual({ email: 'x@example.com' }), individual({ email: 'X@example.com' })] });
      expect(repeated.status).toBe(400);
      expect(repeated.body.error.details).toEqual([expect.objectContaining({ index: 1, field: 'email' })]);
      await create(individual({ email: 'held@example.com' }));
      const taken = await api('POST', '/customers', { body: [individual(), individual({ email: 'held@example.com' })] });
      expect(taken.status).toBe(409);
      expect(taken.body.error.details).toEqual([expect.objectContaining({ index: 1, field: 'email' })]);
      expect(await sandbox.control.customers()).toHaveLength(1);
    });

    it('creates duplicates when allowDuplicateEmails is on', async () => {
      await sandbox.control.setSettings({ allowDuplicateEmails: true });
      await create(individual({ email: 'twice@example.com' }));
      await create(individual({ email: 'twice@example.com' }));
      expect(await sandbox.control.customers({ email: 'twice@example.com' })).toHaveLength(2);
    });

    it('refuses an empty array, over 1000 items, a non-object, invalid JSON and a missing body', async () => {
      const cases = [
        await api('POST', '/customers', { body: [] }),
        await api('POST', '/customers', { body: Array.from({ length: 1001 }, () => individual()) }),
        await api('POST', '/customers', { body: [42] }),
        await api('POST', '/customers', { rawBody: '{"type": "individual",' }),
        await api('POST', '/customers', { rawBody: '"just a string"' }),
        await api('POST', '/customers'),
        await api('POST', '/customers', { rawBody: 'type=individual', headers: { 'content-type': 'application/x-www-form-urlencoded' } }),
      ];
      for (const res of cases) {
        expect(res.status).toBe(400);
        expect(res.body.error).toEqual(expect.objectContaining({ code: expect.any(String), message: expect.any(String) }));
      }
      expect(await sandbox.control.customers()).toHaveLength(0);
    });
  });

  describe('GET /customers', () => {
    it('lists newest first in the documented envelope, deactivated customers included', async () => {
      const created: string[] = [];
      for (let i = 0; i < 5; i++) created.push(((await create(individual()))[0].id as string));
      await api('DELETE', `/customers/${created[2]}`);
      const res = await api('GET', '/customers');
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ customers: expect.any(Array), total: 5, limit: 20, offset: 0 });
      expect(res.body.customers.map((c: { id: string }) => c.id)).toEqual([...created].reverse());
      expect(res.body.customers[2].is_active).toBe(false);
    });

    it('pages with limit and offset', async () => {
      const created = (await create(Array.from({ length: 25 }, () => individual()))).map((c) => c.id as string);
      const newestFirst = [...created].reverse();
      const first = await api('GET', '/customers?limit=10');
      expect(first.body).toMatchObject({ total: 25, limit: 10, offset: 0 });
      expect(first.body.customers.map((c: { id: string }) => c.id)).toEqual(newestFirst.slice(0, 10));
      const last = await api('GET', '/customers?limit=10&offset=20');
      expect(last.body.customers.map((c: { id: string }) => c.id)).toEqual(newestFirst.slice(20));
      const beyond = await api('GET', '/customers?offset=100');
      expect(beyond.body).toEqual({ customers: [], total: 25, limit: 20, offset: 100 });
      const all = await api('GET', '/customers?limit=100');
      expect(all.body.customers).toHaveLength(25);
    });

    it.each(['limit=0', 'limit=101', 'limit=abc', 'limit=-1', 'limit=2.5', 'offset=-1', 'offset=x', 'limit=10&limit=20'])(
      'refuses %s with 400',
      async (query) => {
        const res = await api('GET', `/customers?${query}`);
        expect(res.status).toBe(400);
        expect(res.body.error.code).toBe('validation_failed');
      },
    );

    it('pages 100,000 customers from the end', async () => {
      // 100 bulk creates of 1000 (one body, so duplicates allowed); a deep page must still be exact.
      await sandbox.control.setSettings({ allowDuplicateEmails: true });
      const body = Array.from({ length: 1000 }, (_, i) => individual({ email: `many${i}@example.com` }));
      for (let round = 0; round < 100; round++) {
        expect((await api('POST', '/customers', { body })).status).toBe(201);
      }
      const page = await api('GET', '/customers?limit=3&offset=99000');
      expect(page.body).toMatchObject({ total: 100_000, limit: 3, offset: 99_000 });
      const all = await sandbox.control.customers();
      // newest first: offset 99000 is the 99001st newest, i.e. creation index 999 counted from the start
      expect(page.body.customers.map((c: { id: string }) => c.id)).toEqual([all[999].id, all[998].id, all[997].id]);
    });
  });

  describe('GET /customers/:id and /balance', () => {
    it('returns the customer, and 404 for an unknown or malformed id', async () => {
      const [c] = await create(individual());
      expect((await api('GET', `/customers/${c.id}`)).body).toEqual(c);
      for (const id of ['cr_000000000000', 'nope']) {
        const res = await api('GET', `/customers/${id}`);
        expect(res.status).toBe(404);
        expect(res.body.error.code).toBe('not_found');
      }
    });

    it('answers a balance of 0.00 USDC until one is set, also for a deactivated customer; 404 for an unknown id', async () => {
      const [c] = await create(individual());
      const res = await api('GET', `/customers/${c.id}/balance`);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ customer_id: c.id, balance: '0.00', currency: 'USDC' });
      await sandbox.control.setBalance(c.id as string, '1250.50');
      await api('DELETE', `/customers/${c.id}`);
      expect((await api('GET', `/customers/${c.id}/balance`)).body).toEqual({ customer_id: c.id, balance: '1250.50', currency: 'USDC' });
      expect((await api('GET', '/customers/cr_000000000000/balance')).status).toBe(404);
    });
  });

  describe('PATCH /customers/:id', () => {
    it('updates the allowed fields and moves updated_at', async () => {
      const [c] = await create(individual());
      await sleep(5);
      const patch = {
        name: 'Alice N. Wanjiku',
        address: '101 Moi Avenue, Nairobi',
        wallet_address: '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed',
        email: 'alice.new@example.com',
        document_type: 'id_card',
      };
      const res = await api('PATCH', `/customers/${c.id}`, { body: patch });
      expect(res.status).toBe(200);
      expect(res.body.message).toBe('Customer updated successfully');
      expect(res.body.customer).toEqual({ ...c, ...patch, updated_at: expect.stringMatching(ISO_MS) });
      expect(res.body.customer.updated_at > (c.updated_at as string)).toBe(true);
      expect((await api('GET', `/customers/${c.id}`)).body).toEqual(res.body.customer);
    });

    it('accepts document URLs and nulls for nullable fields', async () => {
      const [c] = await create(individual());
      const res = await api('PATCH', `/customers/${c.id}`, {
        body: { verification_document: 'https://docs.example.com/a.pdf', address: null, wallet_address: null },
      });
      expect(res.status).toBe(200);
      expect(res.body.customer).toMatchObject({ verification_document: 'https://docs.example.com/a.pdf', address: null, wallet_address: null });
    });

    it.each([
      ['type', { type: 'business' }],
      ['country', { country: 'UGA' }],
      ['tax_id', { tax_id: 'X1' }],
      ['is_active', { is_active: false }],
      ['id', { id: 'cr_0123456789ab' }],
      ['an unknown field', { nickname: 'Al' }],
      ['an empty body', {}],
      ['a bad email', { email: 'x@' }],
      ['a bad checksum', { wallet_address: '0x47c99e83Ff01123f4Bbd2A9e7aAF35A2F97B4761' }],
      ['a document_type of the other type', { document_type: 'incorporation_certificate' }],
      ['a null name', { name: null }],
      ['a document that is no URL', { verification_document: 'not a url' }],
      ['an array', [{ name: 'x' }]],
    ])('refuses %s with 400 and changes nothing', async (_name, body) => {
      const [c] = await create(individual());
      const res = await api('PATCH', `/customers/${c.id}`, { body });
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('validation_failed');
      expect((await api('GET', `/customers/${c.id}`)).body).toEqual(c);
    });

    it('refuses an email another active customer holds (409)', async () => {
      const [a, b] = await create([individual(), individual()]);
      const res = await api('PATCH', `/customers/${b.id}`, { body: { email: (a.email as string).toUpperCase() } });
      expect(res.status).toBe(409);
      expect(res.body.error.code).toBe('email_taken');
      // its own email, in another case, is fine
      expect((await api('PATCH', `/customers/${b.id}`, { body: { email: (b.email as string).toUpperCase() } })).status).toBe(200);
    });

    it('refuses a deactivated customer (409) and an unknown one (404)', async () => {
      const [c] = await create(individual());
      await api('DELETE', `/customers/${c.id}`);
      const res = await api('PATCH', `/customers/${c.id}`, { body: { name: 'Zed' } });
      expect(res.status).toBe(409);
      expect(res.body.error.code).toBe('customer_deactivated');
      expect((await api('PATCH', '/customers/cr_000000000000', { body: { name: 'Zed' } })).status).toBe(404);
    });
  });

  describe('DELETE /customers/:id', () => {
    it('deactivates, then answers 409 on a repeat; 404 for an unknown id', async () => {
      const [c] = await create(individual());
      const res = await api('DELETE', `/customers/${c.id}`);
      expect(res.status).toBe(200);
      expect(res.body.message).toBe('Customer deactivated successfully');
      expect(res.body.customer).toMatchObject({ id: c.id, is_active: false });
      expect((await api('GET', `/customers/${c.id}`)).body.is_active).toBe(false);
      const again = await api('DELETE', `/customers/${c.id}`);
      expect(again.status).toBe(409);
      expect(again.body.error.code).toBe('customer_deactivated');
      expect((await api('DELETE', '/customers/cr_000000000000')).status).toBe(404);
    });
  });

  it('answers an unknown route with 404 in the error shape', async () => {
    const res = await api('GET', '/payments');
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('not_found');
  });
});
