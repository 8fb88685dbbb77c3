import { join } from 'node:path';
import { createTestDatabase, uniqueQueuePrefix, API_MAIN, WORKER_MAIN, assertBuilt, freePort, spawnProcess, Spawned, waitFor } from '@app/testing';

const MIGRATE_MAIN = join(__dirname, '..', '..', 'dist', 'libs', 'database', 'src', 'migrate.js');

// The built processes started as an operator would: with only the settings that have no
// built-in value (the contract's six), or with one missing or malformed.
describe('settings at start (real processes)', () => {
  let dbUrl: string;
  const running: Spawned[] = [];

  beforeAll(async () => {
    assertBuilt();
    dbUrl = await createTestDatabase();
  });

  afterEach(() => {
    for (const p of running.splice(0)) p.kill();
  });

  /** The six settings without a default, and nothing else (PATH aside). */
  const six = () => ({
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    DATABASE_URL: dbUrl,
    REDIS_URL: 'redis://127.0.0.1:6379',
    CELAR_BASE_URL: 'http://127.0.0.1:9/api/v1',
    CELAR_API_KEY: 'sandbox_key',
    API_KEYS: 'test_app_key_1',
    ADMIN_API_KEYS: 'test_admin_key',
  });

  const start = (main: string, env: Record<string, string>) => {
    const child = spawnProcess(main, env);
    running.push(child);
    return child;
  };

  /** Exit code and stderr of a process expected to refuse to start. */
  async function refusal(main: string, env: Record<string, string>): Promise<{ code: number | null; message: string }> {
    const child = start(main, env);
    const { code } = await child.exited;
    return { code, message: child.output().trim() };
  }

  it('npm run start:api with only the connection strings and keys starts (every other setting defaults)', async () => {
    // PORT only so that it cannot collide with another API on this shared machine.
    const port = await freePort();
    const api = start(API_MAIN, { ...six(), PORT: String(port) });
    const live = await waitFor(
      () => fetch(`http://127.0.0.1:${port}/health/live`).then((r) => r.status, () => 0),
      (status) => status === 200,
      30_000,
    );
    expect(live).toBe(200);
    // It does not read SANDBOX_PORT, WORKER_PORT or BODY_LIMIT: they were never set, and a bad one would not matter.
    api.kill();
    const again = start(API_MAIN, { ...six(), PORT: String(port), SANDBOX_PORT: 'banana', WORKER_PORT: '-1' });
    await waitFor(
      () => fetch(`http://127.0.0.1:${port}/health/live`).then((r) => r.status, () => 0),
      (status) => status === 200,
      30_000,
    );
    again.child.kill('SIGTERM');
    expect(await again.exited).toEqual({ code: 0, signal: null });
  });

  it('the worker starts without the API keys, and the migrations with DATABASE_URL alone', async () => {
    const env: Record<string, string> = { ...six(), QUEUE_PREFIX: uniqueQueuePrefix(), WORKER_PORT: '0', BALANCE_RECONCILE_EVERY: 'off', RECORD_RECONCILE_EVERY: 'off' };
    delete env.API_KEYS;
    delete env.ADMIN_API_KEYS;
    const worker = start(WORKER_MAIN, env);
    await worker.waitForLine((line) => line.msg === 'worker started');
    worker.child.kill('SIGTERM');
    expect(await worker.exited).toEqual({ code: 0, signal: null });

    const migrate = start(MIGRATE_MAIN, { PATH: six().PATH, DATABASE_URL: dbUrl });
    expect((await migrate.exited).code).toBe(0);
    expect(migrate.output()).toMatch(/no pending migrations|applied/);
  });

  it.each(['DATABASE_URL', 'REDIS_URL', 'CELAR_BASE_URL', 'CELAR_API_KEY', 'API_KEYS', 'ADMIN_API_KEYS'])(
    'the API without %s stops at once with one line naming it',
    async (name) => {
      const env: Record<string, string> = six();
      delete env[name];
      const { code, message } = await refusal(API_MAIN, env);
      expect(code).toBe(1);
      expect(message).toContain(`${name} is missing`);
      expect(message.split('\n')).toHaveLength(1);
    },
  );

  it.each([
    ['api', 'RECONCILE_BUDGET_SHARE', '1.5'],
    ['api', 'CELAR_SETTLE_MS', '30s'],
    ['api', 'REDIS_CLUSTER_NODES', 'redis-1'],
    ['api', 'SHUTDOWN_TIMEOUT_MS', '5000'],
    ['worker', 'WEBHOOK_TIMEOUT_MS', 'soon'],
    ['worker', 'RECONCILE_BUDGET_SHARE', 'half'],
    ['worker', 'CELAR_REQUESTS_PER_SECOND', '0'],
  ])('the %s with a malformed %s (%s) stops with one line naming it', async (processName, name, value) => {
    const { code, message } = await refusal(processName === 'api' ? API_MAIN : WORKER_MAIN, { ...six(), [name]: value });
    expect(code).toBe(1);
    expect(message).toContain(name);
    expect(message.split('\n')).toHaveLength(1);
  });
});
