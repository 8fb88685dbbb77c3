import { PrivateRedis } from '@app/testing';
import { Stack, startStack } from '../support/stack';
import { compareWithUpstream, createCustomers, customerInput, duplicateEmails, http, mirror, sleep, updateCustomer, waitUntilSettled } from './sync-kit';

// Redis dies while the API keeps accepting changes, and comes back empty: Postgres is the
// record of what is left to do, so every change still reaches Celar, once.
describe('Redis outage', () => {
  let stack: Stack;
  let redis: PrivateRedis;

  beforeAll(async () => {
    redis = await PrivateRedis.start();
    // Few workers and a slow Celar: when Redis dies, jobs are still waiting in it, and are lost with it.
    stack = await startStack({
      env: { REDIS_URL: redis.url, SYNC_RESWEEP_AFTER_MS: '1000', SYNC_CONCURRENCY: '2' },
      sandbox: { settings: { ignoreIdempotencyKeys: true, allowDuplicateEmails: true } },
      faults: [{ kind: 'latency', latencyMs: 100 }],
    });
  });

  afterAll(async () => {
    // A test that failed while Redis was down: bring it back so the workers can close.
    if (redis && !redis.running) await redis.restart();
    await stack?.close();
    await redis?.kill();
  });

  async function synced(emailPrefix: string): Promise<number> {
    const { rows } = await stack.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM customers WHERE sync_status = 'synced' AND email LIKE $1`,
      [`${emailPrefix}%`],
    );
    return rows[0].n;
  }

  it('accepts 50 creates while Redis is down; after Redis comes back empty, every customer reaches Celar exactly once', async () => {
    // Creates go in bulk calls, but each customer's update is a PATCH of its own: with two
    // drains and a slow Celar, most are still queued in Redis when it dies.
    const before = await createCustomers(stack, Array.from({ length: 30 }, (_, i) => customerInput('before', i)));
    for (let i = 0; i < before.length; i++) await updateCustomer(stack, before[i], { name: `Before ${i}` });
    const deadline = Date.now() + 60_000;
    while ((await synced('before-')) < 5 && Date.now() < deadline) await sleep(50);
    await redis.kill();
    expect(await synced('before-')).toBeLessThan(30);

    // The API does not need Redis to accept changes.
    const during = await createCustomers(
      stack,
      Array.from({ length: 50 }, (_, i) => customerInput('during', i)),
    );
    expect(during).toHaveLength(50);
    // Still ready (it accepts and serves), and says Redis is down.
    const ready = await http(stack).get('/health/ready');
    expect(ready.status).toBe(200);
    expect(JSON.stringify(ready.body)).toMatch(/"redis":\{[^}]*"status":"down"/);
    // Nothing moves them while Redis is down.
    await sleep(1500);
    expect(await synced('during-')).toBe(0);

    await redis.restart();
    await waitUntilSettled(stack.db, 120_000);

    const rows = await mirror(stack.db);
    expect(rows).toHaveLength(80);
    expect(rows.filter((r) => r.sync_status !== 'synced')).toEqual([]);
    const upstream = await stack.sandbox.control.customers();
    expect(duplicateEmails(upstream)).toEqual([]);
    expect(upstream).toHaveLength(80);
    expect(compareWithUpstream(rows, upstream)).toEqual([]);
    expect(rows.filter((r) => r.name.startsWith('Before '))).toHaveLength(30);
    // Exactly once as Celar saw it: each customer in one create call that took effect (calls may be bulks).
    const creates = (await stack.sandbox.control.requestLog({ method: 'POST' })).filter((e) => e.acted);
    const created = creates.flatMap((e) => e.customerIds);
    expect(created).toHaveLength(80);
    expect(new Set(created).size).toBe(80);
  }, 200_000);
});
