import { Module } from '@nestjs/common';
import { CasesModule } from '@app/cases';
import { CreateBatchService } from './create-batch.service';
import { CustomerSyncProcessor } from './customer-sync.processor';
import { CustomerSyncService } from './customer-sync.service';
import { OutboxRelay } from './outbox.relay';
import { SyncOperationsRepository } from './sync-operations.repository';
import { SyncQueue } from './sync.queue';

/**
 * The sync engine: the outbox relay and the sync worker start with the application and
 * stop (finishing in-flight jobs) before it shuts down. Needs ConfigModule, DatabaseModule
 * (pool larger than SYNC_CONCURRENCY: a drain holds a connection) and CelarClientModule.
 */
@Module({
  // Cases: a repush resolves its case when its operation completes (SyncOperationsRepository.complete).
  imports: [CasesModule],
  providers: [SyncOperationsRepository, SyncQueue, CreateBatchService, CustomerSyncService, OutboxRelay, CustomerSyncProcessor],
  exports: [CustomerSyncService, OutboxRelay, CustomerSyncProcessor, SyncQueue, SyncOperationsRepository],
})
export class SyncModule {}
