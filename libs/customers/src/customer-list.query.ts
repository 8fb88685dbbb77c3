import { isEmail } from 'class-validator';
import { AppError, ErrorDetail } from '@app/common';
import { isIsoAlpha3Country } from './country';
import { CUSTOMER_TYPES } from './customer-input.dto';
import { SyncStatus } from './customer.entity';
import { CustomerListFilter } from './customers.repository';

export const SYNC_STATUSES: readonly SyncStatus[] = ['pending', 'synced', 'failed'];
const KNOWN = ['limit', 'offset', 'type', 'is_active', 'sync_status', 'country', 'email'];

/** The list's query string, strictly: an unknown parameter or value is a 400, never ignored or clamped. */
export function parseListQuery(query: Record<string, unknown>): CustomerListFilter {
  const details: ErrorDetail[] = [];
  const filter: CustomerListFilter = { limit: 20, offset: 0 };
  for (const [field, value] of Object.entries(query)) {
    if (!KNOWN.includes(field)) {
      details.push({ field, message: `${field} is not a known parameter (${KNOWN.join(', ')})` });
      continue;
    }
    if (typeof value !== 'string') {
      details.push({ field, message: `${field} must be given once` });
      continue;
    }
    const problem = applyParam(filter, field, value);
    if (problem) details.push({ field, message: problem });
  }
  if (details.length) throw new AppError('validation_failed', 'Invalid query parameters', details);
  return filter;
}

function applyParam(filter: CustomerListFilter, field: string, value: string): string | undefined {
  switch (field) {
    case 'limit':
      if (!/^\d{1,3}$/.test(value) || +value < 1 || +value > 100) return 'limit must be an integer from 1 to 100';
      filter.limit = +value;
      return;
    case 'offset':
      if (!/^\d{1,15}$/.test(value)) return 'offset must be an integer of 0 or more';
      filter.offset = +value;
      return;
    case 'type':
      if (!(CUSTOMER_TYPES as string[]).includes(value)) return `type must be one of ${CUSTOMER_TYPES.join(', ')}`;
      filter.type = value;
      return;
    case 'is_active':
      if (value !== 'true' && value !== 'false') return 'is_active must be true or false';
      filter.is_active = value === 'true';
      return;
    case 'sync_status':
      if (!(SYNC_STATUSES as string[]).includes(value)) return `sync_status must be one of ${SYNC_STATUSES.join(', ')}`;
      filter.sync_status = value as SyncStatus;
      return;
    case 'country':
      if (!isIsoAlpha3Country(value)) return 'country must be an ISO 3166-1 alpha-3 code in upper case, e.g. KEN';
      filter.country = value;
      return;
    case 'email':
      if (value.length > 254 || !isEmail(value)) return 'email must be a valid email address';
      filter.email = value;
      return;
  }
}
