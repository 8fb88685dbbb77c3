import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { DelayedError, Worker } from 'bullmq';
import { CelarApiError } from '@app/celar-client';
import { APP_CONFIG, AppConfig } from '@app/config';
import { JobLogger } from '@app/observability';
import { JobOf, QueueProducer, QueueWorker, Queues } from '@app/queue';
import { CustomerSyncService, DrainOutcome } from './customer-sync.service';
import { syncBackoffDelay } from './sync-backoff';
import { RetryLaterError } from './sync-retry';
import { SYNC_JOBS, SYNC_QUEUE, SyncJobs } from './sync.jobs';

/** A job whose customer another drain holds comes back after this, doubling each time it finds it busy again. */
const BUSY_DELAY_MS = 200;
const MAX_BUSY_DELAY_MS = 5000;
/** A `Retry-After: 0` still pauses the queue a moment. */
const MIN_RATE_LIMIT_MS = 100;

type SyncJob = JobOf<SyncJobs, 'sync-operation'>;

/**
 * The sync queue's worker. Thin: parses the job, asks CustomerSyncService to drain the
 * customer, and maps the outcome to BullMQ (retry with backoff, rate limit, delay while busy).
 * Started and stopped by the worker process (apps/worker).
 */
@Injectable()
export class CustomerSyncProcessor {
  private readonly logger = new Logger(CustomerSyncProcessor.name);
  private readonly producer: QueueProducer<SyncJobs>;
  private worker?: QueueWorker;
  private lastAlertAt = 0;
  private lastErrorLogAt = 0;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly sync: CustomerSyncService,
    private readonly queues: Queues,
    @Optional() private readonly jobLogger?: JobLogger,
  ) {
    this.producer = queues.producer(SYNC_JOBS);
  }

  start(): void {
    if (this.worker) return;
    const { sync, celar } = this.config;
    // A request ends well inside the lock (timeout < lock / 3); a drain renews it as it goes.
    // A short lock lets a crashed worker's jobs be taken over quickly: the customer's
    // lease and settle fence in Postgres, not the job lock, keep two drains apart.
    const lockDuration = Math.min(Math.max(celar.timeoutMs * 3, 5000), 30_000);
    this.worker = this.queues.startWorker(
      SYNC_JOBS,
      { 'sync-operation': (job, token) => this.process(job, token) },
      {
        concurrency: sync.concurrency,
        lockDuration,
        stalledInterval: lockDuration,
        maxStalledCount: 3,
        // A limiter must be set for a queue-wide rate limit (our reaction to 429) to apply;
        // its own ceiling is never reached: the request budget paces Celar calls.
        limiter: { max: 1_000_000, duration: 1000 },
        settings: {
          // A drain that left its operation pending says when it may go again (settle time, and the
          // backoff of the operation's own attempts, kept in Postgres); other failures back off here.
          backoffStrategy: (attemptsMade: number, _type?: string, error?: Error) =>
            // The later of what the drain asks (settle time, the operation's own attempts) and this
            // job's own backoff, so a wait grows even when no request left (a failed lookup).
            error instanceof RetryLaterError
              ? Math.max(error.notBeforeMs, syncBackoffDelay(attemptsMade, sync, error.cause), 1)
              : syncBackoffDelay(attemptsMade, sync, error),
        },
        onError: (error) => this.logThrottled(`sync worker: ${error.message}`),
        onFailed: (job, error) => {
          if (job.attemptsMade >= (job.opts.attempts ?? 1) && !(error instanceof DelayedError)) {
            // Codes only: Celar's message could echo a customer's details.
            const cause = error instanceof RetryLaterError ? error.cause : error;
            const reason = cause instanceof CelarApiError ? cause.code : cause.name;
            this.logger.warn(`op ${job.data.operationId}: out of attempts (${reason}); stays pending, the relay re-enqueues it`);
          }
        },
      },
    );
  }

  /** Takes no new job and waits for the jobs in hand to finish. */
  async stop(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    if (!worker) return;
    this.sync.requestStop();
    await worker.close();
  }

  /** One log line per job, with the request id of the API call that caused it. */
  private async process(job: SyncJob, token?: string): Promise<void> {
    const { operationId, customerId, requestId } = job.data;
    const run = () => this.processJob(job, token);
    if (!this.jobLogger) {
      await run();
      return;
    }
    const fields = {
      queue: SYNC_QUEUE,
      job_id: job.id,
      request_id: requestId,
      operation_id: operationId,
      customer_id: customerId,
      attempt: job.attemptsMade + 1,
    };
    await this.jobLogger.run(fields, run, (outcome) => ({ outcome }));
  }

  private async processJob(job: SyncJob, token?: string): Promise<DrainOutcome['kind']> {
    const { operationId, customerId } = job.data;
    try {
      const outcome = await this.sync.drain(customerId, operationId, { mayWait: !job.data.waited });
      if (outcome.kind !== 'later') return outcome.kind;
      // Come back later without using an attempt: another drain holds the customer (polling
      // with a growing delay), an earlier request may still act (until it settles), or the
      // create is better sent in a bulk shortly (a job waits for that once).
      const busy = outcome.reason === 'busy' ? (job.data.busy ?? 0) + 1 : 0;
      await job.updateData({ ...job.data, busy, ...(outcome.reason === 'bulk' ? { waited: true } : {}) });
      const poll = Math.min(BUSY_DELAY_MS * 2 ** Math.min(busy, 10), MAX_BUSY_DELAY_MS) * (0.75 + Math.random() / 2);
      const delay = outcome.reason === 'settling' ? outcome.afterMs + 50 : Math.max(Math.min(outcome.afterMs, MAX_BUSY_DELAY_MS), poll);
      await job.moveToDelayed(Date.now() + Math.round(delay), token);
      throw new DelayedError();
    } catch (error) {
      const cause = error instanceof RetryLaterError ? error.cause : error;
      if (!(cause instanceof CelarApiError)) throw error;
      if (cause.kind === 'RATE_LIMITED') {
        // Celar said slow down: the whole queue waits Retry-After; no attempt is used.
        await this.producer.rateLimit(Math.max(cause.retryAfterMs ?? 1000, MIN_RATE_LIMIT_MS));
        throw Worker.RateLimitError();
      }
      if (cause.kind === 'UNAUTHORIZED') this.alertUnauthorized(cause);
      throw error;
    }
  }

  /** Our key or account is refused: that is ours to fix, so customers are not marked failed. */
  private alertUnauthorized(error: CelarApiError): void {
    if (Date.now() - this.lastAlertAt < 60_000) return;
    this.lastAlertAt = Date.now();
    this.logger.error(`ALERT: Celar refuses our API key or account (${error.status}); sync retries slowly until fixed`);
  }

  private logThrottled(message: string): void {
    if (Date.now() - this.lastErrorLogAt < 30_000) return;
    this.lastErrorLogAt = Date.now();
    this.logger.warn(message);
  }
}
