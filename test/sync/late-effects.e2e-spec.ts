import { setTimeout as sleep } from 'node:timers/promises';
import { SandboxRequestLogEntry } from '@app/testing';
import { Stack, startStack } from '../support/stack';
import { compareWithUpstream, createCustomers, customerInput, duplicateEmails, mirror, seedUpstream, updateCustomer, waitUntilSettled } from './sync-kit';

// Celar acting after our client gave up: every request held 1.5 s by Celar, our timeout 0.5 s,
// so each timed-out request still takes effect 1 s after we stopped waiting. Idempotency keys
// ignored and duplicate emails allowed, so a create sent twice shows as two customers; a list
// that is oldest first, 7 items a page, with no total, and an email filter Celar ignores, so a
// lookup that trusts order, page size or a total, or stops early, misses what is there.
const TIMEOUT_MS = 500;
const CELAR_ACTS_AFTER_MS = 1500;

describe('exactly once and in order when Celar acts after we gave up', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack({
      env: { CELAR_TIMEOUT_MS: String(TIMEOUT_MS), CELAR_SETTLE_MS: '1500' },
      workers: 0,
      sandbox: {
        seed: 99,
        settings: { ignoreIdempotencyKeys: true, allowDuplicateEmails: true, listOrder: 'oldest', pageCap: 7, listTotal: false, emailFilter: 'ignored' },
      },
    });
    // Other clients' customers: a lookup must page past them.
    await seedUpstream(stack, 60, 'other');
  });

  afterAll(async () => {
    await stack?.close();
  });

  it('creates, singles and bulks, timing out while Celar still works, each land once', async () => {
    // The first four creates Celar sees (singles or bulks) act only after our client gave up.
    await stack.sandbox.control.addFault({ kind: 'latency', method: 'POST', path: '/customers', latencyMs: CELAR_ACTS_AFTER_MS, count: 4 });
    await stack.startWorker();
    const singles = Array.from({ length: 12 }, (_, i) => customerInput('late-single', i));
    for (const input of singles) await createCustomers(stack, [input]);
    await createCustomers(stack, Array.from({ length: 40 }, (_, i) => customerInput('late-bulk', i)));

    await waitUntilSettled(stack.db, 180_000);

    const rows = await mirror(stack.db);
    expect(rows.filter((r) => r.sync_status !== 'synced').map((r) => [r.email, r.sync_status, r.sync_error])).toEqual([]);
    const upstream = await stack.sandbox.control.customers();
    expect(duplicateEmails(upstream)).toEqual([]);
    expect(upstream).toHaveLength(60 + 52);
    expect(compareWithUpstream(rows, upstream)).toEqual([]);
    // Requests were held past our timeout, so Celar acted after we gave up (otherwise this proves nothing).
    const posts = await stack.sandbox.control.requestLog({ method: 'POST', path: '/api/v1/customers' });
    expect(posts.filter((e) => e.outcome === 'fault:latency').length).toBeGreaterThan(0);
    // Nothing carrying a customer was sent while an earlier request carrying it could still act.
    expect(overlaps(posts, (e) => emailsOf(e.body))).toEqual([]);
  }, 240_000);

  it('patch chains under late effects: no older patch lands after a newer one; upstream ends equal to the mirror', async () => {
    const ids = (await stack.db.query<{ id: string }>(`SELECT id FROM customers WHERE email LIKE 'late-single-%' ORDER BY email LIMIT 8`)).rows.map(
      (r) => r.id,
    );
    await stack.sandbox.control.clearFaults();
    await stack.sandbox.control.addFault({ kind: 'latency', method: 'PATCH', latencyMs: CELAR_ACTS_AFTER_MS, probability: 0.5 });
    for (let round = 1; round <= 4; round++) {
      for (const id of ids) await updateCustomer(stack, id, { name: `Round ${round}`, address: `${round} Late Street` });
      await sleep(300);
    }

    await waitUntilSettled(stack.db, 180_000);

    const rows = (await mirror(stack.db)).filter((r) => ids.includes(r.id));
    expect(rows.map((r) => r.name)).toEqual(ids.map(() => 'Round 4'));
    const upstream = await stack.sandbox.control.customers();
    expect(compareWithUpstream(rows, upstream)).toEqual([]);
    const patches = await stack.sandbox.control.requestLog({ method: 'PATCH' });
    expect(patches.filter((e) => e.outcome === 'fault:latency').length).toBeGreaterThan(0);
    expect(overlaps(patches, (e) => e.customerIds)).toEqual([]);
  }, 240_000);
});

/** When a request took effect: after the fault's latency when one held it, else on arrival. */
function actedAt(entry: SandboxRequestLogEntry): number {
  return Date.parse(entry.at) + (entry.outcome === 'fault:latency' ? CELAR_ACTS_AFTER_MS : 0);
}

function emailsOf(body: unknown): string[] {
  const items = Array.isArray(body) ? body : [body];
  return items.flatMap((item) => (item && typeof item === 'object' && typeof (item as { email?: unknown }).email === 'string' ? [(item as { email: string }).email.toLowerCase()] : []));
}

/** Requests that arrived for a key (email or customer) while an earlier request for it was still to take effect. */
function overlaps(entries: SandboxRequestLogEntry[], keysOf: (e: SandboxRequestLogEntry) => string[]): string[] {
  const pendingUntil = new Map<string, number>();
  const problems: string[] = [];
  for (const entry of [...entries].sort((a, b) => a.seq - b.seq)) {
    const at = Date.parse(entry.at);
    for (const key of keysOf(entry)) {
      if ((pendingUntil.get(key) ?? 0) > at) problems.push(`${entry.method} for ${key} at ${entry.at} overtook an earlier one`);
      pendingUntil.set(key, Math.max(pendingUntil.get(key) ?? 0, actedAt(entry)));
    }
  }
  return problems;
}
