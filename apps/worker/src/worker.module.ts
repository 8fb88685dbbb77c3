import { DynamicModule, Module } from '@nestjs/common';
import { CelarClientModule } from '@app/celar-client';
import { AppConfig, ConfigModule } from '@app/config';
import { DatabaseModule } from '@app/database';
import { ReconciliationProcessor, ReconciliationScheduler, ReconciliationWorkerModule } from '@app/reconciliation';
import { CustomerSyncProcessor, OutboxRelay, SyncModule } from '@app/sync';
import { WebhookDispatcher, WebhooksWorkerModule } from '@app/webhooks';
import { WorkerOperationsModule } from './operations/worker-operations.module';
import { workerRuns } from './worker-runs';

/** Connections beyond the sync workers' (each drain holds one for its customer's lock). */
const SPARE_CONNECTIONS = 10;

/**
 * What the worker process runs, started in this order once it is up; at shutdown all of them
 * stop taking work and finish what they hold before any connection closes.
 */
const RUNS = [
  // Outbox (customer_operations) -> the sync queue, woken by NOTIFY, polling as a fallback.
  OutboxRelay,
  // The sync queue's worker: drains each customer's operations to Celar, in order.
  CustomerSyncProcessor,
  // The reconciliation queue's worker: run starts, chunks, scheduled starts and the watchdog's job.
  ReconciliationProcessor,
  // The job schedulers: balance and record runs every *_RECONCILE_EVERY, the watchdog every 30 s.
  ReconciliationScheduler,
  // Events to PSP apps: its own lanes and Postgres connections, apart from the queues (issue 13).
  WebhookDispatcher,
];

@Module({})
export class WorkerModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: WorkerModule,
      imports: [
        ConfigModule.forRoot(config),
        DatabaseModule.forRoot(config, 'worker', config.sync.concurrency + SPARE_CONNECTIONS),
        CelarClientModule.forRoot(config),
        SyncModule,
        ReconciliationWorkerModule,
        WebhooksWorkerModule,
        // Logs, metrics, and the health and metrics routes served on WORKER_PORT.
        WorkerOperationsModule.forRoot(config),
      ],
      providers: workerRuns(RUNS),
    };
  }
}
