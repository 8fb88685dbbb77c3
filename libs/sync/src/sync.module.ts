import { Module } from '@nestjs/common';
import { CustomersModule } from '@app/customers';
import { QueueModule } from '@app/queue';
import { CreateBatchService } from './create-batch.service';
import { CustomerSyncProcessor } from './customer-sync.processor';
import { CustomerSyncService } from './customer-sync.service';
import { OutboxRelay } from './outbox.relay';

/**
 * The sync engine: the outbox relay and the sync queue's worker. Importing it starts nothing:
 * the worker process starts and stops both (apps/worker). Needs ConfigModule, DatabaseModule
 * and CelarClientModule.
 */
@Module({
  imports: [CustomersModule, QueueModule],
  providers: [CreateBatchService, CustomerSyncService, OutboxRelay, CustomerSyncProcessor],
  exports: [CustomerSyncService, OutboxRelay, CustomerSyncProcessor],
})
export class SyncModule {}
