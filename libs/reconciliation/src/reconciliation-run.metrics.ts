import { Injectable, OnModuleInit, Optional } from '@nestjs/common';
import { MetricsCollector } from '@app/observability';
import { ReconciliationRunsRepository } from './reconciliation-runs.repository';
import { RUN_KINDS, RUN_STATUSES } from './reconciliation.types';

/**
 * Adds the run gauges to every scrape of a process that shows metrics (both do): runs by kind
 * and status, and the age of the oldest active one, read from the runs table on scrape.
 */
@Injectable()
export class ReconciliationRunMetrics implements OnModuleInit {
  constructor(
    private readonly runs: ReconciliationRunsRepository,
    @Optional() private readonly collector?: MetricsCollector,
  ) {}

  onModuleInit(): void {
    this.collector?.addScrapeSource('reconciliation_runs', {
      dependency: 'postgres',
      refresh: async (metrics) => {
        const counts = await this.runs.runCounts();
        // Every kind and status shows, 0 when no run has it.
        metrics.reconciliationRunsByStatus.reset();
        for (const kind of RUN_KINDS) {
          for (const status of RUN_STATUSES) metrics.reconciliationRunsByStatus.set({ kind, status }, 0);
        }
        let oldest = 0;
        for (const count of counts) {
          metrics.reconciliationRunsByStatus.set({ kind: count.kind, status: count.status }, count.runs);
          oldest = Math.max(oldest, count.oldestActiveAgeSeconds ?? 0);
        }
        metrics.oldestActiveRunAge.set(oldest);
      },
    });
  }
}
