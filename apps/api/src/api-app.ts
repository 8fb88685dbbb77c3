import { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { NestExpressApplication } from '@nestjs/platform-express';
import { AppConfig } from '@app/config';
import { instrumentHttp, useJsonLogger } from '@app/observability';
import { ApiModule } from './api.module';
import { consoleBodyMiddleware, consoleSessionMiddleware, isConsolePath } from './console/console-http.middleware';
import { ConsoleSessionsService } from './console/console-sessions.service';
import { setupOpenApi } from './docs/openapi.setup';
import { ApiExceptionFilter } from './http/api-exception.filter';
import { ApiRequest, ApiResponse, NextFunction } from './http/api-request';
import { jsonBodyMiddleware } from './http/json-body.middleware';
import { requestIdMiddleware } from './http/request-id.middleware';

/**
 * The API application, configured but not listening: main() listens on config.port, tests
 * call `app.getHttpServer()` or `listen(0)`. Routes carry their full path (`api/v1/...`
 * for the REST API, the root for operations routes): there is no global prefix.
 */
export async function createApiApp(config: AppConfig): Promise<INestApplication> {
  const app = await NestFactory.create<NestExpressApplication>(ApiModule.forRoot(config), {
    // Nest's own parser would apply its default limit; ours applies BODY_LIMIT and the contract's errors.
    bodyParser: false,
    // Held until pino (LOG_LEVEL) takes over Nest's logs.
    bufferLogs: true,
  });
  useJsonLogger(app);
  app.set('x-powered-by', false);
  app.set('etag', false);
  app.use(requestIdMiddleware);
  // Before the body parser, so requests it refuses are counted and logged too.
  instrumentHttp(app);
  // The console (/console) takes HTML forms and has its own session; everything else is JSON only.
  const json = jsonBodyMiddleware(config.bodyLimitBytes);
  const consoleBody = consoleBodyMiddleware();
  app.use((req: ApiRequest, res: ApiResponse, next: NextFunction) => (isConsolePath(req.path) ? consoleBody : json)(req, res, next));
  app.use(consoleSessionMiddleware(app.get(ConsoleSessionsService)));
  app.useGlobalFilters(new ApiExceptionFilter());
  // Before init: init installs the 404 handler, and routes added after it are never reached.
  setupOpenApi(app, config);
  await app.init();
  return app;
}
