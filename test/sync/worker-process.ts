// Runs the built worker (`npm run build` first) as a real child process, for the tests that
// kill it. The sandbox, Postgres and Redis it talks to are the test's own.
import { ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SYNC_TEST_ENV, SyncStack } from './sync-stack';

export const WORKER_MAIN = join(__dirname, '..', '..', 'dist', 'apps', 'worker', 'src', 'main.js');

export function assertWorkerBuilt(): void {
  if (!existsSync(WORKER_MAIN)) {
    throw new Error(`${WORKER_MAIN} is missing: run \`npm run build\` before these tests (\`npm test\` builds first)`);
  }
}

export interface WorkerProcess {
  child: ChildProcess;
  output(): string;
  /** Resolves with the exit code (null when killed by a signal) and the signal. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function spawnWorker(stack: SyncStack, overrides: Record<string, string> = {}): WorkerProcess {
  const { config } = stack;
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    DATABASE_URL: stack.databaseUrl,
    REDIS_URL: config.redisUrl,
    QUEUE_PREFIX: config.queuePrefix,
    PORT: '0',
    WORKER_PORT: '0',
    SANDBOX_PORT: '0',
    CELAR_BASE_URL: stack.sandbox.baseUrl,
    CELAR_API_KEY: stack.sandbox.apiKey,
    API_KEYS: 'test_app_key_1',
    ADMIN_API_KEYS: 'test_admin_key',
    BODY_LIMIT: '2mb',
    BALANCE_RECONCILE_EVERY: 'off',
    RECORD_RECONCILE_EVERY: 'off',
    LOG_LEVEL: 'warn',
    SHUTDOWN_TIMEOUT_MS: '30000',
    ...SYNC_TEST_ENV,
    ...overrides,
  };
  // A scratch working directory: the worker would read a .env file in its cwd.
  const child = spawn(process.execPath, [WORKER_MAIN], { env, cwd: tmpdir(), stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, output: () => output, exited };
}
