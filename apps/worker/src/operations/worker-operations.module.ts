import { DynamicModule, Module } from '@nestjs/common';
import { AppConfig } from '@app/config';
import { CelarMetricsBridge, ObservabilityModule } from '@app/observability';
import { RECONCILIATION_QUEUE } from '@app/reconciliation';
import { OutboxMetrics, SYNC_QUEUE } from '@app/sync';
import { WorkerOperationsServer } from './worker-operations.server';

/** Logs, metrics and the worker's own health/metrics HTTP server (WORKER_PORT). */
@Module({})
export class WorkerOperationsModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: WorkerOperationsModule,
      imports: [ObservabilityModule.forRoot(config, { service: 'worker', queues: [SYNC_QUEUE, RECONCILIATION_QUEUE] })],
      // Celar calls and budget slots; the outbox gauges (the run and webhook gauges come with their modules).
      providers: [WorkerOperationsServer, CelarMetricsBridge, OutboxMetrics],
      exports: [WorkerOperationsServer],
    };
  }
}
