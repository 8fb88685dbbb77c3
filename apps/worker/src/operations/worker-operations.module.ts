import { DynamicModule, Module } from '@nestjs/common';
import { AppConfig } from '@app/config';
import { CelarMetricsBridge, ObservabilityModule, OperationsHttpModule } from '@app/observability';
import { RECONCILIATION_QUEUE } from '@app/reconciliation';
import { OutboxMetrics, SYNC_QUEUE } from '@app/sync';

/**
 * Logs, metrics, and the worker's only routes: /health/*, /metrics on WORKER_PORT (served by
 * createWorkerApp). Ready only while both Postgres and Redis answer: it can do nothing without either.
 */
@Module({})
export class WorkerOperationsModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: WorkerOperationsModule,
      imports: [
        ObservabilityModule.forRoot(config, { service: 'worker', queues: [SYNC_QUEUE, RECONCILIATION_QUEUE] }),
        OperationsHttpModule.forRoot({ required: ['postgres', 'redis'] }),
      ],
      // Celar calls and budget slots; the outbox gauges (the run and webhook gauges come with their modules).
      providers: [CelarMetricsBridge, OutboxMetrics],
    };
  }
}
