import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@app/config';
import { ClaimedOperation, CustomerOperationsRepository, OUTBOX_CHANNEL } from '@app/customers';
import { NotificationListener } from '@app/database';
import { QueueProducer, Queues } from '@app/queue';
import { SYNC_JOBS, SyncJobs } from './sync.jobs';

const BATCH = 500;

/**
 * Moves committed operations from the outbox (customer_operations) into BullMQ. Woken by
 * LISTEN/NOTIFY at each commit, and polls as a fallback. Each pass claims rows with
 * FOR UPDATE SKIP LOCKED, adds their jobs, marks them enqueued and commits: a crash or a
 * Redis failure in between leaves them pending for the next pass, and adding a job id that
 * exists is a no-op, so several relays (one per worker process) can run at once. Started
 * and stopped by the worker process (apps/worker).
 */
@Injectable()
export class OutboxRelay {
  private readonly logger = new Logger(OutboxRelay.name);
  private readonly producer: QueueProducer<SyncJobs>;
  private readonly wakeup: NotificationListener;
  private running?: Promise<void>;
  private stopped = false;
  private failing = false;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly repository: CustomerOperationsRepository,
    queues: Queues,
  ) {
    this.producer = queues.producer(SYNC_JOBS);
    this.wakeup = new NotificationListener(config.databaseUrl, OUTBOX_CHANNEL, 'customer-sync-relay');
  }

  start(): void {
    if (this.running) return;
    this.stopped = false;
    this.wakeup.start();
    this.running = this.loop();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.wakeup.stop();
    await this.running;
    this.running = undefined;
  }

  /** Asks for a pass now (a NOTIFY arrived, or a caller knows there is work). */
  notify(): void {
    this.wakeup.notify();
  }

  /** One pass: claims, enqueues and marks up to one batch. Returns how many were enqueued. */
  relayOnce(): Promise<number> {
    return this.repository.relay(BATCH, this.config.sync.resweepAfterMs, (claimed) => this.enqueue(claimed));
  }

  private async enqueue(claimed: ClaimedOperation[]): Promise<void> {
    // An operation put back in line (admin re-sync, or a job that ran out of attempts) may
    // still have its finished job in Redis, which would turn the add into a no-op: it is replaced.
    await this.producer.addBulk(
      'sync-operation',
      claimed.map((op) => ({ operationId: op.id, customerId: op.customerId, requestId: op.requestId ?? null })),
      { replaceFinished: true },
    );
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      this.wakeup.clear();
      let enqueued = 0;
      try {
        enqueued = await this.relayOnce();
        if (this.failing) this.logger.log('outbox relay is moving operations again');
        this.failing = false;
      } catch (error) {
        // Once per outage, not once per pass.
        if (!this.failing) this.logger.warn(`outbox relay cannot enqueue (operations stay in Postgres): ${(error as Error).message}`);
        this.failing = true;
      }
      if (this.stopped) break;
      // A full batch means more is waiting; otherwise sleep until notified or the poll interval.
      if (enqueued === BATCH && !this.failing) continue;
      if (this.wakeup.pending && !this.failing) continue;
      await this.wakeup.sleep(this.config.sync.pollMs);
    }
  }
}
