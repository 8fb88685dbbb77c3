export { SyncModule } from './sync.module';
export { CustomerSyncService } from './customer-sync.service';
export type { DrainOutcome } from './customer-sync.service';
export { CustomerSyncProcessor } from './customer-sync.processor';
export { OutboxRelay } from './outbox.relay';
export { SyncQueue } from './sync.queue';
export { SYNC_QUEUE, SYNC_JOB_OPTIONS, SYNC_ATTEMPTS, syncJobId } from './sync.jobs';
export type { SyncJobs, SyncJobName, SyncJobData } from './sync.jobs';
export { MAX_BULK_CREATE } from './create-batch.service';
