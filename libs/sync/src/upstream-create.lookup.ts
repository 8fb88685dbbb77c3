import { CelarApiError, CelarClient, CelarCustomer, withCelarRetry } from '@app/celar-client';

/** Our clock and Celar's may differ: a match may carry a created_at this much before our first attempt. */
export const CLOCK_SKEW_MARGIN_MS = 5 * 60_000;
/** Asked per page; Celar may serve fewer. */
const PAGE_LIMIT = 100;
/** Up to this many creates are looked for one by one with an email filter (if Celar honours it). */
const FILTERED_LOOKUPS_MAX = 10;
/** A scan longer than this many pages gives up (and proves nothing): 2.5M customers at 100 a page. */
const MAX_PAGES = 25_000;

/** A create an earlier attempt may have made upstream. */
export interface WantedCreate {
  email: string;
  taxId: string | null;
  type: string;
  country: string;
  /** When our first attempt at it left. */
  firstAttemptAt: Date;
}

export interface LookupOptions {
  /** Which of these Celar ids are already linked to some local customer (never adopted twice). */
  linked: (celarIds: string[]) => Promise<Set<string>>;
  /** Called after every page: a long scan keeps the drain's leases alive. */
  onPage?: () => void;
}

/**
 * Looks for customers that earlier attempts at creates (single or bulk) may have made upstream,
 * for all of them at once. Trusted only once those attempts have settled (the caller waits): then
 * a miss proves the create absent. It assumes nothing of Celar's list but what the docs allow:
 * no order, pages that may be shorter than asked, perhaps no total. A scan ends only at an empty
 * page (or offset >= total); a scan that cannot finish throws, so nothing is concluded from it.
 * For a few creates an email filter is tried first; if Celar ignores it (an item that does not
 * match), the lookup falls back to one full scan.
 *
 * A match: same email (case-insensitive) and tax id (compared without case, spaces or dashes;
 * missing equals empty), the same type and country where Celar returns them, created no earlier
 * than our first attempt (less a clock-skew margin), and linked to no local customer. Returns,
 * for each create in order, its match or null.
 */
export async function findCreatedUpstream(celar: CelarClient, wanted: WantedCreate[], options: LookupOptions): Promise<(CelarCustomer | null)[]> {
  if (wanted.length === 0) return [];
  const emails = new Set(wanted.map((w) => w.email.toLowerCase()));
  const candidates: CelarCustomer[] = [];
  const collect = (customers: CelarCustomer[]) => {
    for (const c of customers) if (typeof c.email === 'string' && emails.has(c.email.toLowerCase())) candidates.push(c);
  };
  const filtered = emails.size <= FILTERED_LOOKUPS_MAX && (await scanFiltered(celar, [...emails], collect, options));
  if (!filtered) {
    candidates.length = 0;
    await scan(celar, undefined, collect, options);
  }
  return pickMatches(wanted, dedupe(candidates), await options.linked([...new Set(candidates.map((c) => c.id))]));
}

/** One scan per email with `?email=`; false (and nothing concluded) as soon as Celar shows it ignores the filter. */
async function scanFiltered(celar: CelarClient, emails: string[], collect: (c: CelarCustomer[]) => void, options: LookupOptions): Promise<boolean> {
  for (const email of emails) {
    let honoured = true;
    await scan(celar, email, (customers) => {
      if (customers.some((c) => typeof c.email !== 'string' || c.email.toLowerCase() !== email)) honoured = false;
      collect(customers);
      return honoured;
    }, options);
    if (!honoured) return false;
  }
  return true;
}

/** Full passes over the list before a lookup that keeps seeing fewer customers than Celar's total gives up. */
const MAX_PASSES = 4;

/**
 * Pages through Celar's list until an empty page (or offset >= total). `onPage` may stop it early
 * by returning false. Each page's offset is where the last one ended (a short page is not the
 * last). A Celar that keeps answering the same page, or whose pages never end, fails the scan.
 * Customers created during a scan may show twice, which is harmless. When Celar gives a total,
 * a pass that saw fewer distinct customers than it means the order moved between pages (offsets
 * then skip some): the list is read again, and a scan that never sees them all fails.
 */
async function scan(
  celar: CelarClient,
  email: string | undefined,
  onPage: (customers: CelarCustomer[]) => boolean | void,
  options: LookupOptions,
): Promise<void> {
  const seen = new Set<string>();
  let pages = 0;
  for (let pass = 1; ; pass++) {
    let offset = 0;
    let previous = new Set<string>();
    let total: number | null = null;
    for (;;) {
      if (++pages > MAX_PAGES) throw incomplete(`more than ${MAX_PAGES} pages`);
      const page = await withCelarRetry(() => celar.listCustomers({ limit: PAGE_LIMIT, offset, ...(email ? { email } : {}) })).catch(
        (error: unknown) => {
          // A list Celar refuses says nothing about the create: the lookup failed, retry later.
          if (error instanceof CelarApiError && error.kind !== 'TRANSIENT' && error.kind !== 'RATE_LIMITED') {
            throw new CelarApiError('TRANSIENT', `the upstream lookup failed: ${error.message}`, { status: error.status, code: 'lookup_failed' });
          }
          throw error;
        },
      );
      options.onPage?.();
      total = page.total ?? total;
      if (page.customers.length === 0) break;
      if (page.customers.every((c) => previous.has(c.id))) throw incomplete('Celar answered the same page twice');
      previous = new Set(page.customers.map((c) => c.id));
      for (const id of previous) seen.add(id);
      if (onPage(page.customers) === false) return;
      offset += page.customers.length;
      if (page.total !== null && offset >= page.total) break;
    }
    if (total === null || seen.size >= total) return;
    if (pass >= MAX_PASSES) throw incomplete(`saw ${seen.size} of the ${total} customers Celar counts`);
  }
}

function incomplete(why: string): CelarApiError {
  return new CelarApiError('TRANSIENT', `the upstream lookup could not finish: ${why}`, { code: 'lookup_incomplete' });
}

function dedupe(customers: CelarCustomer[]): CelarCustomer[] {
  const byId = new Map(customers.map((c) => [c.id, c]));
  return [...byId.values()].sort((a, b) => time(a.created_at) - time(b.created_at) || a.id.localeCompare(b.id));
}

function pickMatches(wanted: WantedCreate[], candidates: CelarCustomer[], linked: Set<string>): (CelarCustomer | null)[] {
  const taken = new Set(linked);
  return wanted.map((w) => {
    const match = candidates.find((c) => !taken.has(c.id) && matches(w, c));
    if (match) taken.add(match.id);
    return match ?? null;
  });
}

function matches(w: WantedCreate, c: CelarCustomer): boolean {
  if (typeof c.email !== 'string' || c.email.toLowerCase() !== w.email.toLowerCase()) return false;
  if (normalTaxId(c.tax_id) !== normalTaxId(w.taxId)) return false;
  if (typeof c.type === 'string' && c.type !== w.type) return false;
  if (typeof c.country === 'string' && c.country.toUpperCase() !== w.country.toUpperCase()) return false;
  const created = time(c.created_at);
  return Number.isNaN(created) || created >= w.firstAttemptAt.getTime() - CLOCK_SKEW_MARGIN_MS;
}

function normalTaxId(value: unknown): string {
  return typeof value === 'string' ? value.replace(/[\s-]/g, '').toUpperCase() : '';
}

function time(value: unknown): number {
  return typeof value === 'string' ? Date.parse(value) : Number.NaN;
}
