import { Counter, Histogram, register } from 'prom-client';
import type { RunRow } from './reconciliation-runs.repository';

// On the default registry, which the worker's /metrics serves.
function counter(): Counter<'kind' | 'status'> {
  const name = 'reconciliation_runs_finished_total';
  return (register.getSingleMetric(name) as Counter<'kind' | 'status'>) ??
    new Counter({ name, help: 'Reconciliation runs finished, by kind and final status', labelNames: ['kind', 'status'] });
}

function durations(): Histogram<'kind'> {
  const name = 'reconciliation_run_duration_seconds';
  return (register.getSingleMetric(name) as Histogram<'kind'>) ??
    new Histogram({ name, help: 'Time from a run starting to its end', labelNames: ['kind'], buckets: [1, 5, 15, 60, 300, 900, 3600] });
}

function findings(): Counter<'kind'> {
  const name = 'reconciliation_findings_total';
  return (register.getSingleMetric(name) as Counter<'kind'>) ??
    new Counter({ name, help: 'Findings written by finished reconciliation runs, by run kind', labelNames: ['kind'] });
}

export function recordRunFinished(run: RunRow): void {
  counter().inc({ kind: run.kind, status: run.status });
  findings().inc({ kind: run.kind }, run.findings_count);
  if (run.started_at && run.finished_at) {
    durations().observe({ kind: run.kind }, (run.finished_at.getTime() - run.started_at.getTime()) / 1000);
  }
}
