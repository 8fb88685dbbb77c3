import { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { AppConfig } from '@app/config';
import { instrumentHttp, requestIdFor, useJsonLogger } from '@app/observability';
import { ApiModule } from './api.module';
import { registerConsoleSessions } from './console/console-http.hooks';
import { ConsoleSessionsService } from './console/console-sessions.service';
import { setupOpenApi } from './docs/openapi.setup';
import { ApiExceptionFilter } from './http/api-exception.filter';
import { registerBodyParsers } from './http/body-parsers';
import { registerAdminKeyHook } from './operations/admin-key.hook';
import { DASHBOARD_ROUTE } from './operations/queue-dashboard.module';

/**
 * The API application on Fastify, configured but not listening: main() listens on
 * config.port, tests call `app.getHttpServer()` or `listen(0)`. Routes carry their full path
 * (`api/v1/...` for the REST API, the root for operations routes): there is no global prefix.
 * No Nest middleware: what runs around every request is a Fastify hook (request ids, metrics,
 * the access log, the console's session, the dashboard's key), so middie is never loaded.
 */
export async function createApiApp(config: AppConfig): Promise<INestApplication> {
  const adapter = new FastifyAdapter({
    // Fastify answers 413 past it (mapped to the contract's error by ApiExceptionFilter).
    bodyLimit: config.bodyLimitBytes,
    genReqId: requestIdFor,
    logger: false,
    skipMiddie: true,
    // Errors Fastify's router raises before any route (a bad percent-encoding in the path).
    frameworkErrors: (_error: Error, _request: FastifyRequest, reply: FastifyReply) => {
      reply.status(400).send({ error: { code: 'validation_failed', message: 'The URL is not valid (a malformed percent-encoding?)' } });
    },
  });
  const app = await NestFactory.create<NestFastifyApplication>(ApiModule.forRoot(config), adapter, {
    // Nest's parsers would accept forms everywhere: registerBodyParsers installs ours.
    bodyParser: false,
    // Held until pino (LOG_LEVEL) takes over Nest's logs.
    bufferLogs: true,
  });
  useJsonLogger(app);
  const fastify = app.getHttpAdapter().getInstance();
  fastify.decorateRequest('path', {
    getter(this: { url: string }) {
      const query = this.url.indexOf('?');
      return query === -1 ? this.url : this.url.slice(0, query);
    },
  });
  fastify.decorateRequest('requestId', {
    getter(this: { id: string }) {
      return this.id;
    },
  });
  instrumentHttp(app);
  registerBodyParsers(fastify);
  registerAdminKeyHook(fastify, config, DASHBOARD_ROUTE);
  registerConsoleSessions(fastify, app.get(ConsoleSessionsService));
  app.useGlobalFilters(new ApiExceptionFilter());
  setupOpenApi(app, config);
  await app.init();
  // Routes and plugins are in place once Fastify is ready (supertest uses the server directly).
  await fastify.ready();
  return app;
}
