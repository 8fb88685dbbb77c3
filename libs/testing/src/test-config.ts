import { AppConfig, loadConfig } from '@app/config';
import { uniqueQueuePrefix } from './test-database';

export const TEST_APP_KEY = 'test_app_key_1';
export const TEST_ADMIN_KEY = 'test_admin_key';

/**
 * A test's settings as environment variables: the contract's defaults, a given database and
 * Celar, a unique queue prefix. In-process apps load them (testConfig); spawned processes get
 * them as their environment (processEnv).
 */
export function testSettings(databaseUrl: string, celarBaseUrl: string, overrides: Record<string, string> = {}): Record<string, string> {
  return {
    DATABASE_URL: databaseUrl,
    REDIS_URL: 'redis://127.0.0.1:6379',
    QUEUE_PREFIX: uniqueQueuePrefix(),
    PORT: '0',
    WORKER_PORT: '0',
    SANDBOX_PORT: '0',
    CELAR_BASE_URL: celarBaseUrl,
    CELAR_API_KEY: 'sandbox_key',
    API_KEYS: `${TEST_APP_KEY},test_app_key_2`,
    ADMIN_API_KEYS: TEST_ADMIN_KEY,
    BODY_LIMIT: '2mb',
    BALANCE_RECONCILE_EVERY: 'off',
    RECORD_RECONCILE_EVERY: 'off',
    LOG_LEVEL: 'silent',
    SYNC_BACKOFF_BASE_MS: '50',
    SYNC_BACKOFF_MAX_MS: '1000',
    OUTBOX_POLL_MS: '200',
    ...overrides,
  };
}

/** Settings for an app started in the test's own process. */
export function testConfig(databaseUrl: string, overrides: Record<string, string> = {}): AppConfig {
  return loadConfig(testSettings(databaseUrl, 'http://127.0.0.1:4010/api/v1', overrides), '');
}


/** The request headers of the two roles, for every test that calls the API. */
export const APP_AUTH = { Authorization: `Bearer ${TEST_APP_KEY}` };
export const ADMIN_AUTH = { Authorization: `Bearer ${TEST_ADMIN_KEY}` };
