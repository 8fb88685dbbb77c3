import { INestApplicationContext, Logger } from '@nestjs/common';

const SIGNALS: NodeJS.Signals[] = ['SIGTERM', 'SIGINT'];

/**
 * The one shutdown path of the API and the worker. SIGTERM/SIGINT close the app through
 * Nest's hooks, in this order: readiness turns 503 (onModuleDestroy), the work in hand
 * finishes (BullMQ workers and the relay stopped in beforeApplicationShutdown) while the
 * probes still answer, the HTTP server stops accepting and drains, then producers and
 * connections close (onApplicationShutdown), and the process exits 0. Past `timeoutMs` (always above CELAR_TIMEOUT_MS, see the config)
 * it logs so and exits 1: a job cut short is retried (its outbox row is still pending),
 * a hung shutdown would block a deploy.
 * Used instead of `app.enableShutdownHooks()`, which re-raises the signal (exit 143).
 */
export function enableGracefulShutdown(app: INestApplicationContext, timeoutMs: number, name = 'process'): void {
  const logger = new Logger('Shutdown');
  let stopping = false;
  const shutdown = async (signal: NodeJS.Signals): Promise<void> => {
    if (stopping) return;
    stopping = true;
    logger.log(`${signal} received: ${name} finishing in-flight work (at most ${timeoutMs} ms)`);
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
