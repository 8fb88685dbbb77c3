import { DynamicModule, Module } from '@nestjs/common';
import { CelarClientModule } from '@app/celar-client';
import { AppConfig, ConfigModule } from '@app/config';
import { DatabaseModule } from '@app/database';
import { ReconciliationWorkerModule } from '@app/reconciliation';
import { SyncModule } from '@app/sync';
import { WebhooksWorkerModule } from '@app/webhooks';
import { WorkerOperationsModule } from './operations/worker-operations.module';

/** Connections beyond the sync workers' (each drain holds one for its customer's lock). */
const SPARE_CONNECTIONS = 10;

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
        // Events to PSP apps: its own lanes and connections, apart from the sync's queue (issue 13).
        WebhooksWorkerModule,
        // Logs, metrics, and the health/metrics server on WORKER_PORT (WorkerOperationsServer).
        WorkerOperationsModule.forRoot(config),
      ],
    };
  }
}
