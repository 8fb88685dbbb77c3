export { createTestDatabase, uniqueQueuePrefix, withServer, databaseUrl } from './test-database';
export { testConfig, TEST_APP_KEY, TEST_ADMIN_KEY } from './test-config';
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
