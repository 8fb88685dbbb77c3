import { LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { NestExpressApplication } from '@nestjs/platform-express';
import { SandboxRequest, SandboxResponse } from './common/http.types';
import { toSandboxError } from './common/sandbox-exception.filter';
import { requestLogMiddleware } from './gateway/request-log.middleware';
import { RequestLogService } from './gateway/request-log.service';
import { SandboxModule } from './sandbox.module';
import { SandboxOptions } from './sandbox-options';

export interface CreateSandboxAppOptions extends SandboxOptions {
  /** Nest log levels; default: errors only, nothing when LOG_LEVEL is silent. */
  logger?: LogLevel[] | false;
  /** Largest request body. Default 10mb. */
  bodyLimit?: string | number;
}

/** The Celar sandbox app, initialised but not listening (main listens on SANDBOX_PORT, tests on port 0). */
export async function createSandboxApp(options: CreateSandboxAppOptions = {}): Promise<NestExpressApplication> {
  const { logger, bodyLimit, ...sandboxOptions } = options;
  const app = await NestFactory.create<NestExpressApplication>(SandboxModule.forRoot(sandboxOptions), {
    bodyParser: false,
    logger: logger ?? (process.env.LOG_LEVEL === 'silent' ? false : ['error']),
  });
  // The log sees every API call, even one whose body fails to parse.
  app.use('/api/v1', requestLogMiddleware(app.get(RequestLogService)));
  app.useBodyParser('json', { limit: bodyLimit ?? '10mb' });
  // Body parser errors happen before Nest's filters: answer them in the same shape.
  app.use((err: unknown, _req: SandboxRequest, res: SandboxResponse, _next: (err?: unknown) => void) => {
    const error = toSandboxError(err);
    res.status(error.status).json(error.toBody());
  });
  await app.init();
  return app;
}

/** Nest's levels for LOG_LEVEL; its route-mapping chatter (`log`) only from debug on. */
export function nestLogLevels(level: string): LogLevel[] | false {
  switch (level) {
    case 'silent':
      return false;
    case 'fatal':
      return ['fatal'];
    case 'error':
      return ['fatal', 'error'];
    case 'warn':
      return ['fatal', 'error', 'warn'];
    case 'info':
      return ['fatal', 'error', 'warn'];
    case 'debug':
      return ['fatal', 'error', 'warn', 'log', 'debug'];
    default:
      return ['fatal', 'error', 'warn', 'log', 'debug', 'verbose'];
  }
}
