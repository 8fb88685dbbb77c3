// `npm run start:worker`: the runs listed in worker.module.ts (relay, queue workers, schedules, webhooks), and /health/*, /metrics on WORKER_PORT.
import { Logger } from '@nestjs/common';
import { loadConfigOrExit } from '@app/config';
import { enableGracefulShutdown } from '@app/observability';
import { createWorkerApp } from './worker-app';

async function main(): Promise<void> {
  const config = loadConfigOrExit('worker');
  const app = await createWorkerApp(config);
  enableGracefulShutdown(app, config.shutdownTimeoutMs, 'worker');
  new Logger('Worker').log('worker started');
}

main().catch((error: unknown) => {
  console.error(`worker failed to start: ${(error as Error).message}`);
  process.exit(1);
});
