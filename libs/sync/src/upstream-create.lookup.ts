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
 * A match: same email (case-insensitive) and tax id (letters and digits only, without case; not
 * compared when Celar returns none), the same type and country where Celar returns them, created no earlier
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
  const asSent = [...new Map(wanted.map((w) => [w.email.toLowerCase(), w.email])).values()];
  const filtered = asSent.length <= FILTERED_LOOKUPS_MAX && (await scanFiltered(celar, asSent, collect, options));
  if (!filtered) {
    candidates.length = 0;
    await scan(celar, undefined, collect, options);
  }
  return pickMatches(wanted, dedupe(candidates), await options.linked([...new Set(candidates.map((c) => c.id))]));
}

/**
 * One scan per email with `?email=`, the email as it was created; false (and nothing concluded)
 * as soon as Celar shows it ignores the filter. An empty answer for an email with capitals is
 * asked again in lower case, for a Celar that stores emails lower-cased and filters exactly.
 */
async function scanFiltered(celar: CelarClient, emails: string[], collect: (c: CelarCustomer[]) => void, options: LookupOptions): Promise<boolean> {
  for (const email of emails) {
    const forms = email === email.toLowerCase() ? [email] : [email, email.toLowerCase()];
    for (const form of forms) {
      let honoured = true;
      let seen = 0;
      await scan(celar, form, (customers) => {
        seen += customers.length;
        if (customers.some((c) => typeof c.email !== 'string' || c.email.toLowerCase() !== email.toLowerCase())) honoured = false;
        collect(customers);
        return honoured;
      }, options);
      if (!honoured) return false;
      if (seen > 0) break;
    }
  }
  return true;
}

/** Full passes over the list before a lookup that keeps seeing fewer customers than Celar's total gives up. */
const MAX_PASSES = 4;

/**
 * Pages through Celar's list until an empty page (or offset >= total). `onPage` may stop it early
 * by returning false. Each page's offset is where the last one ended (a short page is not the
 * last). A Celar that keeps answering the same page, or whose pages never end, fails the scan.
 * Customers created during a scan may show twice, which is harmless. An order that moves between
 * requests would make offsets skip customers, so a pass alone proves nothing: with a total, the
 * passes go on until they have seen that many distinct customers; without one, until a whole
 * pass adds no customer the earlier ones did not see. A scan that never gets there fails.
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
    const seenBefore = pass === 1 ? -1 : seen.size;
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
    if (total !== null ? seen.size >= total : seen.size === seenBefore) return;
    if (pass >= MAX_PASSES) throw incomplete(total !== null ? `saw ${seen.size} of the ${total} customers Celar counts` : 'the list kept changing between passes');
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
  // Compared only when Celar returns one (it may mask or leave it out of lists).
  if (normalTaxId(c.tax_id) !== '' && normalTaxId(c.tax_id) !== normalTaxId(w.taxId)) return false;
  if (typeof c.type === 'string' && c.type !== w.type) return false;
  if (typeof c.country === 'string' && c.country.toUpperCase() !== w.country.toUpperCase()) return false;
  const created = time(c.created_at);
  return Number.isNaN(created) || created >= w.firstAttemptAt.getTime() - CLOCK_SKEW_MARGIN_MS;
}

/** Letters and digits only, upper case: `12.345.678/0001-90` and `12345678000190` are one tax id. */
function normalTaxId(value: unknown): string {
  return typeof value === 'string' ? value.replace(/[^\p{L}\p{N}]/gu, '').toUpperCase() : '';
}

function time(value: unknown): number {
  return typeof value === 'string' ? Date.parse(value) : Number.NaN;
}
