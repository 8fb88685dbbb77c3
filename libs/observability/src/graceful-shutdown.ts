import { INestApplicationContext, Logger } from '@nestjs/common';

const SIGNALS: NodeJS.Signals[] = ['SIGTERM', 'SIGINT'];

/**
 * SIGTERM/SIGINT close the app through Nest's shutdown hooks (workers finish their
 * jobs, the HTTP server drains, connections close) and exit 0. If that takes longer
 * than `timeoutMs`, the process logs it and exits 1 anyway: a job cut short is
 * retried (its outbox row is still pending), a hung shutdown would block a deploy.
 * Used instead of `app.enableShutdownHooks()`, which re-raises the signal (exit 143).
 */
export function enableGracefulShutdown(app: INestApplicationContext, timeoutMs: number): void {
  const logger = new Logger('Shutdown');
  let stopping = false;
  const shutdown = async (signal: NodeJS.Signals): Promise<void> => {
    if (stopping) return;
    stopping = true;
    logger.log(`${signal} received: draining (at most ${timeoutMs} ms)`);
    setTimeout(() => {
      logger.error(`shutdown not finished after ${timeoutMs} ms: exiting anyway`);
      process.exit(1);
    }, timeoutMs).unref();
    try {
      await app.close();
      logger.log('shutdown complete');
      process.exit(0);
    } catch (error) {
      logger.error(`shutdown failed: ${error instanceof Error ? error.message : String(error)}`);
      process.exit(1);
    }
  };
  for (const signal of SIGNALS) process.on(signal, (s: NodeJS.Signals) => void shutdown(s));
}
