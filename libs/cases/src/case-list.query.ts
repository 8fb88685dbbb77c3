import { AppError, ErrorDetail } from '@app/common';
import { CUSTOMER_REF } from '@app/customers';
import { CASE_KINDS, CASE_STATUSES, CaseKind, CaseStatus } from './case.types';

export interface CaseListFilter {
  statuses?: CaseStatus[];
  kinds?: CaseKind[];
  /** Our id, or a celar_id (`cr_…`). */
  customer?: { column: 'customer_id' | 'celar_id'; value: string };
  minAgeHours?: string;
  limit: number;
  offset: number;
}

const KNOWN = ['status', 'kind', 'customer_id', 'min_age_hours', 'limit', 'offset', 'format'];

/**
 * `GET /admin/cases` parameters: status and kind repeatable or comma-separated, limit 1..100
 * (default 20), never clamped; anything unknown or out of range is a 400 naming it.
 */
export function parseCaseListQuery(query: Record<string, unknown>): CaseListFilter {
  const details: ErrorDetail[] = [];
  for (const key of Object.keys(query)) {
    if (!KNOWN.includes(key)) details.push({ field: key, message: `is not a known parameter (known: ${KNOWN.join(', ')})` });
  }
  const filter: CaseListFilter = { limit: 20, offset: 0 };
  filter.statuses = listOf(query, 'status', CASE_STATUSES, details);
  filter.kinds = listOf(query, 'kind', CASE_KINDS, details);

  const customer = query.customer_id;
  if (customer !== undefined) {
    const where = typeof customer === 'string' ? CUSTOMER_REF.where(customer) : undefined;
    if (where) filter.customer = { column: where.column === 'id' ? 'customer_id' : 'celar_id', value: where.value };
    else details.push({ field: 'customer_id', message: "must be a customer's id or its celar_id (cr_…)" });
  }
  const age = query.min_age_hours;
  if (age !== undefined) {
    if (typeof age === 'string' && /^\d{1,6}(\.\d{1,3})?$/.test(age)) filter.minAgeHours = age;
    else details.push({ field: 'min_age_hours', message: 'must be a number of hours, 0 or more (e.g. 24 or 1.5)' });
  }
  filter.limit = intOf(query, 'limit', 20, 1, 100, details);
  filter.offset = intOf(query, 'offset', 0, 0, 1_000_000_000, details);
  const format = query.format;
  if (format !== undefined && format !== 'json' && format !== 'csv') details.push({ field: 'format', message: 'must be json or csv' });
  if (details.length > 0) throw new AppError('validation_failed', 'Invalid case query', details);
  return filter;
}

function listOf<T extends string>(query: Record<string, unknown>, name: string, allowed: readonly T[], details: ErrorDetail[]): T[] | undefined {
  const raw = query[name];
  if (raw === undefined) return undefined;
  const parts = (Array.isArray(raw) ? raw : [raw]).flatMap((v) => (typeof v === 'string' ? v.split(',') : [String(v)])).map((v) => v.trim());
  const bad = parts.filter((p) => !allowed.includes(p as T));
  if (bad.length > 0 || parts.length === 0) {
    details.push({ field: name, message: `must be one or more of ${allowed.join(', ')}` });
    return undefined;
  }
  return [...new Set(parts)] as T[];
}

function intOf(query: Record<string, unknown>, name: string, fallback: number, min: number, max: number, details: ErrorDetail[]): number {
  const value = query[name];
  if (value === undefined) return fallback;
  const n = typeof value === 'string' && /^\d{1,10}$/.test(value) ? Number(value) : NaN;
  if (!Number.isInteger(n) || n < min || n > max) {
    details.push({ field: name, message: `must be an integer from ${min} to ${max}` });
    return fallback;
  }
  return n;
}
