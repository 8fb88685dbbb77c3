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

export interface CreatedCustomersQuery {
  /** The creates to look for; two with the same email and tax id get two different matches. */
  customers: { email: string; taxId: string | null }[];
  /** The earliest first attempt among them: the scan reads back to it. */
  firstAttemptAt: Date;
  isLinked: (celarId: string) => Promise<boolean>;
}

/** One create: see findManyCreatedUpstream. */
export async function findCreatedUpstream(client: CelarClient, query: CreatedCustomerQuery): Promise<CelarCustomer | null> {
  const [found] = await findManyCreatedUpstream(client, {
    customers: [{ email: query.email, taxId: query.taxId }],
    firstAttemptAt: query.firstAttemptAt,
    isLinked: query.isLinked,
  });
  return found;
}

/**
 * Looks for customers that earlier attempts at creates (single or bulk) may have made upstream,
 * even though we never saw the answer: one scan for all of them, matching email
 * (case-insensitive) and tax id. Celar's list is newest first, so only the pages created since
 * the earliest first attempt (less a clock-skew margin) are read, and the scan ends as soon as
 * every create is found. Inserts at the head while we page only push older entries further
 * down: nothing is skipped. Returns, for each query in order, the match or null.
 */
export async function findManyCreatedUpstream(client: CelarClient, query: CreatedCustomersQuery): Promise<(CelarCustomer | null)[]> {
  const found: (CelarCustomer | null)[] = query.customers.map(() => null);
  // email + tax id -> positions still unmatched, in order.
  const waiting = new Map<string, number[]>();
  query.customers.forEach((c, i) => {
    const key = matchKey(c.email, c.taxId);
    waiting.set(key, [...(waiting.get(key) ?? []), i]);
  });
  let left = query.customers.length;
  const taken = new Set<string>();
  const cutoff = query.firstAttemptAt.getTime() - CLOCK_SKEW_MARGIN_MS;
  for (let page = 0; page < MAX_PAGES && left > 0; page++) {
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
      if (typeof candidate.email !== 'string' || taken.has(candidate.id)) continue;
      const positions = waiting.get(matchKey(candidate.email, candidate.tax_id ?? null));
      if (!positions?.length || (await query.isLinked(candidate.id))) continue;
      found[positions.shift()!] = candidate;
      taken.add(candidate.id);
      left--;
    }
    if (left === 0) break;
    if (customers.length < PAGE_SIZE) break;
    if (total !== null && offset + customers.length >= total) break;
    const oldest = Date.parse(String(customers[customers.length - 1].created_at));
    if (!Number.isNaN(oldest) && oldest < cutoff) break;
    if (page === MAX_PAGES - 1) {
      throw new CelarApiError('TRANSIENT', 'the upstream lookup did not reach the first attempt in time', { code: 'lookup_incomplete' });
    }
  }
  return found;
}

/** A missing tax id matches only a missing one (not an empty one). */
function matchKey(email: string, taxId: string | null | undefined): string {
  return `${email.toLowerCase()}\u0000${taxId === null || taxId === undefined ? '-' : `=${taxId}`}`;
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
