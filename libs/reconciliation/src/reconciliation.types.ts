// The shapes the API and the CLI rely on (docs/api.md). The queue's jobs are in reconciliation.jobs.ts.

export const RUN_KINDS = ['balances', 'records'] as const;
export type RunKind = (typeof RUN_KINDS)[number];
export type RunTrigger = 'schedule' | 'manual';
export const RUN_STATUSES = ['queued', 'running', 'completed', 'partial', 'failed'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];
export const ACTIVE_STATUSES: RunStatus[] = ['queued', 'running'];

export const FINDING_KINDS = [
  'balance_changed',
  'balance_fetch_failed',
  'missing_upstream',
  'deactivated_with_balance',
  'field_drift',
  'deactivated_upstream',
  'document_attached',
  'unknown_upstream',
  'duplicate_upstream',
] as const;
export type FindingKind = (typeof FINDING_KINDS)[number];

/** A run as the API returns it (snake_case, as in the contract). */
export interface RunView {
  id: string;
  kind: RunKind;
  trigger: RunTrigger;
  status: RunStatus;
  progress: { done: number; total: number };
  started_at: string | null;
  finished_at: string | null;
  created_at: string;
  counts: { customers_checked: number; balances_changed: number; findings: number; errors: number };
  totals: { currency: string; total: string }[];
  /** Why the run is partial or failed beyond its findings (pages that could not be read...), else null. */
  error: string | null;
  /** While running: seconds left at the pace so far (customers done since it started); else null. */
  eta_seconds: number | null;
}

export interface FindingView {
  id: number;
  run_id: string;
  kind: FindingKind;
  customer_id: string | null;
  celar_id: string | null;
  field: string | null;
  expected: string | null;
  actual: string | null;
  delta: string | null;
  message: string;
  created_at: string;
}

/** The CSV header row: the finding fields, in the contract's order. */
export const FINDING_FIELDS: (keyof FindingView)[] = [
  'id',
  'run_id',
  'kind',
  'customer_id',
  'celar_id',
  'field',
  'expected',
  'actual',
  'delta',
  'message',
  'created_at',
];

export interface BalanceView {
  customer_id: string;
  balance: string | null;
  currency: string | null;
  as_of: string | null;
}

/** A finding about to be written. */
export interface NewFinding {
  kind: FindingKind;
  customerId: string | null;
  celarId: string | null;
  field?: string | null;
  expected?: string | null;
  actual?: string | null;
  delta?: string | null;
  /** Not stored with the finding: carried to its case. */
  currency?: string | null;
  message: string;
}
