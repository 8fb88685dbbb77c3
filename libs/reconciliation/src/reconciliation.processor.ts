import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown, Optional } from '@nestjs/common';
import { Job, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { APP_CONFIG, AppConfig } from '@app/config';
import { MetricsService } from '@app/observability';
import { bullPrefix, createRedis } from '@app/queue';
import { BalanceReconciler } from './balance-reconciler.service';
import { ReconciliationQueue } from './reconciliation.queue';
import { Advance, ReconciliationRunsRepository } from './reconciliation-runs.repository';
import { ReconciliationRunsService } from './reconciliation-runs.service';
import { RecordReconciler } from './record-reconciler.service';
import { CHUNK_CONCURRENCY, CHUNK_LOCK_MS, STALLED_CHECK_MS } from './reconciliation.constants';
import { jobIds, RECONCILIATION_QUEUE, ReconciliationJobName, ReconciliationJobs } from './reconciliation.types';

/** A run queued or planning longer than this without progress gets its start job again. */
const STUCK_START_MS = 60_000;

/**
 * The worker of the 'reconciliation' queue. Thin: every job names a run (and a chunk); the
 * services are idempotent, so a job taken over after a crash, or added twice, is harmless.
 */
@Injectable()
export class ReconciliationProcessor implements OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown {
  private readonly logger = new Logger(ReconciliationProcessor.name);
  private worker?: Worker;
  private redis?: Redis;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly runs: ReconciliationRunsRepository,
    private readonly service: ReconciliationRunsService,
    private readonly queue: ReconciliationQueue,
    private readonly balances: BalanceReconciler,
    private readonly records: RecordReconciler,
    @Optional() private readonly metrics?: MetricsService,
  ) {}

  onApplicationBootstrap(): void {
    this.redis = createRedis(this.config, 'worker');
    this.worker = new Worker(RECONCILIATION_QUEUE, (job: Job) => this.process(job), {
      connection: this.redis,
      prefix: bullPrefix(this.config),
      concurrency: CHUNK_CONCURRENCY,
      lockDuration: CHUNK_LOCK_MS,
      stalledInterval: STALLED_CHECK_MS,
      maxStalledCount: 5,
    });
    this.worker.on('error', (error) => this.logger.warn(`reconciliation worker: ${error.message}`));
    this.worker.on('failed', (job, error) => void this.onFailed(job, error));
  }

  /** Takes no new job and lets the chunks in hand finish, while the queue and Postgres they use are still open. */
  async beforeApplicationShutdown(): Promise<void> {
    await this.worker?.close().catch(() => undefined);
  }

  onApplicationShutdown(): void {
    this.redis?.disconnect();
  }

  async process(job: Job): Promise<void> {
    const name = job.name as ReconciliationJobName;
    switch (name) {
      case 'start':
        return this.start((job.data as ReconciliationJobs['start']).runId);
      case 'chunk': {
        const { runId, chunkNo } = job.data as ReconciliationJobs['chunk'];
        return this.chunk(runId, chunkNo);
      }
      case 'scheduled':
        await this.service.startScheduled((job.data as ReconciliationJobs['scheduled']).kind);
        return;
      case 'watchdog':
        return this.watchdog();
      default:
        this.logger.warn(`unknown reconciliation job ${job.name} ignored`);
    }
  }

  async start(runId: string): Promise<void> {
    const run = await this.runs.markRunning(runId);
    if (!run) return;
    const advance = run.kind === 'balances' ? await this.balances.plan(runId) : await this.records.plan(runId);
    await this.after(runId, advance);
    // All chunks still to do, not only new ones: this start may be a repeat after a lost job.
    await this.queue.addChunks(runId, await this.runs.pendingChunks(runId));
  }

  async chunk(runId: string, chunkNo: number): Promise<void> {
    const chunk = await this.runs.getChunk(runId, chunkNo);
    if (!chunk || chunk.status !== 'pending') return;
    const run = await this.runs.get(runId);
    if (!run || (run.status !== 'running' && run.status !== 'queued')) return;
    const advance = chunk.kind === 'balances' ? await this.balances.processChunk(chunk) : await this.records.processChunk(chunk);
    await this.after(runId, advance);
  }

  /**
   * Keeps every active run moving or ends it: re-enqueues what a lost job (or a Redis that came
   * back empty) left undone, fails a run whose start job gave up, ends a run whose chunk jobs gave
   * up as partial, and closes finished runs. Runs every WATCHDOG_EVERY_MS; while Postgres is down
   * its own job fails, and the next one after Postgres is back does the work.
   */
  async watchdog(): Promise<void> {
    for (const run of await this.runs.listActive()) {
      const idleMs = Date.now() - run.updated_at.getTime();
      if (run.status === 'queued' || run.phase === 'plan') {
        const state = await this.queue.jobState(jobIds.start(run.id));
        if (state === 'failed') {
          // Its tries ran out (Postgres was down for longer than they last): end it, so a new run of its kind can start.
          const job = await this.queue.queue.getJob(jobIds.start(run.id));
          await this.failRun(run.id, `the run could not start: ${(job?.failedReason ?? 'its start job gave up').slice(0, 200)}`);
        } else if (idleMs > STUCK_START_MS && (state === 'unknown' || state === 'completed')) {
          await this.queue.restartStart(run.id);
        }
        continue;
      }
      const pending = await this.runs.pendingChunks(run.id);
      if (pending.length > 0) {
        const lost: number[] = [];
        for (const chunkNo of pending) {
          const state = await this.queue.jobState(jobIds.chunk(run.id, chunkNo));
          if (state === 'failed') await this.failGivenUpChunk(run.id, chunkNo);
          else if (state === 'unknown' || state === 'completed') lost.push(chunkNo);
        }
        if (lost.length > 0 && idleMs > STUCK_START_MS) await this.queue.restartChunks(run.id, lost);
      } else {
        const advance = await this.runs.advanceNow(run.id);
        await this.after(run.id, advance);
      }
    }
  }

  /** A chunk whose job failed for good while no worker could record it (Postgres down, or the 'failed' event lost). */
  private async failGivenUpChunk(runId: string, chunkNo: number): Promise<void> {
    const job = await this.queue.queue.getJob(jobIds.chunk(runId, chunkNo));
    const reason = job?.failedReason ?? 'its job gave up';
    await this.after(runId, await this.runs.failChunk(runId, chunkNo, `chunk ${chunkNo} failed: ${reason.slice(0, 200)}`));
  }

  private async failRun(runId: string, error: string): Promise<void> {
    await this.runs.markFailed(runId, error);
    this.logger.warn(`run ${runId} failed: ${error}`);
    await this.after(runId, { enqueue: [], finished: 'failed' });
  }

  private async after(runId: string, advance: Advance): Promise<void> {
    if (advance.enqueue.length > 0) await this.queue.addChunks(runId, advance.enqueue);
    if (advance.finished) {
      const run = await this.runs.get(runId);
      if (run) {
        this.metrics?.reconciliationRunFinished(
          { kind: run.kind, status: run.status, startedAt: run.started_at, finishedAt: run.finished_at },
          await this.runs.findingCountsByKind(run.id),
        );
        this.logger.log(
          `${run.kind} run ${run.id} ${run.status}: ${run.customers_checked} checked, ${run.findings_count} finding(s), ${run.errors} error(s)`,
        );
      }
    }
  }

  /**
   * A job that gave up for good. A chunk: its customers count as unchecked, so the run ends
   * partial. A start: the run fails. If Postgres is down now, the watchdog does it once it is back.
   */
  private async onFailed(job: Job | undefined, error: Error): Promise<void> {
    if (!job) return;
    const exhausted = job.attemptsMade >= (job.opts.attempts ?? 1);
    this.logger.warn(`reconciliation job ${job.name} ${job.id} failed (attempt ${job.attemptsMade}): ${error.message}`);
    if (!exhausted) return;
    try {
      if (job.name === 'chunk') {
        const { runId, chunkNo } = job.data as ReconciliationJobs['chunk'];
        await this.after(runId, await this.runs.failChunk(runId, chunkNo, `chunk ${chunkNo} failed: ${error.message.slice(0, 200)}`));
      } else if (job.name === 'start') {
        await this.failRun((job.data as ReconciliationJobs['start']).runId, `the run could not start: ${error.message.slice(0, 200)}`);
      }
    } catch (e) {
      this.logger.warn(`could not record that job ${job.id} gave up (the watchdog will): ${(e as Error).message}`);
    }
  }
}
