import { QueryReader } from '@app/common';
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
  const q = new QueryReader(query, KNOWN);
  const filter: CaseListFilter = q.page();
  filter.statuses = q.list('status', CASE_STATUSES);
  filter.kinds = q.list('kind', CASE_KINDS);
  const customer = q.text('customer_id');
  if (customer !== undefined) {
    const where = CUSTOMER_REF.where(customer);
    if (where) filter.customer = { column: where.column === 'id' ? 'customer_id' : 'celar_id', value: where.value };
    else q.fail('customer_id', "must be a customer's id or its celar_id (cr_…)");
  }
  const age = q.text('min_age_hours');
  if (age !== undefined) {
    if (/^\d{1,6}(\.\d{1,3})?$/.test(age)) filter.minAgeHours = age;
    else q.fail('min_age_hours', 'must be a number of hours, 0 or more (e.g. 24 or 1.5)');
  }
  q.oneOf('format', ['json', 'csv'] as const);
  q.done();
  return filter;
}
