import { Injectable, Logger, Optional } from '@nestjs/common';
import { MetricsService } from '@app/observability';
import { JobOf, QueueProducer, QueueWorker, Queues } from '@app/queue';
import { BalanceReconciler } from './balance-reconciler.service';
import { Advance, ReconciliationRunsRepository } from './reconciliation-runs.repository';
import { ReconciliationRunsService } from './reconciliation-runs.service';
import { RecordReconciler } from './record-reconciler.service';
import { CHUNK_CONCURRENCY, CHUNK_LOCK_MS, STALLED_CHECK_MS } from './reconciliation.constants';
import { RECONCILIATION_JOBS, ReconciliationJobs } from './reconciliation.jobs';

/** A run queued or planning longer than this without progress gets its start job again. */
const STUCK_START_MS = 60_000;

/**
 * The worker of the 'reconciliation' queue. Thin: every job names a run (and a chunk); the
 * services are idempotent, so a job taken over after a crash, or added twice, is harmless.
 * Started and stopped by the worker process (apps/worker).
 */
@Injectable()
export class ReconciliationProcessor {
  private readonly logger = new Logger(ReconciliationProcessor.name);
  private readonly queue: QueueProducer<ReconciliationJobs>;
  private worker?: QueueWorker;

  constructor(
    private readonly runs: ReconciliationRunsRepository,
    private readonly service: ReconciliationRunsService,
    private readonly queues: Queues,
    private readonly balances: BalanceReconciler,
    private readonly records: RecordReconciler,
    @Optional() private readonly metrics?: MetricsService,
  ) {
    this.queue = queues.producer(RECONCILIATION_JOBS);
  }

  start(): void {
    this.worker ??= this.queues.startWorker(
      RECONCILIATION_JOBS,
      {
        start: (job) => this.startRun(job.data.runId),
        chunk: (job) => this.chunk(job.data.runId, job.data.chunkNo),
        scheduled: async (job) => {
          await this.service.startScheduled(job.data.kind);
        },
        watchdog: () => this.watchdog(),
      },
      {
        concurrency: CHUNK_CONCURRENCY,
        lockDuration: CHUNK_LOCK_MS,
        stalledInterval: STALLED_CHECK_MS,
        maxStalledCount: 5,
        onError: (error) => this.logger.warn(`reconciliation worker: ${error.message}`),
        onFailed: (job, error) => void this.onFailed(job, error),
      },
    );
  }

  /** Takes no new job and lets the chunks in hand finish, while the queue and Postgres they use are still open. */
  async stop(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    await worker?.close();
  }

  async startRun(runId: string): Promise<void> {
    const run = await this.runs.markRunning(runId);
    if (!run) return;
    const advance = run.kind === 'balances' ? await this.balances.plan(runId) : await this.records.plan(runId);
    await this.after(runId, advance);
    // All chunks still to do, not only new ones: this start may be a repeat after a lost job.
    await this.addChunks(runId, await this.runs.pendingChunks(runId));
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
      const idleMs = Date.now() - run.updatedAt.getTime();
      if (run.status === 'queued' || run.phase === 'plan') {
        const state = await this.queue.jobState('start', { runId: run.id });
        if (state === 'failed') {
          // Its tries ran out (Postgres was down for longer than they last): end it, so a new run of its kind can start.
          const reason = await this.queue.failedReason('start', { runId: run.id });
          await this.failRun(run.id, `the run could not start: ${(reason ?? 'its start job gave up').slice(0, 200)}`);
        } else if (idleMs > STUCK_START_MS && (state === 'unknown' || state === 'completed')) {
          // Lost, or ended without starting it: a finished job holding the id is replaced.
          await this.queue.add('start', { runId: run.id }, { replaceFinished: true });
        }
        continue;
      }
      const pending = await this.runs.pendingChunks(run.id);
      if (pending.length > 0) {
        const lost: number[] = [];
        for (const chunkNo of pending) {
          const state = await this.queue.jobState('chunk', { runId: run.id, chunkNo });
          if (state === 'failed') await this.failGivenUpChunk(run.id, chunkNo);
          else if (state === 'unknown' || state === 'completed') lost.push(chunkNo);
        }
        if (lost.length > 0 && idleMs > STUCK_START_MS) await this.addChunks(run.id, lost, { replaceFinished: true });
      } else {
        const advance = await this.runs.advanceNow(run.id);
        await this.after(run.id, advance);
      }
    }
  }

  /** A chunk whose job failed for good while no worker could record it (Postgres down, or the 'failed' event lost). */
  private async failGivenUpChunk(runId: string, chunkNo: number): Promise<void> {
    const reason = (await this.queue.failedReason('chunk', { runId, chunkNo })) ?? 'its job gave up';
    await this.after(runId, await this.runs.failChunk(runId, chunkNo, `chunk ${chunkNo} failed: ${reason.slice(0, 200)}`));
  }

  private async failRun(runId: string, error: string): Promise<void> {
    await this.runs.markFailed(runId, error);
    this.logger.warn(`run ${runId} failed: ${error}`);
    await this.after(runId, { enqueue: [], finished: 'failed' });
  }

  private async after(runId: string, advance: Advance): Promise<void> {
    await this.addChunks(runId, advance.enqueue);
    if (advance.finished) {
      const run = await this.runs.get(runId);
      if (run) {
        this.metrics?.reconciliationRunFinished(
          { kind: run.kind, status: run.status, startedAt: run.startedAt, finishedAt: run.finishedAt },
          await this.runs.findingCountsByKind(run.id),
        );
        this.logger.log(
          `${run.kind} run ${run.id} ${run.status}: ${run.customersChecked} checked, ${run.findingsCount} finding(s), ${run.errors} error(s)`,
        );
      }
    }
  }

  /**
   * A job that gave up for good. A chunk: its customers count as unchecked, so the run ends
   * partial. A start: the run fails. If Postgres is down now, the watchdog does it once it is back.
   */
  private async onFailed(job: JobOf<ReconciliationJobs>, error: Error): Promise<void> {
    const exhausted = job.attemptsMade >= (job.opts.attempts ?? 1);
    this.logger.warn(`reconciliation job ${job.name} ${job.id} failed (attempt ${job.attemptsMade}): ${error.message}`);
    if (!exhausted) return;
    try {
      if (job.name === 'chunk') {
        const { runId, chunkNo } = job.data;
        await this.after(runId, await this.runs.failChunk(runId, chunkNo, `chunk ${chunkNo} failed: ${error.message.slice(0, 200)}`));
      } else if (job.name === 'start') {
        await this.failRun(job.data.runId, `the run could not start: ${error.message.slice(0, 200)}`);
      }
    } catch (e) {
      this.logger.warn(`could not record that job ${job.id} gave up (the watchdog will): ${(e as Error).message}`);
    }
  }

  private async addChunks(runId: string, chunkNos: number[], options?: { replaceFinished: boolean }): Promise<void> {
    await this.queue.addBulk('chunk', chunkNos.map((chunkNo) => ({ runId, chunkNo })), options);
  }
}
