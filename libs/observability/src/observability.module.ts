import { DynamicModule, Global, INestApplicationContext, Inject, Injectable, Module, OnApplicationShutdown } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { Logger as PinoNestLogger } from 'nestjs-pino';
import { DestinationStream, Logger } from 'pino';
import { closeRedis } from '@app/common';
import { AppConfig } from '@app/config';
import { RedisConnection, createRedis } from '@app/queue';
import { DependencyHealthService } from './dependency-health.service';
import { JobLogger } from './job-logger.service';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { instrumentFastify } from './http-instrumentation';
import { createRootLogger, loggerModule } from './logging';
import { MetricsCollector } from './metrics.collector';
import { MetricsService } from './metrics.service';
import { OBSERVABILITY_OPTIONS, OBSERVABILITY_REDIS, ObservabilityOptions, ROOT_LOGGER } from './observability.options';
import { RedisHealthIndicator } from './redis.health';

@Injectable()
class ObservabilityRedisCloser implements OnApplicationShutdown {
  constructor(@Inject(OBSERVABILITY_REDIS) private readonly redis: RedisConnection) {}

  async onApplicationShutdown(): Promise<void> {
    await closeRedis(this.redis);
  }
}

/**
 * Logs (nestjs-pino), metrics (one prom-client registry) and dependency health for
 * one process. Global: processors and clients inject `MetricsService` and `JobLogger`.
 * Needs `ConfigModule` and, for the Postgres probe, TypeORM. Features add their gauges to each
 * scrape with `MetricsCollector.addScrapeSource`.
 */
@Global()
@Module({})
export class ObservabilityModule {
  static forRoot(config: AppConfig, options: ObservabilityOptions, logDestination?: DestinationStream): DynamicModule {
    const root = createRootLogger(config, options.service, logDestination);
    const providers = [
      { provide: ROOT_LOGGER, useValue: root },
      { provide: OBSERVABILITY_OPTIONS, useValue: options },
      { provide: OBSERVABILITY_REDIS, useFactory: () => createRedis(config, 'producer') },
      { provide: MetricsService, useFactory: () => new MetricsService() },
      ObservabilityRedisCloser,
      MetricsCollector,
      RedisHealthIndicator,
      DependencyHealthService,
      JobLogger,
    ];
    return {
      module: ObservabilityModule,
      imports: [
        loggerModule(root),
        TerminusModule.forRoot({ logger: false }),
      ],
      providers,
      exports: [ROOT_LOGGER, MetricsService, MetricsCollector, DependencyHealthService, JobLogger, OBSERVABILITY_REDIS],
    };
  }
}

/**
 * The HTTP side, for a Fastify app whose module imports `ObservabilityModule`: request ids,
 * request metrics and the access log (see instrumentFastify). Call it before `app.init()`.
 */
export function instrumentHttp(app: NestFastifyApplication): void {
  instrumentFastify(app.getHttpAdapter().getInstance(), app.get(MetricsService), app.get<Logger>(ROOT_LOGGER));
}

/**
 * Routes Nest's own logs (and every `new Logger(...)`) through the process's pino logger.
 * Create the app with `bufferLogs: true` so start-up lines are not printed before this.
 */
export function useJsonLogger(app: INestApplicationContext): void {
  app.useLogger(app.get(PinoNestLogger));
}
