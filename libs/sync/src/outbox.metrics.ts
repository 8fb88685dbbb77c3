import { Injectable, OnModuleInit, Optional } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { outboxBacklog } from '@app/customers';
import { MetricsCollector } from '@app/observability';

/**
 * Adds the outbox gauges to every scrape: the changes accepted but not yet sent to Celar, and how
 * long the oldest has waited (the sync lag a user feels). Both processes list it with their
 * operations, since the API, which runs no sync module, shows them too.
 */
@Injectable()
export class OutboxMetrics implements OnModuleInit {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Optional() private readonly collector?: MetricsCollector,
  ) {}

  onModuleInit(): void {
    this.collector?.addScrapeSource('outbox', {
      dependency: 'postgres',
      refresh: async (metrics) => {
        const backlog = await outboxBacklog(this.dataSource);
        metrics.outboxBacklog.set(backlog.pending);
        metrics.oldestWaitingAge.set(Math.max(0, backlog.oldestAgeSeconds ?? 0));
      },
    });
  }
}
