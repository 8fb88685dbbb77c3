import { Counter, Histogram, register } from 'prom-client';
import type { RunRow } from './reconciliation-runs.repository';

// On prom-client's global registry, which the worker's /metrics serves beside its own. Made at
// load (zero until a run ends), and reused if this module is loaded twice.
function metric<T>(name: string, make: () => T): T {
  return (register.getSingleMetric(name) as T | undefined) ?? make();
}

const runsFinished = metric(
  'reconciliation_runs_finished_total',
  () => new Counter({ name: 'reconciliation_runs_finished_total', help: 'Reconciliation runs ended, by kind and final status', labelNames: ['kind', 'status'] }),
);
const findings = metric(
  'reconciliation_findings_total',
  () => new Counter({ name: 'reconciliation_findings_total', help: 'Findings of ended reconciliation runs, by run kind and finding kind', labelNames: ['kind', 'finding'] }),
);
const durations = metric(
  'reconciliation_run_duration_seconds',
  () =>
    new Histogram({
      name: 'reconciliation_run_duration_seconds',
      help: 'Time from a reconciliation run starting to its end',
      labelNames: ['kind'],
      buckets: [1, 5, 15, 60, 300, 900, 3600],
    }),
);

export function recordRunFinished(run: RunRow, findingCounts: { kind: string; count: number }[]): void {
  runsFinished.inc({ kind: run.kind, status: run.status });
  for (const { kind, count } of findingCounts) findings.inc({ kind: run.kind, finding: kind }, count);
  if (run.started_at && run.finished_at) {
    durations.observe({ kind: run.kind }, (run.finished_at.getTime() - run.started_at.getTime()) / 1000);
  }
}
