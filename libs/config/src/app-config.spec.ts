import { ConfigError, loadConfig } from './app-config';

const valid = {
  DATABASE_URL: 'postgres://postgres@localhost:5432/customer_sync',
  REDIS_URL: 'redis://localhost:6379',
  QUEUE_PREFIX: 'customer-sync',
  PORT: '3000',
  WORKER_PORT: '3001',
  CELAR_BASE_URL: 'http://localhost:4010/api/v1/',
  CELAR_API_KEY: 'sandbox_key',
  SANDBOX_PORT: '4010',
  API_KEYS: 'dev_app_key, second_app_key',
  BODY_LIMIT: '2mb',
  ADMIN_API_KEYS: 'dev_admin_key',
  BALANCE_RECONCILE_EVERY: '15m',
  RECORD_RECONCILE_EVERY: 'off',
};

describe('loadConfig', () => {
  it('reads every variable of the contract into typed settings', () => {
    const config = loadConfig(valid, '');
    expect(config.port).toBe(3000);
    expect(config.celar.baseUrl).toBe('http://localhost:4010/api/v1');
    expect(config.appApiKeys).toEqual(['dev_app_key', 'second_app_key']);
    expect(config.bodyLimitBytes).toBe(2 * 1024 * 1024);
    expect(config.balanceReconcileEveryMs).toBe(15 * 60_000);
    expect(config.recordReconcileEveryMs).toBeNull();
    expect(config.celar.requestsPerSecond).toBe(20);
    // The sandbox's control API has no key: loopback unless told otherwise.
    expect(config.sandboxHost).toBe('127.0.0.1');
    expect(loadConfig({ ...valid, SANDBOX_HOST: '0.0.0.0' }, '').sandboxHost).toBe('0.0.0.0');
  });

  it.each(Object.keys(valid))('stops with a one-line message naming %s when it is missing', (name) => {
    const env: Record<string, string> = { ...valid };
    delete env[name];
    expect(() => loadConfig(env, '')).toThrow(ConfigError);
    expect(() => loadConfig(env, '')).toThrow(new RegExp(`${name} is missing`));
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
  ])('refuses a malformed %s (%s) and names it', (name, value) => {
    let message = '';
    try {
      loadConfig({ ...valid, [name]: value }, '');
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain(name);
    expect(message).not.toContain('\n');
  });
});
