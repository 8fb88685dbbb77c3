import { Stack, startStack, WorkerProcess } from '../support/stack';
import { compareWithUpstream, createCustomers, customerInput, duplicateEmails, mirror, sleep, waitUntilSettled } from './sync-kit';

// The worker as a real process (the built code), killed without warning or stopped politely.
describe('worker process crash and shutdown', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack({
      workers: 0,
      // Duplicates allowed and keys ignored upstream: a create sent twice would show.
      sandbox: { settings: { ignoreIdempotencyKeys: true, allowDuplicateEmails: true } },
      // Slow enough that requests are in flight whenever the worker is killed.
      faults: [{ kind: 'latency', latencyMs: 150 }],
    });
  });

  afterEach(async () => {
    await stack.killWorkerProcesses();
  });

  afterAll(async () => {
    await stack?.close();
  });

  async function syncedCount(): Promise<number> {
    const { rows } = await stack.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM customers WHERE sync_status = 'synced'`);
    return rows[0].n;
  }

  async function waitForSynced(atLeast: number, worker: WorkerProcess): Promise<void> {
    const deadline = Date.now() + 60_000;
    while ((await syncedCount()) < atLeast) {
      if (Date.now() > deadline || worker.child.exitCode !== null) throw new Error(`worker made no progress:\n${worker.output()}`);
      await sleep(100);
    }
  }

  /** Operations whose request may have gone out with no answer recorded. */
  async function inDoubt(): Promise<number> {
    const { rows } = await stack.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM customer_operations WHERE status = 'pending' AND attempts > 0 AND last_error IS NULL`,
    );
    return rows[0].n;
  }

  async function waitForInDoubt(worker: WorkerProcess): Promise<void> {
    const deadline = Date.now() + 60_000;
    while ((await inDoubt()) === 0) {
      if (Date.now() > deadline || worker.child.exitCode !== null) throw new Error(`no request in flight:\n${worker.output()}`);
      await sleep(10);
    }
  }

  it('a worker killed with SIGKILL mid-run, then restarted: every customer completes, none is duplicated', async () => {
    // Creates go in bulks of up to 100: two drains at a time leave work for several rounds.
    const ids = await createCustomers(stack, Array.from({ length: 400 }, (_, i) => customerInput('kill', i)));
    let worker = stack.spawnWorker({ SYNC_CONCURRENCY: '2' });
    await waitForSynced(25, worker);
    // From here each request is held longer, so a kill lands while some are out, their answers
    // not yet recorded. Between our look and the signal they may still all have been answered
    // (a loaded CI did that once): then a new worker is started and killed again.
    const hold = await stack.sandbox.control.addFault({ kind: 'latency', latencyMs: 750 });
    for (let kills = 1; ; kills++) {
      await waitForInDoubt(worker);
      worker.kill();
      expect((await worker.exited).signal).toBe('SIGKILL');
      if ((await inDoubt()) > 0) break;
      if (kills === 5) throw new Error('five kills in a row all landed between requests');
      worker = stack.spawnWorker({ SYNC_CONCURRENCY: '2' });
    }
    await stack.sandbox.control.removeFault(hold.id);

    const syncedAtKill = await syncedCount();
    expect(syncedAtKill).toBeLessThan(ids.length);
    // The kill caught requests in flight: their outcome is unknown to us.
    expect(await inDoubt()).toBeGreaterThan(0);

    stack.spawnWorker();
    await waitUntilSettled(stack.db, 120_000);

    const rows = await mirror(stack.db);
    expect(rows.map((r) => r.sync_status)).toEqual(Array(ids.length).fill('synced'));
    const upstream = (await stack.sandbox.control.customers()).filter((c) => c.email.startsWith('kill-'));
    expect(duplicateEmails(upstream)).toEqual([]);
    expect(upstream).toHaveLength(ids.length);
    expect(compareWithUpstream(rows.filter((r) => r.email.startsWith('kill-')), upstream)).toEqual([]);
  }, 240_000);

  it('SIGTERM lets in-flight work finish, then the process exits 0', async () => {
    const ids = await createCustomers(stack, Array.from({ length: 80 }, (_, i) => customerInput('term', i)));
    const worker = stack.spawnWorker();
    const before = await syncedCount();
    await waitForSynced(before + 10, worker);
    worker.child.kill('SIGTERM');
    const exit = await worker.exited;
    expect({ ...exit, output: exit.code === 0 ? '' : worker.output() }).toEqual({ code: 0, signal: null, output: '' });
    // Every request that went out got its answer recorded: nothing was cut off mid-way.
    expect(await inDoubt()).toBe(0);

    stack.spawnWorker();
    await waitUntilSettled(stack.db, 120_000);
    const upstream = (await stack.sandbox.control.customers()).filter((c) => c.email.startsWith('term-'));
    expect(duplicateEmails(upstream)).toEqual([]);
    expect(upstream).toHaveLength(ids.length);
  }, 240_000);
});
