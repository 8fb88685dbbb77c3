export { createTestDatabase, uniqueQueuePrefix, withServer, databaseUrl } from './test-database';
export { testConfig, TEST_APP_KEY, TEST_ADMIN_KEY } from './test-config';
