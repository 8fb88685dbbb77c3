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
      // Slow enough that a SIGTERM lands while requests are in flight.
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

  /** Operations sent once and never answered: pending, attempted, no error recorded. */
  async function unanswered(): Promise<number> {
    const { rows } = await stack.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM customer_operations WHERE status = 'pending' AND attempts > 0 AND last_error IS NULL`,
    );
    return rows[0].n;
  }

  /** Operations whose request left after `since` (Postgres's clock) and whose outcome we do not know. */
  async function inDoubtSince(since: Date): Promise<number> {
    const { rows } = await stack.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM customer_operations WHERE status = 'pending' AND in_doubt AND last_sent_at > $1`,
      [since],
    );
    return rows[0].n;
  }

  async function waitForInDoubt(since: Date, worker: WorkerProcess): Promise<void> {
    const deadline = Date.now() + 60_000;
    while ((await inDoubtSince(since)) === 0) {
      if (Date.now() > deadline || worker.child.exitCode !== null) throw new Error(`no request in flight:\n${worker.output()}`);
      await sleep(10);
    }
  }

  it('a worker killed with SIGKILL mid-run, then restarted: every customer completes, none is duplicated', async () => {
    // Creates go in bulks of up to 100: two drains at a time leave work for several rounds.
    const ids = await createCustomers(stack, Array.from({ length: 400 }, (_, i) => customerInput('kill', i)));
    let worker = stack.spawnWorker({ SYNC_CONCURRENCY: '2' });
    await waitForSynced(25, worker);
    // From here every request is held 900 ms (750 on top of the stack's 150), and Postgres's
    // clock says when "here" is: a request sent after it is still out when the kill lands, its
    // answer not yet recorded. Should every one still have been answered between our look and
    // the signal, a new worker is started and killed again: the loop's end is the check that
    // the kill caught requests in flight.
    const hold = await stack.sandbox.control.addFault({ kind: 'latency', latencyMs: 750 });
    try {
      const { rows } = await stack.db.query<{ at: Date }>(`SELECT now() AS at`);
      const heldFrom = rows[0].at;
      for (let kills = 1; ; kills++) {
        await waitForInDoubt(heldFrom, worker);
        worker.kill();
        expect((await worker.exited).signal).toBe('SIGKILL');
        if ((await inDoubtSince(heldFrom)) > 0) break;
        if (kills === 5) throw new Error('five kills in a row all landed between requests');
        worker = stack.spawnWorker({ SYNC_CONCURRENCY: '2' });
      }
    } finally {
      await stack.sandbox.control.removeFault(hold.id);
    }
    expect(await syncedCount()).toBeLessThan(ids.length);

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
    expect(await unanswered()).toBe(0);

    stack.spawnWorker();
    await waitUntilSettled(stack.db, 120_000);
    const upstream = (await stack.sandbox.control.customers()).filter((c) => c.email.startsWith('term-'));
    expect(duplicateEmails(upstream)).toEqual([]);
    expect(upstream).toHaveLength(ids.length);
  }, 240_000);
});
