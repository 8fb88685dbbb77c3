// A worker process killed mid-run (SIGKILL) and started again: the run resumes, counts nothing twice, and finishes.
// Runs the built worker (`npm run build` first; `npm test` does it).
import { ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppConfig } from '@app/config';
import { allFindings, getRun, seedCustomers, Seeded, Stack, startRun, startStack, waitForRun } from './reconciliation-kit';
import { waitUntil } from '@app/testing';

const WORKER_MAIN = join(__dirname, '..', '..', 'dist', 'apps', 'worker', 'src', 'main.js');
const CUSTOMERS = 1000;

function workerEnv(config: AppConfig): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    DATABASE_URL: config.databaseUrl,
    REDIS_URL: config.redisUrl,
    QUEUE_PREFIX: config.queuePrefix,
    PORT: '0',
    WORKER_PORT: '0',
    SANDBOX_PORT: '0',
    CELAR_BASE_URL: config.celar.baseUrl,
    CELAR_API_KEY: config.celar.apiKey,
    CELAR_REQUESTS_PER_SECOND: String(config.celar.requestsPerSecond),
    API_KEYS: config.appApiKeys.join(','),
    ADMIN_API_KEYS: config.adminApiKeys.join(','),
    BODY_LIMIT: '2mb',
    BALANCE_RECONCILE_EVERY: 'off',
    RECORD_RECONCILE_EVERY: 'off',
    LOG_LEVEL: 'error',
  };
}

describe('a worker killed mid-run (e2e, real process)', () => {
  let stack: Stack;
  let customers: Seeded[];
  const children: ChildProcess[] = [];
  // An empty working directory: the worker must not read a developer's .env.
  const cwd = mkdtempSync(join(tmpdir(), 'recon-worker-'));

  const spawnWorker = (): ChildProcess => {
    const child = spawn(process.execPath, [WORKER_MAIN], { cwd, env: workerEnv(stack.config), stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
    child.on('exit', (code, signal) => {
      if (code !== null && code !== 0) console.error(`worker exited ${code}: ${stderr}`);
      void signal;
    });
    children.push(child);
    return child;
  };

  beforeAll(async () => {
    if (!existsSync(WORKER_MAIN)) throw new Error(`${WORKER_MAIN} is missing: run npm run build first`);
    // The baseline run in-process; the run under test in worker processes only.
    stack = await startStack({ env: { CELAR_REQUESTS_PER_SECOND: '200' } });
    customers = await seedCustomers(stack, CUSTOMERS);
    await waitForRun(stack, (await startRun(stack, 'balances')).id);
    await stack.stopWorker();
    for (let i = 0; i < CUSTOMERS; i += 10) await stack.sandbox.control.setBalance(customers[i].celarId, `${i}.000001`);
  });

  afterAll(async () => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await stack?.close();
  });

  it('resumes the run after a restart, with every customer counted once', async () => {
    await stack.sandbox.control.addFault({ kind: 'latency', latencyMs: 20, path: '/customers/*/balance' });
    const first = spawnWorker();
    const run = await startRun(stack, 'balances');

    // Kill it once some chunks are done, well before the end.
    const midway = await waitUntil(
      async () => {
        const r = await getRun(stack, run.id);
        return r.progress.done >= 250 ? r : undefined;
      },
      60_000,
      'the run to get going',
      50,
    );
    first.kill('SIGKILL');
    await new Promise((resolve) => first.once('exit', resolve));
    expect(midway.progress.done).toBeLessThan(CUSTOMERS);
    const afterKill = await getRun(stack, run.id);
    expect(afterKill.status).toBe('running');
    expect(afterKill.progress.done).toBeLessThan(CUSTOMERS);

    spawnWorker();
    const ended = await waitForRun(stack, run.id, 150_000);

    expect(ended.status).toBe('completed');
    expect(ended.progress).toEqual({ done: CUSTOMERS, total: CUSTOMERS });
    expect(ended.counts).toEqual({ customers_checked: CUSTOMERS, balances_changed: 100, findings: 100, errors: 0 });
    const findings = await allFindings(stack, run.id);
    expect(findings).toHaveLength(100);
    expect(new Set(findings.map((f) => f.customer_id)).size).toBe(100);
    const changed = new Set(customers.filter((_, i) => i % 10 === 0).map((c) => c.id));
    expect(findings.every((f) => f.kind === 'balance_changed' && changed.has(f.customer_id!))).toBe(true);
    const { rows } = await stack.db.query(`SELECT count(*)::int AS n FROM balance_history WHERE run_id = $1`, [run.id]);
    expect(rows[0].n).toBe(100);
    // 0.000001 + 10.000001 + ... + 990.000001
    expect(ended.totals).toEqual([{ currency: 'USDC', total: '49500.000100' }]);
  }, 240_000);
});
