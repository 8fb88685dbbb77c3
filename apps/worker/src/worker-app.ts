import { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AppConfig } from '@app/config';
import { useJsonLogger } from '@app/observability';
import { WorkerModule } from './worker.module';

/**
 * The worker process, started: what WorkerModule lists runs, and the health server listens
 * on config.workerPort (0: an ephemeral port, see WorkerOperationsServer.port).
 * `close()` stops taking work, lets in-flight jobs finish, then closes connections.
 */
export async function createWorkerApp(config: AppConfig): Promise<INestApplicationContext> {
  const app = await NestFactory.createApplicationContext(WorkerModule.forRoot(config), {
    // Held until pino (LOG_LEVEL) takes over Nest's logs.
    bufferLogs: true,
  });
  useJsonLogger(app);
  await app.init();
  return app;
}
