import { Inject, Injectable } from '@nestjs/common';
import { SANDBOX_OPTIONS, SandboxOptions } from '../sandbox-options';

export interface RequestLogEntry {
  /** Increasing number; pass it as `since` to read only later entries. */
  seq: number;
  /** When the request arrived (ISO-8601). */
  at: string;
  method: string;
  /** Full path, e.g. /api/v1/customers/cr_0123456789ab. */
  path: string;
  query: Record<string, unknown>;
  /** Status sent; null when the connection was dropped without an answer. */
  status: number | null;
  idempotencyKey: string | null;
  body: unknown;
  /** Customers the request named or created. */
  customerIds: string[];
  /** 'ok' | 'replayed' | 'rate_limited' | 'fault:<kind>'. */
  outcome: string;
  /** Whether it changed state. */
  acted: boolean;
  durationMs: number;
}

export interface RequestLogQuery {
  /** A seq (entries after it) or an ISO time (entries at or after it). */
  since?: string;
  limit?: number;
  method?: string;
  path?: string;
  customerId?: string;
  outcome?: string;
}

export interface RequestStats {
  requestsTotal: number;
  byStatus: Record<string, number>;
  /** Every 429 answered, from the rateLimit setting and from `rate_limited` faults. */
  rateLimited: number;
  dropped: number;
  replayed: number;
}

/** The API calls the sandbox saw (not the control API's), newest kept up to a limit. */
@Injectable()
export class RequestLogService {
  private entries: RequestLogEntry[] = [];
  private seq = 0;
  private readonly max: number;
  private stats: RequestStats = emptyStats();

  constructor(@Inject(SANDBOX_OPTIONS) options: SandboxOptions) {
    this.max = options.requestLogLimit ?? 100_000;
  }

  nextSeq(): number {
    return ++this.seq;
  }

  get lastSeq(): number {
    return this.seq;
  }

  record(entry: RequestLogEntry): void {
    this.stats.requestsTotal++;
    if (entry.status === null) this.stats.dropped++;
    else this.stats.byStatus[entry.status] = (this.stats.byStatus[entry.status] ?? 0) + 1;
    if (entry.status === 429) this.stats.rateLimited++;
    if (entry.outcome === 'replayed') this.stats.replayed++;
    // Seq order is arrival order; a request that outlived its client is recorded late.
    let at = this.entries.length;
    while (at > 0 && this.entries[at - 1].seq > entry.seq) at--;
    if (at === this.entries.length) this.entries.push(entry);
    else this.entries.splice(at, 0, entry);
    // Trim in chunks so a full log does not shift the array on every request.
    if (this.entries.length > this.max * 1.1) this.entries = this.entries.slice(this.entries.length - this.max);
  }

  /** Oldest first; at most `limit` entries. */
  list(query: RequestLogQuery = {}): RequestLogEntry[] {
    let since: (e: RequestLogEntry) => boolean = () => true;
    if (query.since !== undefined && query.since !== '') {
      if (/^\d+$/.test(query.since)) {
        const seq = Number(query.since);
        since = (e) => e.seq > seq;
      } else {
        const at = Date.parse(query.since);
        since = (e) => Date.parse(e.at) >= at;
      }
    }
    const method = query.method?.toUpperCase();
    const out: RequestLogEntry[] = [];
    const limit = query.limit ?? Number.MAX_SAFE_INTEGER;
    for (const e of this.entries) {
      if (out.length >= limit) break;
      if (!since(e)) continue;
      if (method && e.method !== method) continue;
      if (query.path && e.path !== query.path && !e.path.startsWith(`${query.path.replace(/\/+$/, '')}/`)) continue;
      if (query.customerId && !e.customerIds.includes(query.customerId)) continue;
      if (query.outcome && e.outcome !== query.outcome) continue;
      out.push(e);
    }
    return out;
  }

  clear(): void {
    this.entries = [];
  }

  getStats(): RequestStats {
    return { ...this.stats, byStatus: { ...this.stats.byStatus } };
  }

  reset(): void {
    this.clear();
    this.stats = emptyStats();
  }
}

function emptyStats(): RequestStats {
  return { requestsTotal: 0, byStatus: {}, rateLimited: 0, dropped: 0, replayed: 0 };
}
