import { isEmail } from 'class-validator';
import { QueryReader } from '@app/common';
import { isIsoAlpha3Country } from './country';
import { CUSTOMER_TYPES } from './customer-input.dto';
import { SyncStatus } from './customer.entity';
import { CustomerListFilter } from './customers.repository';

export const SYNC_STATUSES: readonly SyncStatus[] = ['pending', 'synced', 'failed'];
const KNOWN = ['limit', 'offset', 'type', 'is_active', 'sync_status', 'country', 'email'];

/** The list's query string, strictly: an unknown parameter or value is a 400, never ignored or clamped. */
export function parseListQuery(query: Record<string, unknown>): CustomerListFilter {
  const q = new QueryReader(query, KNOWN);
  const filter: CustomerListFilter = q.page();
  filter.type = q.oneOf('type', CUSTOMER_TYPES);
  const active = q.oneOf('is_active', ['true', 'false'] as const);
  if (active !== undefined) filter.isActive = active === 'true';
  filter.syncStatus = q.oneOf('sync_status', SYNC_STATUSES);
  const country = q.text('country');
  if (country !== undefined) {
    if (isIsoAlpha3Country(country)) filter.country = country;
    else q.fail('country', 'must be an ISO 3166-1 alpha-3 code in upper case, e.g. KEN');
  }
  const email = q.text('email');
  if (email !== undefined) {
    if (email.length <= 254 && isEmail(email)) filter.email = email;
    else q.fail('email', 'must be a valid email address');
  }
  q.done();
  for (const key of Object.keys(filter) as (keyof CustomerListFilter)[]) if (filter[key] === undefined) delete filter[key];
  return filter;
}
