import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@app/config';
import { QueueProducer, Queues } from '@app/queue';
import { sleep } from './concurrency';
import { WATCHDOG_EVERY_MS } from './reconciliation.constants';
import { RECONCILIATION_JOBS, ReconciliationJobs } from './reconciliation.jobs';
import { RunKind } from './reconciliation.types';

const SCHEDULER_IDS: Record<RunKind, string> = { balances: 'reconcile-balances', records: 'reconcile-records' };
const WATCHDOG_ID = 'reconciliation-watchdog';
/** Schedulers live in Redis: set them again now and then, so a Redis that lost its keys gets them back. */
const REAPPLY_EVERY_MS = 30_000;

/**
 * BullMQ job schedulers: a run of each kind every BALANCE_RECONCILE_EVERY / RECORD_RECONCILE_EVERY
 * (`off` removes it), and the watchdog. Upserting is idempotent, so every worker process does it.
 * Started and stopped by the worker process (apps/worker).
 */
@Injectable()
export class ReconciliationScheduler {
  private readonly logger = new Logger(ReconciliationScheduler.name);
  private readonly queue: QueueProducer<ReconciliationJobs>;
  private stopped = false;
  private setup?: Promise<void>;
  private timer?: NodeJS.Timeout;
  private announced = false;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    queues: Queues,
  ) {
    this.queue = queues.producer(RECONCILIATION_JOBS);
  }

  start(): void {
    if (this.timer) return;
    this.stopped = false;
    // In the background: a Redis that is down at start must not hold the worker's start.
    this.setup = this.schedule();
    // Upserting keeps a scheduler's next time when its interval is unchanged: this never shifts a schedule.
    this.timer = setInterval(() => {
      this.setup = this.setup?.then(() => this.schedule());
    }, REAPPLY_EVERY_MS);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    this.timer = undefined;
    await this.setup;
  }

  private async schedule(): Promise<void> {
    for (let attempt = 1; !this.stopped; attempt++) {
      try {
        await this.apply('balances', this.config.balanceReconcileEveryMs);
        await this.apply('records', this.config.recordReconcileEveryMs);
        await this.queue.schedule(WATCHDOG_ID, WATCHDOG_EVERY_MS, 'watchdog', {});
        if (!this.announced) {
          this.announced = true;
          const every = (ms: number | null) => (ms === null ? 'off' : `every ${Math.round(ms / 1000)} s`);
          this.logger.log(`reconciliation: balances ${every(this.config.balanceReconcileEveryMs)}, records ${every(this.config.recordReconcileEveryMs)}`);
        }
        return;
      } catch (error) {
        if (attempt === 1) this.logger.warn(`reconciliation schedules not set yet (${(error as Error).message}); retrying`);
        await sleep(Math.min(attempt * 1000, 10_000));
      }
    }
  }

  private async apply(kind: RunKind, everyMs: number | null): Promise<void> {
    const id = SCHEDULER_IDS[kind];
    if (everyMs === null) await this.queue.unschedule(id);
    else await this.queue.schedule(id, everyMs, 'scheduled', { kind });
  }
}
