import { JobsOptions } from 'bullmq';
import { AppConfig } from '@app/config';
import { defineQueue } from '@app/queue';
import { RunKind } from './reconciliation.types';

// The job catalogue of the 'reconciliation' queue: the API, the processor and the scheduler
// share names, payloads, ids and options.

export const RECONCILIATION_QUEUE = 'reconciliation';

export interface ReconciliationJobs {
  /** Plans a run's chunks (idempotent) and enqueues the pending ones. */
  start: { runId: string };
  /** One chunk of a run: a key range of customers, a page of Celar's list, or customers to confirm. */
  chunk: { runId: string; chunkNo: number };
  /** Made by a job scheduler: starts a run of that kind unless one is active. */
  scheduled: { kind: RunKind };
  /** Periodic: re-enqueues work a lost job left behind, closes runs whose chunks are all finished. */
  watchdog: Record<string, never>;
}
export type ReconciliationJobName = keyof ReconciliationJobs;

/** Fixed job ids, so adding a job twice is a no-op while it exists (BullMQ refuses ':' in custom ids). */
export const jobIds = {
  start: (runId: string) => `run-${runId}-start`,
  chunk: (runId: string, chunkNo: number) => `run-${runId}-chunk-${chunkNo}`,
};

/**
 * A chunk's failures are per customer (findings); a job fails only on our own errors (Postgres down...).
 * With the defaults (8 attempts, 1 s doubling) a job gives up after about 2 minutes of them.
 */
function retries(config: AppConfig): JobsOptions {
  return { attempts: config.reconcileJobAttempts, backoff: { type: 'exponential', delay: 1000 } };
}

/** A run's jobs: a failed one is kept 7 days (the watchdog reads why it gave up). */
function runJob(config: AppConfig): JobsOptions {
  return { ...retries(config), removeOnComplete: { count: 1000 }, removeOnFail: { age: 7 * 24 * 3600 } };
}

export const RECONCILIATION_JOBS = defineQueue<ReconciliationJobs>(RECONCILIATION_QUEUE, {
  start: { options: runJob, id: ({ runId }) => jobIds.start(runId) },
  chunk: { options: runJob, id: ({ runId, chunkNo }) => jobIds.chunk(runId, chunkNo) },
  scheduled: { options: (config) => ({ ...retries(config), removeOnComplete: { count: 100 }, removeOnFail: { count: 100 } }) },
  watchdog: { options: (config) => ({ ...retries(config), removeOnComplete: { count: 10 }, removeOnFail: { count: 10 } }) },
});
