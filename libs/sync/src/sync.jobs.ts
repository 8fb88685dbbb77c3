import { JobsOptions } from 'bullmq';
import { defineQueue } from '@app/queue';

// The job catalogue of the sync queue: the relay (producer) and the processor share names,
// payloads, ids and options, so a payload change breaks the build rather than a running queue.

export const SYNC_QUEUE = 'customer-sync';

export interface SyncJobs {
  /** Operation `operationId` of `customerId` is waiting: drain that customer's operations, in order. */
  'sync-operation': {
    operationId: string;
    customerId: string;
    /** The API request that caused the operation, carried into the job's log lines. */
    requestId?: string | null;
    /** Set once the job has waited for its create to join a bulk: it waits at most once. */
    waited?: boolean;
    /** Times in a row the job found its customer held by another drain (its poll delay grows). */
    busy?: number;
  };
}

export type SyncJobName = keyof SyncJobs;
export type SyncJobData<N extends SyncJobName = SyncJobName> = SyncJobs[N];

/** Name of the custom backoff strategy (exponential with full jitter, see sync-backoff.ts). */
export const SYNC_BACKOFF = 'sync-jitter';

/** A transient failure is retried this many times; after that the op stays pending and the relay re-sweeps it. */
export const SYNC_ATTEMPTS = 25;

/** One job per operation: adding an id that exists is a no-op, so the relay may repeat itself safely. */
export function syncJobId(operationId: string): string {
  return `op-${operationId}`;
}

export const SYNC_JOB_OPTIONS: JobsOptions = {
  attempts: SYNC_ATTEMPTS,
  backoff: { type: SYNC_BACKOFF },
  // Finished jobs are pruned so Redis does not grow; Postgres keeps the history.
  removeOnComplete: { age: 3600, count: 1000 },
  removeOnFail: { age: 86_400, count: 5000 },
};

export const SYNC_JOBS = defineQueue<SyncJobs>(SYNC_QUEUE, {
  'sync-operation': { options: SYNC_JOB_OPTIONS, id: (data) => syncJobId(data.operationId) },
});
