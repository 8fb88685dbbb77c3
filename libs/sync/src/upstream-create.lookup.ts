import { CelarApiError, CelarClient, CelarCustomer } from '@app/celar-client';

/** Our clock and Celar's may differ: scan this much further back than the first attempt. */
export const CLOCK_SKEW_MARGIN_MS = 5 * 60_000;
const PAGE_SIZE = 100;
const MAX_PAGES = 1000;
const READ_TRIES = 4;

export interface CreatedCustomerQuery {
  email: string;
  taxId: string | null;
  /** When the first attempt at the create was made. */
  firstAttemptAt: Date;
  /** True when this Celar customer is already linked to one of ours: never adopt it twice. */
  isLinked: (celarId: string) => Promise<boolean>;
}

/**
 * Looks for a customer that an earlier attempt at a create may have made upstream, even
 * though we never saw the answer. Celar's list is newest first, so only the pages created
 * since the first attempt (less a clock-skew margin) are read. Inserts at the head while
 * we page only push older entries further down: nothing is skipped.
 */
export async function findCreatedUpstream(client: CelarClient, query: CreatedCustomerQuery): Promise<CelarCustomer | null> {
  const cutoff = query.firstAttemptAt.getTime() - CLOCK_SKEW_MARGIN_MS;
  const email = query.email.toLowerCase();
  const taxId = query.taxId ?? null;
  for (let page = 0; page < MAX_PAGES; page++) {
    const offset = page * PAGE_SIZE;
    const { customers, total } = await readWithRetries(() => client.listCustomers({ limit: PAGE_SIZE, offset })).catch(
      (error: unknown) => {
        // A list Celar refuses says nothing about the create: keep retrying rather than fail the customer.
        if (error instanceof CelarApiError && ['REJECTED', 'NOT_FOUND', 'CONFLICT'].includes(error.kind)) {
          throw new CelarApiError('TRANSIENT', `the upstream lookup failed: ${error.message}`, { status: error.status, code: 'lookup_failed' });
        }
        throw error;
      },
    );
    for (const candidate of customers) {
      const sameEmail = typeof candidate.email === 'string' && candidate.email.toLowerCase() === email;
      const sameTaxId = (candidate.tax_id ?? null) === taxId;
      if (sameEmail && sameTaxId && !(await query.isLinked(candidate.id))) return candidate;
    }
    if (customers.length < PAGE_SIZE) return null;
    if (total !== null && offset + customers.length >= total) return null;
    const oldest = Date.parse(String(customers[customers.length - 1].created_at));
    if (!Number.isNaN(oldest) && oldest < cutoff) return null;
  }
  throw new CelarApiError('TRANSIENT', 'the upstream lookup did not reach the first attempt in time', { code: 'lookup_incomplete' });
}

/** Reads are safe to repeat: a page that fails transiently is read again, without restarting the scan. */
async function readWithRetries<T>(read: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await read();
    } catch (error) {
      const retryable = error instanceof CelarApiError && (error.kind === 'TRANSIENT' || error.kind === 'RATE_LIMITED');
      if (!retryable || attempt >= READ_TRIES) throw error;
      const wait = error.kind === 'RATE_LIMITED' ? (error.retryAfterMs ?? 1000) : Math.random() * 100 * 2 ** attempt;
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }
}
