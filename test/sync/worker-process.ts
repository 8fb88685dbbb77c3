// Runs the built worker (`npm run build` first) as a real child process, for the tests that
// kill it. The sandbox, Postgres and Redis it talks to are the test's own.
import { assertBuilt, processEnv, Spawned, spawnProcess, WORKER_MAIN } from '@app/testing';
import { SYNC_TEST_ENV, SyncStack } from './sync-stack';

export { assertBuilt as assertWorkerBuilt };
export type WorkerProcess = Spawned;

export function spawnWorker(stack: SyncStack, overrides: Record<string, string> = {}): Spawned {
  const { config } = stack;
  return spawnProcess(
    WORKER_MAIN,
    processEnv(stack.databaseUrl, stack.sandbox.baseUrl, {
      REDIS_URL: config.redisUrl,
      QUEUE_PREFIX: config.queuePrefix,
      CELAR_API_KEY: stack.sandbox.apiKey,
      LOG_LEVEL: 'warn',
      SHUTDOWN_TIMEOUT_MS: '30000',
      ...SYNC_TEST_ENV,
      ...overrides,
    }),
  );
}
