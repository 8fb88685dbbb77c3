// `npm run start:worker`: the sync jobs, the outbox relay (and the reconciliation schedule).
import { Logger } from '@nestjs/common';
import { AppConfig, ConfigError, loadConfig } from '@app/config';
import { createWorkerApp } from './worker-app';

async function main(): Promise<void> {
  let config: AppConfig;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(1);
    }
    throw error;
  }
  const app = await createWorkerApp(config);
  const logger = new Logger('Worker');
  logger.log('worker started');

  // Our own signal handling rather than Nest's enableShutdownHooks(), which re-raises the
  // signal after closing: a graceful stop here exits 0. app.close() runs the same hooks:
  // the relay stops, the sync worker finishes its in-flight jobs, connections close.
  let stopping = false;
  const shutdown = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.log(`${signal}: finishing in-flight work`);
    const timer = setTimeout(() => {
      logger.error(`shutdown took longer than ${config.shutdownTimeoutMs} ms; exiting anyway`);
      process.exit(1);
    }, config.shutdownTimeoutMs);
    timer.unref();
    app
      .close()
      .then(() => process.exit(0))
      .catch((error: Error) => {
        logger.error(`shutdown failed: ${error.message}`);
        process.exit(1);
      });
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
}

main().catch((error: unknown) => {
  console.error(`worker failed to start: ${(error as Error).message}`);
  process.exit(1);
});
