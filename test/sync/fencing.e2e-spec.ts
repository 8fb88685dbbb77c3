import { Stack, startStack } from '../support/stack';
import { compareWithUpstream, createCustomers, customerInput, duplicateEmails, mirror, sleep, waitUntilSettled } from './sync-kit';

// A worker dies while its create is in flight (Celar acts on it 1.5 s later). Its lease on the
// customer lapses, another worker takes the customer, and must send nothing, nor look anything
// up, before the dead worker's request can no longer act: its timeout plus the settle time.
const TIMEOUT_MS = 2000;
const SETTLE_MS = 3000;

describe('exclusion that survives a dying worker', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack({
      env: { CELAR_TIMEOUT_MS: String(TIMEOUT_MS), CELAR_SETTLE_MS: String(SETTLE_MS), SYNC_LEASE_MS: '1500' },
      workers: 0,
      sandbox: { settings: { ignoreIdempotencyKeys: true, allowDuplicateEmails: true } },
      faults: [{ kind: 'latency', method: 'POST', latencyMs: 1500, count: 1 }],
    });
  });

  afterAll(async () => {
    await stack?.close();
  });

  it('a killed worker’s in-flight create is neither re-sent nor looked up before it settles, and the customer is not blocked for long', async () => {
    // The stack's settings: the same timeout, settle time and lease as the worker that takes over.
    const doomed = stack.spawnWorker();
    const input = customerInput('fenced', 0);
    await createCustomers(stack, [input]);
    // The attempt is recorded just before the request leaves: kill the worker while Celar holds it.
    for (const deadline = Date.now() + 30_000; ; await sleep(20)) {
      const { rows } = await stack.db.query(`SELECT 1 FROM customer_operations WHERE last_sent_at IS NOT NULL`);
      if (rows.length > 0) break;
      if (Date.now() > deadline) throw new Error(`the worker sent nothing:\n${doomed.output()}`);
    }
    await sleep(200);
    doomed.kill();
    await doomed.exited;
    const killedAt = Date.now();
    await stack.startWorker();

    await waitUntilSettled(stack.db, 60_000);
    const settledIn = Date.now() - killedAt;

    const upstream = await stack.sandbox.control.customers();
    expect(duplicateEmails(upstream)).toEqual([]);
    expect(upstream).toHaveLength(1);
    const rows = await mirror(stack.db);
    expect(rows[0].sync_status).toBe('synced');
    expect(compareWithUpstream(rows, upstream)).toEqual([]);
    // The dead worker's request did reach Celar and act; whatever came after it waited for its fence.
    const [first, ...later] = (await stack.sandbox.control.requestLog({})).sort((a, b) => a.seq - b.seq);
    expect(first).toMatchObject({ method: 'POST', outcome: 'fault:latency' });
    expect(later.length).toBeGreaterThan(0);
    for (const entry of later) expect(Date.parse(entry.at)).toBeGreaterThanOrEqual(Date.parse(first.at) + TIMEOUT_MS + SETTLE_MS);
    // The lost holder blocked the customer for its fence, not for hours.
    expect(settledIn).toBeLessThan(30_000);
  }, 90_000);
});
