// The one way the e2e tests start the service: a fresh database and queue prefix, the Celar
// sandbox over HTTP, the API, and workers, either in this process or as real processes of the
// built worker (`npm run build` first; `npm test` does it) that a test can kill.
// It imports the apps' factories, so it lives here and not in libs/testing (libs never import apps).
import { INestApplication, INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Pool } from 'pg';
import type { App } from 'supertest/types';
import { CelarClientModule } from '@app/celar-client';
import { AppConfig, ConfigModule } from '@app/config';
import { DatabaseModule } from '@app/database';
import { ReconciliationProcessor, ReconciliationScheduler, ReconciliationWorkerModule } from '@app/reconciliation';
import {
  assertBuilt,
  createTestDatabase,
  deleteQueueKeys,
  processEnv,
  RunningSandbox,
  SandboxFaultInput,
  Spawned,
  spawnProcess,
  startSandbox,
  StartSandboxOptions,
  testConfig,
  uniqueQueuePrefix,
  WORKER_MAIN,
} from '@app/testing';
import { createApiApp } from '../../apps/api/src/api-app';
import { createWorkerApp } from '../../apps/worker/src/worker-app';
import { workerRuns } from '../../apps/worker/src/worker-runs';

/**
 * Settings every stack starts from (a test's `env` goes over them): quick retries and polling, a
 * Celar timeout well under the tests' patience, and a request budget that never slows a test.
 */
export const STACK_TEST_ENV: Readonly<Record<string, string>> = {
  SYNC_BACKOFF_BASE_MS: '20',
  SYNC_BACKOFF_MAX_MS: '400',
  OUTBOX_POLL_MS: '200',
  CELAR_TIMEOUT_MS: '2000',
  CELAR_SETTLE_MS: '500',
  CELAR_REQUESTS_PER_SECOND: '1000',
  SYNC_CONCURRENCY: '8',
};

export interface StackOptions {
  /** Settings, as environment variables, over STACK_TEST_ENV and the test defaults (libs/testing's testSettings). */
  env?: Record<string, string>;
  /** In-process workers started with the stack; 0 when the test starts its own later (in-process or spawned). Default 1. */
  workers?: number;
  /**
   * What an in-process worker runs: everything the worker app runs (default), or only the
   * reconciliation processor and schedules, so nothing syncs the mirror rows a test writes itself.
   * Spawned workers always run the whole built worker.
   */
  workerRuns?: 'all' | 'reconciliation';
  /** How the sandbox starts: its keys, fault seed, and settings (e.g. duplicate emails allowed). */
  sandbox?: StartSandboxOptions;
  /** Fault rules the sandbox holds before any worker starts. */
  faults?: SandboxFaultInput[];
}

/** A worker running as a real process of the built code. */
export type WorkerProcess = Spawned;

export interface Stack {
  /** The API's settings; in-process workers get the same unless started with more. */
  config: AppConfig;
  databaseUrl: string;
  /** A small pool on the test's database, for reading outcomes. */
  db: Pool;
  sandbox: RunningSandbox;
  api: INestApplication;
  /** The API's HTTP server, for supertest. */
  http: App;
  /** In-process workers still running, oldest first. */
  workers: INestApplicationContext[];
  /** One more in-process worker, with these settings over the stack's. */
  startWorker(env?: Record<string, string>): Promise<INestApplicationContext>;
  /** Closes every in-process worker (each finishes the work in hand). */
  stopWorkers(): Promise<void>;
  /** The built worker as a child process, with the stack's settings and these over them. */
  spawnWorker(env?: Record<string, string>): WorkerProcess;
  /** SIGKILLs every spawned worker still running and waits for it to exit. */
  killWorkerProcesses(): Promise<void>;
  /** Stops everything; the database stays for the run's teardown, the queue keys go. */
  close(): Promise<void>;
}

export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const sandbox = await startSandbox(options.sandbox);
  const databaseUrl = await createTestDatabase();
  const settings: Record<string, string> = {
    QUEUE_PREFIX: uniqueQueuePrefix(),
    CELAR_BASE_URL: sandbox.baseUrl,
    CELAR_API_KEY: sandbox.apiKey,
    ...STACK_TEST_ENV,
    // Reconciliation tests hold every balance read with latency faults while a loaded CI shares
    // the cores: the contract's 10 s Celar timeout, as their stacks always had, so that a slow
    // read is not turned into an error (and a run into 'partial') by the sync tests' 2 s.
    ...(options.workerRuns === 'reconciliation' ? { CELAR_TIMEOUT_MS: '10000' } : {}),
    ...options.env,
  };
  const config = testConfig(databaseUrl, settings);
  const db = new Pool({ connectionString: databaseUrl, max: 4 });
  let api: INestApplication;
  try {
    if (options.faults?.length) await sandbox.control.addFaults(options.faults);
    api = await createApiApp(config);
  } catch (error) {
    await Promise.allSettled([sandbox.close(), db.end()]);
    throw error;
  }
  // A Redis (or cluster) of the test's own goes away with it; on the shared one, only our prefix is deleted.
  const sharedRedis = !options.env?.REDIS_URL && !options.env?.REDIS_CLUSTER_NODES;
  const workers: INestApplicationContext[] = [];
  const processes: WorkerProcess[] = [];

  const stack: Stack = {
    config,
    databaseUrl,
    db,
    sandbox,
    api,
    http: api.getHttpServer() as App,
    workers,
    async startWorker(env = {}) {
      const workerConfig = Object.keys(env).length ? testConfig(databaseUrl, { ...settings, ...env }) : config;
      const worker = options.workerRuns === 'reconciliation' ? await startReconciliationWorker(workerConfig) : await createWorkerApp(workerConfig);
      workers.push(worker);
      return worker;
    },
    async stopWorkers() {
      await Promise.all(workers.splice(0).map((worker) => worker.close()));
    },
    spawnWorker(env = {}) {
      assertBuilt();
      const worker = spawnProcess(WORKER_MAIN, processEnv(databaseUrl, sandbox.baseUrl, { ...settings, LOG_LEVEL: 'warn', SHUTDOWN_TIMEOUT_MS: '30000', ...env }));
      processes.push(worker);
      return worker;
    },
    async killWorkerProcesses() {
      const running = processes.splice(0);
      for (const worker of running) worker.kill();
      await Promise.all(running.map((worker) => worker.exited));
    },
    async close() {
      await stack.killWorkerProcesses();
      await stack.stopWorkers().catch(() => undefined);
      await api.close().catch(() => undefined);
      await sandbox.close();
      await db.end();
      if (sharedRedis) await deleteQueueKeys(config);
    },
  };
  try {
    for (let i = 0; i < (options.workers ?? 1); i++) await stack.startWorker();
  } catch (error) {
    await stack.close();
    throw error;
  }
  return stack;
}

/** Only the reconciliation side of the worker: its processor, schedules and watchdog. */
async function startReconciliationWorker(config: AppConfig): Promise<INestApplicationContext> {
  const app = await NestFactory.createApplicationContext(
    {
      module: class ReconciliationTestWorkerModule {},
      imports: [ConfigModule.forRoot(config), DatabaseModule.forRoot(config, 'worker', 12), CelarClientModule.forRoot(config), ReconciliationWorkerModule],
      providers: workerRuns([ReconciliationProcessor, ReconciliationScheduler]),
    },
    { logger: process.env.RECON_TEST_LOGS ? ['log', 'warn', 'error'] : false },
  );
  await app.init();
  return app;
}
