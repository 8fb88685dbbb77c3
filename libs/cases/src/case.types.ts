// The shapes of reconciliation cases as the API and the CLI rely on them (docs/api.md, "Cases").

/** Finding kinds that open cases; balance_changed and document_attached are events, findings only. */
export const CASE_KINDS = [
  'balance_fetch_failed',
  'missing_upstream',
  'deactivated_with_balance',
  'field_drift',
  'deactivated_upstream',
  'unknown_upstream',
  'duplicate_upstream',
] as const;
export type CaseKind = (typeof CASE_KINDS)[number];

export const CASE_STATUSES = ['open', 'acknowledged', 'resolved', 'accepted'] as const;
export type CaseStatus = (typeof CASE_STATUSES)[number];
export type CaseResolution = 'auto' | 'fixed' | 'repushed';
export const CASE_ACTIONS = ['opened', 'seen', 'acknowledged', 'resolved', 'accepted', 'reopened', 'repushed'] as const;
export type CaseAction = (typeof CASE_ACTIONS)[number];

/** The run kinds (as reconciliation names them) and the case kinds each one owns: only its completed runs resolve them. */
export type CaseRunKind = 'balances' | 'records';
export const OWNED_KINDS: Record<CaseRunKind, CaseKind[]> = {
  balances: ['balance_fetch_failed', 'deactivated_with_balance'],
  records: ['missing_upstream', 'field_drift', 'deactivated_upstream', 'unknown_upstream', 'duplicate_upstream'],
};

/** What reconciliation reports of one finding; findings of other kinds are ignored here. */
export interface CaseFinding {
  kind: string;
  customerId: string | null;
  celarId: string | null;
  field?: string | null;
  expected?: string | null;
  actual?: string | null;
  delta?: string | null;
  currency?: string | null;
}

/** How a run ended, as the cases need it. */
export interface EndedRun {
  id: string;
  kind: CaseRunKind;
  status: string;
  startedAt: Date;
}

export interface CaseView {
  id: string;
  kind: CaseKind;
  status: CaseStatus;
  customer_id: string | null;
  celar_id: string | null;
  field: string | null;
  expected: string | null;
  actual: string | null;
  delta: string | null;
  currency: string | null;
  first_seen_at: string;
  last_seen_at: string;
  occurrence_count: number;
  first_run_id: string;
  last_run_id: string;
  resolution: CaseResolution | null;
  note: string | null;
  updated_at: string;
}

export interface CaseEventView {
  at: string;
  action: CaseAction;
  actor: string;
  note: string | null;
  run_id: string | null;
}

export type CaseWithEvents = CaseView & { events: CaseEventView[] };

export interface CaseList {
  cases: CaseView[];
  total: number;
  limit: number;
  offset: number;
}

/** The CSV header row: the case fields, in the contract's order. */
export const CASE_FIELDS: (keyof CaseView)[] = [
  'id',
  'kind',
  'status',
  'customer_id',
  'celar_id',
  'field',
  'expected',
  'actual',
  'delta',
  'currency',
  'first_seen_at',
  'last_seen_at',
  'occurrence_count',
  'first_run_id',
  'last_run_id',
  'resolution',
  'note',
  'updated_at',
];

/** Open and acknowledged cases by kind and by age (from first_seen_at), for the summary. */
export interface CaseCounts {
  open: number;
  acknowledged: number;
  by_kind: Record<CaseKind, number>;
  by_age: { lt_1d: number; '1d_3d': number; '3d_7d': number; gt_7d: number };
}

/** `key:<first 12 hex of sha256 of the admin key>`: who did it, never a name the client sends. */
export function keyActor(apiKeyHashHex: string): string {
  return `key:${apiKeyHashHex.slice(0, 12)}`;
}

export function runActor(runId: string): string {
  return `run:${runId}`;
}

export function isCaseKind(kind: string): kind is CaseKind {
  return (CASE_KINDS as readonly string[]).includes(kind);
}

/** One break: its kind, the customer (celar_id for customers unknown locally) and the field where it applies. */
export function caseIdentity(f: Pick<CaseFinding, 'kind' | 'customerId' | 'celarId' | 'field'>): string {
  const who = f.kind === 'unknown_upstream' || !f.customerId ? `celar:${f.celarId ?? ''}` : f.customerId;
  return `${f.kind}|${who}|${f.field ?? ''}`;
}
