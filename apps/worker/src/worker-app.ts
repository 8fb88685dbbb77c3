import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { INestApplicationContext, Logger } from '@nestjs/common';
import { HttpAdapterHost, NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { everyInterface } from '@app/common';
import { AppConfig } from '@app/config';
import { OperationsExceptionFilter, answerUnroutable, instrumentHttp, requestIdFor, useJsonLogger } from '@app/observability';
import { WorkerModule } from './worker.module';

/**
 * The worker process, started: what WorkerModule lists runs, and its only routes (/health/*,
 * /metrics: OperationsHttpModule) listen on config.workerPort, on every interface so probes
 * reach it (0: an ephemeral port, see workerPort). No API key guard: nothing else is served.
 * `close()` turns readiness 503, stops taking work and lets in-flight jobs finish while the
 * routes still answer, then closes the HTTP server, then connections (Nest's order).
 */
export async function createWorkerApp(config: AppConfig): Promise<NestFastifyApplication> {
  const adapter = new FastifyAdapter({ genReqId: requestIdFor, logger: false, skipMiddie: true, frameworkErrors: answerUnroutable });
  const app = await NestFactory.create<NestFastifyApplication>(WorkerModule.forRoot(config), adapter, {
    // No route takes a body.
    bodyParser: false,
    // Held until pino (LOG_LEVEL) takes over Nest's logs.
    bufferLogs: true,
  });
  useJsonLogger(app);
  instrumentHttp(app);
  app.useGlobalFilters(new OperationsExceptionFilter());
  try {
    await app.listen(config.workerPort, everyInterface());
  } catch (error) {
    // The runs start with the app (before the port is bound): a port already taken must not
    // leave them working in a process that is about to exit.
    await app.close();
    throw error;
  }
  new Logger('WorkerOperations').log(`health and metrics on port ${workerPort(app)}`);
  return app;
}

/** The port the worker's routes listen on (WORKER_PORT may be 0 in tests). */
export function workerPort(worker: INestApplicationContext): number {
  const server = worker.get(HttpAdapterHost).httpAdapter.getHttpServer() as Server;
  return (server.address() as AddressInfo | null)?.port ?? 0;
}
