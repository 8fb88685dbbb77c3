import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import { JobsOptions, JobState, Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { APP_CONFIG, AppConfig } from '@app/config';
import { bullPrefix, createRedis } from '@app/queue';
import { jobIds, RECONCILIATION_QUEUE, ReconciliationJobName, ReconciliationJobs } from './reconciliation.types';

/** How long a producer waits for Redis before telling its caller Redis is down. */
const REDIS_WAIT_MS = 3000;

export class QueueUnavailableError extends Error {}

/** A job's state, `unknown` when no job holds the id (lost, or removed). */
export type ReconciliationJobState = JobState | 'unknown';

/** Finished jobs: they keep their id (a failed one for 7 days), so an add with that id does nothing until they are removed. */
const FINISHED: ReconciliationJobState[] = ['completed', 'failed'];

/** The producer side of the 'reconciliation' queue (the API and the worker both enqueue). */
@Injectable()
export class ReconciliationQueue implements OnApplicationShutdown {
  readonly queue: Queue;
  private readonly redis: Redis;
  private readonly jobDefaults: JobsOptions;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.jobDefaults = {
      // A chunk's failures are per customer (findings); a job fails only on our own errors (Postgres down...).
      // With the defaults (8 attempts, 1 s doubling) a job gives up after about 2 minutes of them.
      attempts: config.reconcileJobAttempts,
      backoff: { type: 'exponential', delay: 1000 },
      removeOnComplete: { count: 1000 },
      removeOnFail: { age: 7 * 24 * 3600 },
    };
    // Fail fast: with Redis down, a caller gets an error (the API a 503), not a hang.
    this.redis = createRedis(config, 'producer');
    this.queue = new Queue(RECONCILIATION_QUEUE, { connection: this.redis, prefix: bullPrefix(config), defaultJobOptions: this.jobDefaults });
    this.queue.on('error', () => undefined);
  }

  async addStart(runId: string): Promise<void> {
    await this.add('start', { runId }, { jobId: jobIds.start(runId) });
  }

  async addChunks(runId: string, chunkNos: number[]): Promise<void> {
    if (chunkNos.length === 0) return;
    await this.guard(
      this.queue.addBulk(
        chunkNos.map((chunkNo) => ({
          name: 'chunk',
          data: { runId, chunkNo } satisfies ReconciliationJobs['chunk'],
          opts: { ...this.jobDefaults, jobId: jobIds.chunk(runId, chunkNo) },
        })),
      ),
    );
  }

  async jobState(jobId: string): Promise<ReconciliationJobState> {
    return (await this.guard(this.queue.getJobState(jobId))) as ReconciliationJobState;
  }

  /**
   * Adds the start job again for a run whose job was lost or ended without starting it. A
   * finished job holding the id is removed first: BullMQ would otherwise ignore the add.
   */
  async restartStart(runId: string): Promise<void> {
    await this.removeFinished(jobIds.start(runId));
    await this.addStart(runId);
  }

  /** Adds the chunk jobs again (for chunks still pending), removing finished jobs that hold their ids. */
  async restartChunks(runId: string, chunkNos: number[]): Promise<void> {
    for (const chunkNo of chunkNos) await this.removeFinished(jobIds.chunk(runId, chunkNo));
    await this.addChunks(runId, chunkNos);
  }

  private async removeFinished(jobId: string): Promise<void> {
    if (FINISHED.includes(await this.jobState(jobId))) await this.guard(this.queue.remove(jobId));
  }

  private async add<N extends ReconciliationJobName>(name: N, data: ReconciliationJobs[N], opts: JobsOptions): Promise<void> {
    await this.guard(this.queue.add(name, data, opts));
  }

  private async guard<T>(promise: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new QueueUnavailableError(`Redis did not answer within ${REDIS_WAIT_MS} ms`)), REDIS_WAIT_MS);
    });
    promise.catch(() => undefined);
    try {
      return await Promise.race([promise, timeout]);
    } catch (error) {
      throw error instanceof QueueUnavailableError ? error : new QueueUnavailableError((error as Error).message);
    } finally {
      clearTimeout(timer);
    }
  }

  // Last: the workers and the schedule stop before (beforeApplicationShutdown), and the API's
  // requests in flight finish, while this producer still works.
  async onApplicationShutdown(): Promise<void> {
    await this.queue.close().catch(() => undefined);
    this.redis.disconnect();
  }
}
