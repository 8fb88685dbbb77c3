import { DynamicModule, Module } from '@nestjs/common';
import { AppConfig } from '@app/config';
import { CelarMetricsBridge, ObservabilityModule, OperationsHttpModule } from '@app/observability';
import { OutboxMetrics } from '@app/sync';
import { DASHBOARD_QUEUES, QueueDashboardModule } from './queue-dashboard.module';

/**
 * Operations for the API: logs, metrics, /health/*, /metrics and the queue dashboard.
 * Pair it with `instrumentHttp(app)` in createApiApp (request metrics and access log).
 */
@Module({})
export class ApiOperationsModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: ApiOperationsModule,
      imports: [
        ObservabilityModule.forRoot(config, { service: 'api', queues: DASHBOARD_QUEUES }),
        // Ready while Postgres answers: with Redis down, changes still land in the outbox.
        OperationsHttpModule.forRoot({ required: ['postgres'], reported: ['redis'] }),
        QueueDashboardModule,
      ],
      // CelarMetricsBridge: ?refresh=true is the API's only Celar call, counted with its budget slots.
      // OutboxMetrics: the outbox gauges (the run gauges come with ReconciliationModule).
      providers: [CelarMetricsBridge, OutboxMetrics],
    };
  }
}
