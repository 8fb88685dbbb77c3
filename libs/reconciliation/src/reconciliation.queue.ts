import { Inject, Injectable, OnModuleDestroy } from '@nestjs/common';
import { JobsOptions, Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { APP_CONFIG, AppConfig } from '@app/config';
import { bullPrefix, createRedis } from '@app/queue';
import { jobIds, RECONCILIATION_QUEUE, ReconciliationJobName, ReconciliationJobs } from './reconciliation.types';

/** How long a producer waits for Redis before telling its caller Redis is down. */
const REDIS_WAIT_MS = 3000;

export class QueueUnavailableError extends Error {}

const JOB_DEFAULTS: JobsOptions = {
  // A chunk's failures are per customer (findings); a job fails only on our own errors (Postgres...).
  attempts: 8,
  backoff: { type: 'exponential', delay: 1000 },
  removeOnComplete: { count: 1000 },
  removeOnFail: { age: 7 * 24 * 3600 },
};

/** The producer side of the 'reconciliation' queue (the API and the worker both enqueue). */
@Injectable()
export class ReconciliationQueue implements OnModuleDestroy {
  readonly queue: Queue;
  private readonly redis: Redis;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    // Fail fast: with Redis down, a caller gets an error (the API a 503), not a hang.
    this.redis = createRedis(config, 'producer');
    this.queue = new Queue(RECONCILIATION_QUEUE, { connection: this.redis, prefix: bullPrefix(config), defaultJobOptions: JOB_DEFAULTS });
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
          opts: { ...JOB_DEFAULTS, jobId: jobIds.chunk(runId, chunkNo) },
        })),
      ),
    );
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

  async onModuleDestroy(): Promise<void> {
    await this.queue.close().catch(() => undefined);
    this.redis.disconnect();
  }
}
