import { ConfigError, loadConfig, PROCESS_SETTINGS } from './app-config';

/** The six settings without a built-in value. */
const required = {
  DATABASE_URL: 'postgres://postgres@localhost:5432/customer_sync',
  REDIS_URL: 'redis://localhost:6379',
  CELAR_BASE_URL: 'http://localhost:4010/api/v1/',
  CELAR_API_KEY: 'sandbox_key',
  API_KEYS: 'dev_app_key, second_app_key',
  ADMIN_API_KEYS: 'dev_admin_key',
};

function messageOf(load: () => unknown): string {
  try {
    load();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  return '';
}

describe('loadConfig', () => {
  it('needs only the connection strings and keys: every other setting takes the contract default', () => {
    const config = loadConfig(required, '', 'api');
    expect(config.port).toBe(3000);
    expect(config.workerPort).toBe(3001);
    expect(config.sandboxPort).toBe(4010);
    expect(config.queuePrefix).toBe('customer-sync');
    expect(config.celar.baseUrl).toBe('http://localhost:4010/api/v1');
    expect(config.appApiKeys).toEqual(['dev_app_key', 'second_app_key']);
    expect(config.bodyLimitBytes).toBe(2 * 1024 * 1024);
    expect(config.balanceReconcileEveryMs).toBe(15 * 60_000);
    expect(config.recordReconcileEveryMs).toBe(60 * 60_000);
    expect(config.celar).toMatchObject({ requestsPerSecond: 20, timeoutMs: 10_000, settleMs: 30_000, reconcileBudgetShare: 0.5 });
    expect(config.webhooks.timeoutMs).toBe(15_000);
    expect(config.redisClusterNodes).toBeNull();
    // The sandbox's control API has no key: loopback unless told otherwise.
    expect(config.sandboxHost).toBe('127.0.0.1');
    expect(loadConfig({ ...required, SANDBOX_HOST: '0.0.0.0' }, '', 'all').sandboxHost).toBe('0.0.0.0');
  });

  it.each(Object.keys(required))('stops with a one-line message naming %s when a process that uses it lacks it', (name) => {
    const env: Record<string, string> = { ...required };
    delete env[name];
    expect(messageOf(() => loadConfig(env, '', 'all'))).toMatch(new RegExp(`${name} is missing`));
  });

  it('reads only what the process uses: the API needs no SANDBOX_PORT, the worker no API keys, the migrations only DATABASE_URL', () => {
    expect(loadConfig({ ...required, SANDBOX_PORT: 'not-a-port', WORKER_PORT: 'x' }, '', 'api').port).toBe(3000);
    const worker = loadConfig({ ...required, API_KEYS: '', ADMIN_API_KEYS: '', PORT: 'x', BODY_LIMIT: 'huge' }, '', 'worker');
    expect(worker.workerPort).toBe(3001);
    const migrate = loadConfig({ DATABASE_URL: required.DATABASE_URL }, '', 'migrate');
    expect(migrate.databaseUrl).toBe(required.DATABASE_URL);
    // A setting the process did not read is a bug to use, not a silent empty value.
    expect(() => migrate.celar.apiKey).toThrow(/CELAR_API_KEY is not a setting of this process/);
    expect(() => loadConfig(required, '', 'worker').appApiKeys).toThrow(/API_KEYS/);
    expect(PROCESS_SETTINGS.api).not.toContain('SANDBOX_PORT');
  });

  it('takes a Redis Cluster instead of REDIS_URL, which is then not needed', () => {
    const env: Record<string, string> = { ...required, REDIS_CLUSTER_NODES: 'redis-1:6379, 10.0.0.2:7000,[::1]:7001' };
    delete env.REDIS_URL;
    expect(loadConfig(env, '', 'worker').redisClusterNodes).toEqual([
      { host: 'redis-1', port: 6379 },
      { host: '10.0.0.2', port: 7000 },
      { host: '::1', port: 7001 },
    ]);
  });

  it('derives the shutdown timeout from the Celar timeout, and refuses one that would cut a request in flight', () => {
    expect(loadConfig({ ...required, CELAR_TIMEOUT_MS: '4000' }, '', 'worker').shutdownTimeoutMs).toBeGreaterThan(4000);
    expect(loadConfig(required, '', 'api').shutdownTimeoutMs).toBeGreaterThan(10_000);
    expect(messageOf(() => loadConfig({ ...required, SHUTDOWN_TIMEOUT_MS: '10000' }, '', 'worker'))).toMatch(/SHUTDOWN_TIMEOUT_MS must exceed CELAR_TIMEOUT_MS/);
  });

  it.each([
    ['DATABASE_URL', 'mysql://localhost/x'],
    ['REDIS_URL', 'not a url'],
    ['PORT', '70000'],
    ['PORT', 'abc'],
    ['BODY_LIMIT', 'huge'],
    ['BALANCE_RECONCILE_EVERY', '15 minutes'],
    ['API_KEYS', 'short'],
    ['CELAR_TIMEOUT_MS', '45000'],
    ['SANDBOX_HOST', 'http://0.0.0.0'],
    ['CELAR_SETTLE_MS', '-1'],
    ['CELAR_SETTLE_MS', '30s'],
    ['RECONCILE_BUDGET_SHARE', '1.5'],
    ['RECONCILE_BUDGET_SHARE', 'half'],
    ['RECONCILE_BUDGET_SHARE', '.'],
    ['WEBHOOK_TIMEOUT_MS', '15 s'],
    ['REDIS_CLUSTER_NODES', 'redis-1'],
    ['REDIS_CLUSTER_NODES', 'redis-1:6379,redis-2:99999'],
  ])('refuses a malformed %s (%s) with one line naming it', (name, value) => {
    const message = messageOf(() => loadConfig({ ...required, [name]: value }, '', 'all'));
    expect(message).toContain(name);
    expect(message).not.toContain('\n');
  });

  it('accepts the edges of RECONCILE_BUDGET_SHARE', () => {
    expect(loadConfig({ ...required, RECONCILE_BUDGET_SHARE: '0' }, '', 'worker').celar.reconcileBudgetShare).toBe(0);
    expect(loadConfig({ ...required, RECONCILE_BUDGET_SHARE: '1' }, '', 'worker').celar.reconcileBudgetShare).toBe(1);
    expect(loadConfig({ ...required, RECONCILE_BUDGET_SHARE: '0.25' }, '', 'worker').celar.reconcileBudgetShare).toBe(0.25);
  });
});
