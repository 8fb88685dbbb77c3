import request from 'supertest';
import { ADMIN_AUTH, APP_AUTH, ApiHarness, business, createCustomers, CustomerBody, individual, startApi } from './api-test-kit';

let h: ApiHarness;
let created: CustomerBody[]; // in creation order, oldest first

beforeAll(async () => {
  h = await startApi();
  created = [];
  // Separate requests, then a bulk: the list is newest first across both.
  created.push(...(await createCustomers(h, individual({ country: 'UGA', email: 'Mixed.Case@Example.com' }))));
  created.push(...(await createCustomers(h, business())));
  created.push(...(await createCustomers(h, [individual(), business({ country: 'NGA' }), individual(), individual()])));
  await request(h.http).delete(`/api/v1/customers/${created[2].id}`).set(APP_AUTH).expect(202);
  await h.db.query(`UPDATE customers SET sync_status = 'synced', celar_id = 'cr_f12ab34cd567', psp_id = 'psp_62ac45f3bc99', last_synced_at = now() WHERE id = $1`, [created[1].id]);
  await h.db.query(`UPDATE customers SET sync_status = 'failed', sync_error = '{"code":"rejected","message":"bad","at":"2025-01-01T00:00:00.000Z"}' WHERE id = $1`, [
    created[4].id,
  ]);
});

afterAll(() => h.close());

async function list(query: string) {
  const res = await request(h.http).get(`/api/v1/customers${query}`).set(APP_AUTH).expect(200);
  return res.body as { customers: CustomerBody[]; total: number; limit: number; offset: number };
}

const ids = (customers: CustomerBody[]) => customers.map((c) => c.id);
const newestFirst = () => [...created].reverse();

describe('GET /api/v1/customers', () => {
  it('lists newest first with the defaults', async () => {
    const page = await list('');
    expect(page).toEqual({ customers: expect.any(Array), total: 6, limit: 20, offset: 0 });
    expect(ids(page.customers)).toEqual(ids(newestFirst()));
  });

  it('pages with limit and offset, total counting every match', async () => {
    const first = await list('?limit=2');
    const second = await list('?limit=2&offset=2');
    const beyond = await list('?limit=2&offset=10');
    expect(first).toEqual(expect.objectContaining({ total: 6, limit: 2, offset: 0 }));
    expect(ids(first.customers)).toEqual(ids(newestFirst().slice(0, 2)));
    expect(ids(second.customers)).toEqual(ids(newestFirst().slice(2, 4)));
    expect(beyond).toEqual({ customers: [], total: 6, limit: 2, offset: 10 });
    expect((await list('?limit=100')).customers).toHaveLength(6);
    expect((await list('?limit=1')).customers).toHaveLength(1);
  });

  it('filters by type', async () => {
    const page = await list('?type=business');
    expect(ids(page.customers)).toEqual(ids(newestFirst().filter((c) => c.type === 'business')));
    expect(page.total).toBe(2);
  });

  it('filters by is_active', async () => {
    expect(ids((await list('?is_active=false')).customers)).toEqual([created[2].id]);
    expect((await list('?is_active=true')).total).toBe(5);
  });

  it('filters by sync_status', async () => {
    expect(ids((await list('?sync_status=synced')).customers)).toEqual([created[1].id]);
    expect(ids((await list('?sync_status=failed')).customers)).toEqual([created[4].id]);
    expect((await list('?sync_status=pending')).total).toBe(4);
  });

  it('filters by country', async () => {
    expect(ids((await list('?country=UGA')).customers)).toEqual([created[0].id]);
    expect(ids((await list('?country=NGA')).customers)).toEqual([created[3].id]);
    expect((await list('?country=DEU')).total).toBe(0);
  });

  it('filters by email, exactly but case-insensitively', async () => {
    expect(ids((await list('?email=mixed.case%40example.com')).customers)).toEqual([created[0].id]);
    expect(ids((await list('?email=MIXED.CASE@EXAMPLE.COM')).customers)).toEqual([created[0].id]);
    expect((await list('?email=mixed@example.com')).total).toBe(0);
  });

  it('combines filters', async () => {
    const page = await list('?type=individual&is_active=true&sync_status=pending&limit=1');
    expect(page.total).toBe(2);
    expect(ids(page.customers)).toEqual([created[5].id]);
  });

  it('answers admin keys too', async () => {
    await request(h.http).get('/api/v1/customers').set(ADMIN_AUTH).expect(200);
  });
});

describe('GET /api/v1/customers/:id', () => {
  it('finds a customer by our id', async () => {
    const res = await request(h.http).get(`/api/v1/customers/${created[0].id}`).set(APP_AUTH).expect(200);
    expect(res.body).toEqual(created[0]);
  });

  it('finds an upper-case form of our id', async () => {
    const res = await request(h.http).get(`/api/v1/customers/${created[0].id.toUpperCase()}`).set(APP_AUTH).expect(200);
    expect(res.body.id).toBe(created[0].id);
  });

  it("finds a customer by Celar's id, with what Celar answered", async () => {
    const res = await request(h.http).get('/api/v1/customers/cr_f12ab34cd567').set(APP_AUTH).expect(200);
    expect(res.body).toEqual(
      expect.objectContaining({
        id: created[1].id,
        celar_id: 'cr_f12ab34cd567',
        psp_id: 'psp_62ac45f3bc99',
        sync_status: 'synced',
        last_synced_at: expect.any(String),
      }),
    );
  });

  it('shows a failed customer with its sync error', async () => {
    const res = await request(h.http).get(`/api/v1/customers/${created[4].id}`).set(APP_AUTH).expect(200);
    expect(res.body.sync_status).toBe('failed');
    expect(res.body.sync_error).toEqual({ code: 'rejected', message: 'bad', at: '2025-01-01T00:00:00.000Z' });
  });

  it('shows a deactivated customer', async () => {
    const res = await request(h.http).get(`/api/v1/customers/${created[2].id}`).set(APP_AUTH).expect(200);
    expect(res.body.is_active).toBe(false);
  });
});
