import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from 'pg';
import request from 'supertest';
import { APP_AUTH, ApiHarness, createCustomers, individual, startApi } from './api-test-kit';

// Concurrent requests on the same customers or emails: one wins, the others get the documented
// 4xx, never a 500 (review demo 7: two bulks with the same emails in opposite orders deadlocked).

let h: ApiHarness;
beforeAll(async () => {
  h = await startApi();
});
afterAll(() => h.close());

const post = (body: unknown) => request(h.http).post('/api/v1/customers').set(APP_AUTH).send(body as object);
const statuses = (responses: request.Response[]) => responses.map((r) => r.status).sort();

async function activeCount(emails: string[]): Promise<number> {
  const { rows } = await h.db.query<{ n: string }>(`SELECT count(*) AS n FROM customers WHERE is_active AND lower(email) = ANY($1)`, [
    emails.map((e) => e.toLowerCase()),
  ]);
  return Number(rows[0].n);
}

describe('concurrent requests on the same emails and customers', () => {
  it('bulks holding the same emails in opposite orders: one is accepted, the others 409 naming the emails, never a 500', async () => {
    // Large bulks: each INSERT runs long enough for the two to overlap.
    for (let round = 0; round < 4; round++) {
      const items = Array.from({ length: 1000 }, () => individual());
      const emails = items.map((i) => i.email as string);
      const shuffled = [...items].sort(() => Math.random() - 0.5);
      const responses = await Promise.all([post(items), post([...items].reverse()), post(shuffled), post([...items].reverse())]);
      expect(statuses(responses)).toEqual([202, 409, 409, 409]);
      for (const refused of responses.filter((r) => r.status === 409)) {
        expect(refused.body.error.code).toBe('email_taken');
        expect(refused.body.error.details.length).toBeGreaterThan(0);
        expect(refused.body.error.details[0]).toMatchObject({ field: 'email', index: expect.any(Number) });
      }
      expect(await activeCount(emails)).toBe(1000);
    }
  });

  it('two bulks in opposite orders held at the same email mid-insert (the deadlock of demo 7): one 202, one 409', async () => {
    // A third request holds the middle email, uncommitted: both bulks start inserting and stop there,
    // each holding the item it inserted first. Unordered, they would deadlock once it lets go.
    const tag = Date.now().toString(36);
    const [first, middle, last] = ['a', 'm', 'z'].map((p) => individual({ email: `${p}-${tag}@example.com` }));
    const holder = new Client({ connectionString: h.dbUrl });
    await holder.connect();
    try {
      await holder.query('BEGIN');
      await holder.query(
        `INSERT INTO customers (id, type, name, email, country, document_type) VALUES (gen_random_uuid(), 'individual', 'Holder', $1, 'KEN', 'passport')`,
        [middle.email],
      );
      const racing = Promise.all([post([first, middle, last]), post([last, middle, first])]);
      await waitForBlocked(2);
      await holder.query('ROLLBACK');
      const responses = await racing;
      expect(statuses(responses)).toEqual([202, 409]);
      expect(responses.find((r) => r.status === 409)!.body.error.code).toBe('email_taken');
      expect(await activeCount([first, middle, last].map((i) => i.email as string))).toBe(3);
    } finally {
      await holder.end();
    }
  });

  it('bulks overlapping on part of their emails, in opposite orders: each either wins whole or is refused whole', async () => {
    const shared = Array.from({ length: 5 }, () => individual());
    const a = [...shared, ...Array.from({ length: 5 }, () => individual())];
    const b = [...Array.from({ length: 5 }, () => individual()), ...shared].reverse();
    const responses = await Promise.all([post(a), post(b)]);
    expect(statuses(responses)).toEqual([202, 409]);
    const refused = responses.find((r) => r.status === 409)!;
    const winner = refused === responses[0] ? b : a;
    const loser = refused === responses[0] ? a : b;
    // Nothing of the refused bulk was stored; every item of the winner was.
    expect(await activeCount(winner.map((i) => i.email as string))).toBe(10);
    const loserOnly = loser.filter((i) => !shared.includes(i)).map((i) => i.email as string);
    expect(await activeCount(loserOnly)).toBe(0);
  });

  it('one email created many times at once: one 202, the others 409 email_taken', async () => {
    const alice = individual();
    const responses = await Promise.all(Array.from({ length: 6 }, () => post({ ...alice })));
    expect(statuses(responses)).toEqual([202, 409, 409, 409, 409, 409]);
    expect(await activeCount([alice.email as string])).toBe(1);
  });

  it('customers patched to one email at once: one 202, the others 409 email_taken', async () => {
    const customers = await createCustomers(h, Array.from({ length: 5 }, () => individual()));
    const email = individual().email as string;
    const responses = await Promise.all(
      customers.map((c) => request(h.http).patch(`/api/v1/customers/${c.id}`).set(APP_AUTH).send({ email })),
    );
    expect(statuses(responses)).toEqual([202, 409, 409, 409, 409]);
    expect(responses.filter((r) => r.status === 409).every((r) => r.body.error.code === 'email_taken')).toBe(true);
    expect(await activeCount([email])).toBe(1);
  });

  it('a create and a PATCH racing for one email, and a PATCH racing a DELETE: 202 or 409, never a 500', async () => {
    for (let round = 0; round < 5; round++) {
      const [target] = await createCustomers(h, [individual()]);
      const email = individual().email as string;
      const responses = await Promise.all([
        post(individual({ email })),
        request(h.http).patch(`/api/v1/customers/${target.id}`).set(APP_AUTH).send({ email, name: 'Racing' }),
        request(h.http).delete(`/api/v1/customers/${target.id}`).set(APP_AUTH),
      ]);
      for (const res of responses) expect([202, 409]).toContain(res.status);
      expect(await activeCount([email])).toBeLessThanOrEqual(1);
    }
  });
});

/** Until `n` sessions of this database wait on a lock (the requests reached the held row). */
async function waitForBlocked(n: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    // From another session: a transaction sees pg_stat_activity as it was at its start.
    const { rows } = await h.db.query<{ n: string }>(
      `SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`,
    );
    if (Number(rows[0].n) >= n) return;
    await sleep(50);
  }
  throw new Error(`fewer than ${n} requests reached the held email`);
}
