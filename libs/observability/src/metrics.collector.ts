import { Inject, Injectable, OnApplicationShutdown, Optional } from '@nestjs/common';
import { Queue } from 'bullmq';
import { DataSource } from 'typeorm';
import { APP_CONFIG, AppConfig } from '@app/config';
import { outboxBacklog } from '@app/customers';
import { RedisConnection, queuePrefix } from '@app/queue';
import { MetricsService, QUEUE_STATES } from './metrics.service';
import { OBSERVABILITY_OPTIONS, OBSERVABILITY_REDIS, ObservabilityOptions } from './observability.options';
import { withTimeout } from '@app/common';

/** A scrape must answer even when Redis or Postgres does not. */
const SCRAPE_DEPENDENCY_TIMEOUT_MS = 1000;
const RUN_STATUSES = ['queued', 'running', 'completed', 'partial', 'failed'];

/**
 * Sets the gauges that describe state held elsewhere (BullMQ queues in Redis, the
 * outbox in Postgres) right before each scrape. A dependency that does not answer
 * leaves its gauges as they were and sets `dependency_up{dependency}` to 0.
 */
@Injectable()
export class MetricsCollector implements OnApplicationShutdown {
  private readonly queues: Queue[];

  constructor(
    private readonly metrics: MetricsService,
    @Inject(APP_CONFIG) config: AppConfig,
    @Inject(OBSERVABILITY_OPTIONS) options: ObservabilityOptions,
    @Inject(OBSERVABILITY_REDIS) redis: RedisConnection,
    @Optional() private readonly dataSource?: DataSource,
  ) {
    this.queues = (options.queues ?? []).map((name) => {
      const queue = new Queue(name, { connection: redis, prefix: queuePrefix(config, name) });
      // Redis being down shows as dependency_up 0, not as an error event per reconnect.
      queue.on('error', () => undefined);
      return queue;
    });
  }

  /** The Prometheus text exposition, gauges refreshed first. */
  async scrape(): Promise<string> {
    await Promise.all([this.collectQueues(), this.collectOutbox(), this.collectRuns()]);
    return this.metrics.registry.metrics();
  }

  get contentType(): string {
    return this.metrics.registry.contentType;
  }

  private async collectQueues(): Promise<void> {
    if (this.queues.length === 0) return;
    try {
      const counts = await withTimeout(
        Promise.all(this.queues.map((queue) => queue.getJobCounts(...QUEUE_STATES))),
        SCRAPE_DEPENDENCY_TIMEOUT_MS,
        'redis',
      );
      this.queues.forEach((queue, i) => {
        for (const state of QUEUE_STATES) this.metrics.queueJobs.set({ queue: queue.name, state }, counts[i][state] ?? 0);
      });
      this.metrics.dependencyUp.set({ dependency: 'redis' }, 1);
    } catch {
      this.metrics.dependencyUp.set({ dependency: 'redis' }, 0);
    }
  }

  private async collectOutbox(): Promise<void> {
    if (!this.dataSource) return;
    try {
      const backlog = await withTimeout(outboxBacklog(this.dataSource), SCRAPE_DEPENDENCY_TIMEOUT_MS, 'postgres');
      this.metrics.outboxBacklog.set(backlog.pending);
      this.metrics.oldestWaitingAge.set(Math.max(0, backlog.oldestAgeSeconds ?? 0));
      this.metrics.dependencyUp.set({ dependency: 'postgres' }, 1);
    } catch {
      this.metrics.dependencyUp.set({ dependency: 'postgres' }, 0);
    }
  }

  private async collectRuns(): Promise<void> {
    if (!this.dataSource) return;
    try {
      const rows = await withTimeout(
        this.dataSource.query<{ kind: string; status: string; runs: string; oldestActiveAge: string | null }[]>(
          `SELECT kind, status, count(*) AS runs,
                  extract(epoch FROM now() - min(created_at) FILTER (WHERE status IN ('queued', 'running'))) AS "oldestActiveAge"
             FROM reconciliation_runs GROUP BY kind, status`,
        ),
        SCRAPE_DEPENDENCY_TIMEOUT_MS,
        'postgres',
      );
      this.metrics.reconciliationRunsByStatus.reset();
      for (const kind of ['balances', 'records']) {
        for (const status of RUN_STATUSES) this.metrics.reconciliationRunsByStatus.set({ kind, status }, 0);
      }
      let oldest = 0;
      for (const row of rows) {
        this.metrics.reconciliationRunsByStatus.set({ kind: row.kind, status: row.status }, Number(row.runs));
        oldest = Math.max(oldest, Number(row.oldestActiveAge ?? 0));
      }
      this.metrics.oldestActiveRunAge.set(oldest);
    } catch {
      // The outbox query reports Postgres down; these gauges keep their last values.
    }
  }

  // Last, so /metrics still answers while the process drains.
  async onApplicationShutdown(): Promise<void> {
    // The connection is shared (and closed by its owner); closing a Queue leaves it open.
    await Promise.all(this.queues.map((queue) => queue.close().catch(() => undefined)));
  }
}
