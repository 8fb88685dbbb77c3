import { Module } from '@nestjs/common';
import { CustomersModule } from '@app/customers';
import { CreateBatchService } from './create-batch.service';
import { CustomerSyncProcessor } from './customer-sync.processor';
import { CustomerSyncService } from './customer-sync.service';
import { OutboxRelay } from './outbox.relay';
import { SyncQueue } from './sync.queue';

/**
 * The sync engine: the outbox relay and the sync worker start with the application and
 * stop (finishing in-flight jobs) before it shuts down. Needs ConfigModule, DatabaseModule
 * and CelarClientModule.
 */
@Module({
  imports: [CustomersModule],
  providers: [SyncQueue, CreateBatchService, CustomerSyncService, OutboxRelay, CustomerSyncProcessor],
  exports: [CustomerSyncService, OutboxRelay, CustomerSyncProcessor, SyncQueue],
})
export class SyncModule {}
