export { createTestDatabase, uniqueQueuePrefix, withServer, databaseUrl } from './test-database';
export { testConfig, TEST_APP_KEY, TEST_ADMIN_KEY, APP_AUTH, ADMIN_AUTH } from './test-config';
export { deleteQueueKeys } from './queue-keys';
export { waitFor, waitUntil } from './wait-for';
export { API_MAIN, WORKER_MAIN, assertBuilt, freePort, processEnv, spawnProcess } from './processes';
export type { LogLine, Spawned } from './processes';
export { startSandbox, connectSandbox, SandboxControl, SandboxControlError } from './sandbox';
export type {
  RunningSandbox,
  StartSandboxOptions,
  SandboxFaultKind,
  SandboxFaultInput,
  SandboxFault,
  SandboxSettings,
  SandboxSettingsPatch,
  SandboxListOrder,
  SandboxEmailFilter,
  SandboxMutationBody,
  SandboxCustomer,
  SandboxBalance,
  SandboxRequestLogEntry,
  SandboxRequestLogQuery,
  SandboxStats,
} from './sandbox';
export { startWebhookReceiver } from './webhook-receiver';
export type { WebhookReceiver, ReceivedWebhook, ReceiverFaults } from './webhook-receiver';
export { startRedisCluster } from './redis-cluster';
export type { RunningRedisCluster } from './redis-cluster';
export { PrivateRedis } from './private-redis';
