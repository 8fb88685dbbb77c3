import http from 'node:http';
import { AddressInfo } from 'node:net';
import { CelarApiError, CelarClient, CelarCustomer } from '@app/celar-client';
import { findCreatedUpstream, WantedCreate } from './upstream-create.lookup';

// The lookup against a small HTTP server that lists customers the ways Celar may: any order,
// pages shorter than asked, no total, an email filter honoured or not.
describe('findCreatedUpstream', () => {
  let server: http.Server;
  let client: CelarClient;
  let customers: CelarCustomer[] = [];
  let listing: { cap: number; total: boolean; filter: boolean; samePage?: boolean; status?: number; shuffle?: boolean; exact?: boolean } = {
    cap: 100,
    total: true,
    filter: true,
  };
  let calls: string[] = [];

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      const url = new URL(req.url!, 'http://x');
      calls.push(url.search);
      if (listing.status) {
        res.writeHead(listing.status, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { code: 'nope', message: 'refused' } }));
        return;
      }
      const email = url.searchParams.get('email');
      const all = [...(email && listing.filter ? customers.filter((c) => (listing.exact ? c.email === email : c.email.toLowerCase() === email.toLowerCase())) : customers)];
      if (listing.shuffle) all.sort(() => Math.random() - 0.5);
      const offset = listing.samePage ? 0 : Number(url.searchParams.get('offset'));
      const page = all.slice(offset, offset + Math.min(Number(url.searchParams.get('limit')), listing.cap));
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ customers: page, ...(listing.total ? { total: all.length } : {}) }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    client = new CelarClient({ baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1`, apiKey: 'k', timeoutMs: 1000 });
  });

  afterAll(async () => {
    client.close();
    await new Promise((resolve) => server.close(resolve));
  });

  const firstAttemptAt = new Date('2026-12-01T10:00:00Z');
  const upstream = (i: number, over: Partial<CelarCustomer> = {}): CelarCustomer =>
    ({
      id: `cr_${String(i).padStart(12, '0')}`,
      email: `c${i}@example.com`,
      tax_id: `T${i}`,
      type: 'individual',
      country: 'KEN',
      created_at: new Date(firstAttemptAt.getTime() + i * 1000).toISOString(),
      ...over,
    }) as CelarCustomer;
  const wanted = (i: number, over: Partial<WantedCreate> = {}): WantedCreate => ({
    email: `c${i}@example.com`,
    taxId: `T${i}`,
    type: 'individual',
    country: 'KEN',
    firstAttemptAt,
    ...over,
  });
  const none = async () => new Set<string>();

  beforeEach(() => {
    // 250 customers listed oldest first: the ones looked for sit at the end.
    customers = Array.from({ length: 250 }, (_, i) => upstream(i));
    listing = { cap: 100, total: true, filter: true };
    calls = [];
  });

  it('finds customers anywhere in an oldest-first list served 7 a page with no total, when the filter is ignored', async () => {
    listing = { cap: 7, total: false, filter: false };
    const found = await findCreatedUpstream(client, [wanted(3), wanted(249), wanted(999)], { linked: none });
    expect(found.map((c) => c?.id ?? null)).toEqual([upstream(3).id, upstream(249).id, null]);
    // It noticed the ignored filter, then read every page up to the empty one, ceil(250 / 7) + 1,
    // twice: with no total, only a second pass that finds nothing new shows the first saw everyone.
    expect(calls.filter((q) => !q.includes('email='))).toHaveLength(2 * 37);
  });

  it('uses an honoured email filter: one short scan per email', async () => {
    const found = await findCreatedUpstream(client, [wanted(249, { email: 'C249@Example.com' })], { linked: none });
    expect(found[0]?.id).toBe(upstream(249).id);
    expect(calls.every((q) => q.includes('email='))).toBe(true);
    expect(calls.length).toBeLessThanOrEqual(2);
  });

  it('matches tax ids without case, spaces or dashes, a missing one with an empty one, and skips linked or older customers', async () => {
    customers.push(upstream(300, { email: 'x@example.com', tax_id: 'ab-12 3' }), upstream(301, { email: 'y@example.com', tax_id: '' }));
    customers.push(upstream(-400, { id: 'cr_old000000000', email: 'z@example.com', tax_id: 'T302' }), upstream(302, { email: 'z@example.com', id: 'cr_linked0000000' }));
    const found = await findCreatedUpstream(
      client,
      [wanted(0, { email: 'x@example.com', taxId: 'AB123' }), wanted(0, { email: 'y@example.com', taxId: null }), wanted(0, { email: 'z@example.com', taxId: 'T302' })],
      { linked: async (ids) => new Set(ids.filter((id) => id === 'cr_linked0000000')) },
    );
    expect(found.map((c) => c?.id ?? null)).toEqual([upstream(300).id, upstream(301).id, null]);
  });

  it('gives two creates with the same email and tax id two different matches', async () => {
    customers.push(upstream(7, { id: 'cr_twin00000000' }));
    const found = await findCreatedUpstream(client, [wanted(7), wanted(7)], { linked: none });
    expect(new Set(found.map((c) => c?.id)).size).toBe(2);
  });

  it('reads the list again when Celar counts more customers than a pass saw (an order that moves between pages), and gives up if it never sees them all', async () => {
    customers = customers.slice(0, 30);
    listing = { cap: 10, total: true, filter: false, shuffle: true };
    const found = await findCreatedUpstream(client, [wanted(29)], { linked: none }).catch((e: unknown) => e);
    // Either it collected all 30 within its passes (and found the customer), or it said it could not.
    if (found instanceof CelarApiError) expect(found.code).toBe('lookup_incomplete');
    else expect((found as (CelarCustomer | null)[])[0]?.id).toBe(upstream(29).id);
    expect(calls.length).toBeGreaterThan(4);
  });

  it('sends the email as created, and asks again in lower case when Celar answers nothing', async () => {
    // A Celar that stored the email lower-cased and filters on the exact text.
    customers.push(upstream(400, { email: 'mixed.case@example.com' }));
    listing = { cap: 100, total: true, filter: true, exact: true };
    const found = await findCreatedUpstream(client, [wanted(400, { email: 'Mixed.Case@Example.com' })], { linked: none });
    expect(found[0]?.id).toBe(upstream(400).id);
    expect(calls[0]).toContain('email=Mixed.Case%40Example.com');
    expect(calls.some((q) => q.includes('email=mixed.case%40example.com'))).toBe(true);
  });

  it('with no total and an order that moves between requests, never concludes from one pass', async () => {
    customers = customers.slice(0, 40);
    listing = { cap: 7, total: false, filter: false, shuffle: true };
    const found = await findCreatedUpstream(client, [wanted(39)], { linked: none }).catch((e: unknown) => e);
    if (found instanceof CelarApiError) expect(found.code).toBe('lookup_incomplete');
    else expect((found as (CelarCustomer | null)[])[0]?.id).toBe(upstream(39).id);
  });

  it('proves nothing when the scan cannot finish: a page served again, or a list Celar refuses', async () => {
    listing = { cap: 100, total: false, filter: false, samePage: true };
    const repeated = await findCreatedUpstream(client, [wanted(249)], { linked: none }).catch((e: unknown) => e);
    expect(repeated).toBeInstanceOf(CelarApiError);
    expect((repeated as CelarApiError).code).toBe('lookup_incomplete');
    listing = { cap: 100, total: true, filter: true, status: 403 };
    const refused = await findCreatedUpstream(client, [wanted(249)], { linked: none }).catch((e: unknown) => e);
    expect((refused as CelarApiError).code).toBe('lookup_failed');
    expect((refused as CelarApiError).kind).toBe('TRANSIENT');
  });
});
