// Plain-text views of a run for operators' terminals.
import type { FindingView, RunView } from '@app/reconciliation';

export const FINISHED = ['completed', 'partial', 'failed'];

/** 0 completed, 2 partial, 1 failed (and anything unexpected). */
export function exitCodeFor(run: RunView): number {
  if (run.status === 'completed') return 0;
  if (run.status === 'partial') return 2;
  return 1;
}

function duration(run: RunView): string {
  if (!run.started_at) return '';
  const end = run.finished_at ? Date.parse(run.finished_at) : Date.now();
  const seconds = (end - Date.parse(run.started_at)) / 1000;
  return seconds < 120 ? `${seconds.toFixed(1)} s` : `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s`;
}

export function formatSummary(run: RunView): string {
  const lines = [
    `Run ${run.id}: ${run.kind}, ${run.trigger}, ${run.status.toUpperCase()}`,
    `  started    ${run.started_at ?? '(not yet)'}${run.finished_at ? `   finished ${run.finished_at} (${duration(run)})` : ''}`,
    `  progress   ${run.progress.done}/${run.progress.total} customers`,
    `  counts     checked ${run.counts.customers_checked}, balances changed ${run.counts.balances_changed}, findings ${run.counts.findings}, errors ${run.counts.errors}`,
  ];
  if (run.kind === 'balances' || run.totals.length > 0) {
    lines.push(`  totals     ${run.totals.length ? run.totals.map((t) => `${t.total} ${t.currency}`).join(', ') : '(none)'}`);
  }
  if (run.error) lines.push(`  note       ${run.error}`);
  return lines.join('\n');
}

function cell(value: string | null, width: number): string {
  const text = value ?? '-';
  return text.length > width ? `${text.slice(0, width - 1)}…` : text.padEnd(width);
}

export function formatFindings(findings: FindingView[], total: number, runId: string): string {
  if (total === 0) return 'No findings.';
  const header = `${cell('kind', 24)} ${cell('customer', 36)} ${cell('field', 22)} ${cell('expected', 22)} ${cell('actual', 22)} ${cell('delta', 14)} message`;
  const rows = findings.map(
    (f) =>
      `${cell(f.kind, 24)} ${cell(f.customer_id ?? f.celar_id, 36)} ${cell(f.field, 22)} ${cell(f.expected, 22)} ${cell(f.actual, 22)} ${cell(f.delta, 14)} ${f.message}`,
  );
  const more = total > findings.length ? [`… ${total - findings.length} more: npm run cli -- export ${runId} --out findings.csv`] : [];
  return [`Findings (${total}):`, header, ...rows, ...more].join('\n');
}
