import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown, Optional } from '@nestjs/common';
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
export class ReconciliationProcessor implements OnApplicationBootstrap, OnApplicationShutdown {
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

  async onApplicationShutdown(): Promise<void> {
    await this.worker?.close().catch(() => undefined);
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

  /** Re-enqueues what a lost job (or a Redis that came back empty) left undone, and closes finished runs. */
  async watchdog(): Promise<void> {
    for (const run of await this.runs.listActive()) {
      const idleMs = Date.now() - run.updated_at.getTime();
      if (run.status === 'queued' || run.phase === 'plan') {
        if (idleMs > STUCK_START_MS) await this.queue.addStart(run.id);
        continue;
      }
      const pending = await this.runs.pendingChunks(run.id);
      if (pending.length > 0) {
        if (idleMs > STUCK_START_MS) await this.failGivenUpChunks(run.id, pending);
        await this.queue.addChunks(run.id, pending);
      } else {
        const advance = await this.runs.db.transaction((m) => this.runs.advance(m, run.id));
        await this.after(run.id, advance);
      }
    }
  }

  /** A chunk whose job failed for good while no worker was there to record it (the 'failed' event was lost). */
  private async failGivenUpChunks(runId: string, pending: number[]): Promise<void> {
    for (const chunkNo of pending) {
      const job = await this.queue.queue.getJob(jobIds.chunk(runId, chunkNo));
      if (job && (await job.isFailed()) && job.attemptsMade >= (job.opts.attempts ?? 1)) {
        await this.after(runId, await this.runs.failChunk(runId, chunkNo, `chunk ${chunkNo} failed: ${job.failedReason.slice(0, 200)}`));
      }
    }
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

  /** A chunk whose job gave up for good: its customers count as unchecked, so the run ends partial, not stuck. */
  private async onFailed(job: Job | undefined, error: Error): Promise<void> {
    if (!job) return;
    const exhausted = job.attemptsMade >= (job.opts.attempts ?? 1);
    this.logger.warn(`reconciliation job ${job.name} ${job.id} failed (attempt ${job.attemptsMade}): ${error.message}`);
    if (!exhausted || job.name !== 'chunk') return;
    const { runId, chunkNo } = job.data as ReconciliationJobs['chunk'];
    try {
      const advance = await this.runs.failChunk(runId, chunkNo, `chunk ${chunkNo} failed: ${error.message.slice(0, 200)}`);
      await this.after(runId, advance);
    } catch (e) {
      this.logger.error(`could not record the failure of chunk ${chunkNo} of run ${runId}: ${(e as Error).message}`);
    }
  }
}
