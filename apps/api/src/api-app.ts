import { INestApplication, LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { NestExpressApplication } from '@nestjs/platform-express';
import { AppConfig } from '@app/config';
import { ApiModule } from './api.module';
import { ApiExceptionFilter } from './http/api-exception.filter';
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
    logger: nestLogLevels(config.logLevel),
  });
  app.set('x-powered-by', false);
  app.set('etag', false);
  app.use(requestIdMiddleware);
  app.use(jsonBodyMiddleware(config.bodyLimitBytes));
  app.useGlobalFilters(new ApiExceptionFilter());
  await app.init();
  return app;
}

const LEVELS: LogLevel[] = ['fatal', 'error', 'warn', 'log', 'debug', 'verbose'];

function nestLogLevels(level: string): LogLevel[] | false {
  if (level === 'silent') return false;
  const nest: Record<string, LogLevel> = { fatal: 'fatal', error: 'error', warn: 'warn', info: 'log', debug: 'debug', trace: 'verbose' };
  return LEVELS.slice(0, LEVELS.indexOf(nest[level] ?? 'log') + 1);
}
