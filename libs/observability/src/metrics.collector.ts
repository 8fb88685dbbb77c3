import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import { Queue } from 'bullmq';
import { APP_CONFIG, AppConfig } from '@app/config';
import { RedisConnection, queuePrefix } from '@app/queue';
import type { Dependency } from './dependency-health.service';
import { MetricsService, QUEUE_STATES } from './metrics.service';
import { OBSERVABILITY_OPTIONS, OBSERVABILITY_REDIS, ObservabilityOptions } from './observability.options';
import { withTimeout } from '@app/common';

/** A scrape must answer even when Redis or Postgres does not. */
const SCRAPE_DEPENDENCY_TIMEOUT_MS = 1000;

/**
 * One part of a scrape: reads state held elsewhere and sets its gauges. A feature registers its
 * own (`addScrapeSource`), so the state it owns is read by its own code.
 */
export interface ScrapeSource {
  /** What it reads: `dependency_up{dependency}` is 0 when none of that dependency's sources answered within a second. */
  dependency: Dependency;
  refresh(metrics: MetricsService): Promise<void>;
}

/**
 * Refreshes the gauges that describe state held elsewhere (BullMQ queues in Redis; the outbox,
 * reconciliation runs and webhook deliveries in Postgres, registered by their features) right
 * before each scrape. A source that does not answer leaves its gauges as they were, and
 * `dependency_up{dependency}` is 1 when any source on that dependency answered.
 */
@Injectable()
export class MetricsCollector implements OnApplicationShutdown {
  private readonly queues: Queue[];
  private readonly sources = new Map<string, ScrapeSource>();

  constructor(
    private readonly metrics: MetricsService,
    @Inject(APP_CONFIG) config: AppConfig,
    @Inject(OBSERVABILITY_OPTIONS) options: ObservabilityOptions,
    @Inject(OBSERVABILITY_REDIS) redis: RedisConnection,
  ) {
    this.queues = (options.queues ?? []).map((name) => {
      const queue = new Queue(name, { connection: redis, prefix: queuePrefix(config, name) });
      // Redis being down shows as dependency_up 0, not as an error event per reconnect.
      queue.on('error', () => undefined);
      return queue;
    });
    if (this.queues.length > 0) this.addScrapeSource('queues', { dependency: 'redis', refresh: () => this.collectQueues() });
  }

  /** Adds a part to every scrape from now on; a name already added keeps its first source. */
  addScrapeSource(name: string, source: ScrapeSource): void {
    if (!this.sources.has(name)) this.sources.set(name, source);
  }

  /** The Prometheus text exposition, gauges refreshed first. */
  async scrape(): Promise<string> {
    const answered = await Promise.all(
      [...this.sources].map(async ([name, source]) => {
        const up = await withTimeout(source.refresh(this.metrics), SCRAPE_DEPENDENCY_TIMEOUT_MS, name).then(
          () => true,
          () => false,
        );
        return { dependency: source.dependency, up };
      }),
    );
    // Up when any of its sources answered: one slow count (a webhook backlog growing while a
    // PSP endpoint is down) must not report the whole database as down.
    for (const dependency of new Set(answered.map((a) => a.dependency))) {
      const up = answered.some((a) => a.dependency === dependency && a.up);
      this.metrics.dependencyUp.set({ dependency }, up ? 1 : 0);
    }
    return this.metrics.registry.metrics();
  }

  get contentType(): string {
    return this.metrics.registry.contentType;
  }

  private async collectQueues(): Promise<void> {
    const counts = await Promise.all(this.queues.map((queue) => queue.getJobCounts(...QUEUE_STATES)));
    this.queues.forEach((queue, i) => {
      for (const state of QUEUE_STATES) this.metrics.queueJobs.set({ queue: queue.name, state }, counts[i][state] ?? 0);
    });
  }

  // Last, so /metrics still answers while the process drains.
  async onApplicationShutdown(): Promise<void> {
    // The connection is shared (and closed by its owner); closing a Queue leaves it open.
    await Promise.all(this.queues.map((queue) => queue.close().catch(() => undefined)));
  }
}
