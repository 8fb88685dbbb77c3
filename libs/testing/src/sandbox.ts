import type { AddressInfo } from 'node:net';
import { createSandboxApp } from '@app/celar-sandbox';
import type {
  FaultKind,
  FaultRule,
  FaultRuleInput,
  RequestLogEntry,
  SandboxBalance,
  SandboxCustomer,
  SandboxSettings,
  SandboxSettingsPatch,
  SandboxStats,
} from '@app/celar-sandbox';

// The sandbox's own types, so the control client and the sandbox cannot drift apart.
export type { SandboxBalance, SandboxCustomer, SandboxSettings, SandboxSettingsPatch, SandboxStats };
export type { ListOrder as SandboxListOrder, EmailFilter as SandboxEmailFilter, MutationBody as SandboxMutationBody } from '@app/celar-sandbox';
export type SandboxFaultKind = FaultKind;
export type SandboxFaultInput = FaultRuleInput;
export type SandboxFault = FaultRule;
export type SandboxRequestLogEntry = RequestLogEntry;

export interface SandboxRequestLogQuery {
  /** Entries after this seq (a number), or at/after this ISO time (a string). */
  since?: number | string;
  limit?: number;
  method?: string;
  /** A path (full, with /api/v1) or a prefix of one. */
  path?: string;
  customerId?: string;
  outcome?: string;
}

export class SandboxControlError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
    route: string,
  ) {
    super(`sandbox control ${route} answered ${status}: ${JSON.stringify(body)}`);
  }
}

/** Client of the sandbox's control API (`/_control`), in-process or a standalone `npm run start:sandbox`. */
export class SandboxControl {
  readonly controlUrl: string;

  /** `url`: the sandbox's root (http://host:port), its /api/v1 base, or its /_control URL. */
  constructor(url: string) {
    const root = url.replace(/\/+$/, '').replace(/\/(api\/v1|_control)$/, '');
    this.controlUrl = `${root}/_control`;
  }

  async reset(): Promise<void> {
    await this.call('POST', '/reset');
  }

  settings(): Promise<SandboxSettings> {
    return this.call('GET', '/settings');
  }

  setSettings(patch: SandboxSettingsPatch): Promise<SandboxSettings> {
    return this.call('PATCH', '/settings', patch);
  }

  /** Requests per second over all API calls (burst defaults to one second's worth); null lifts the limit. */
  async setRateLimit(requestsPerSecond: number | null, burst?: number): Promise<SandboxSettings['rateLimit']> {
    const body = requestsPerSecond === null ? { requestsPerSecond: null } : { requestsPerSecond, ...(burst ? { burst } : {}) };
    return (await this.call<{ rateLimit: SandboxSettings['rateLimit'] }>('PUT', '/rate-limit', body)).rateLimit;
  }

  /** Sets a customer's balance exactly as given (a decimal string). */
  setBalance(customerId: string, balance: string, currency = 'USDC'): Promise<SandboxBalance> {
    return this.call('PUT', `/customers/${encodeURIComponent(customerId)}/balance`, { balance, currency });
  }

  /** Links document URLs as Celar's Dashboard does after an upload (null unlinks). */
  attachDocument(
    customerId: string,
    documents: { verification_document?: string | null; incorporation_certificate?: string | null },
  ): Promise<SandboxCustomer> {
    return this.call('PUT', `/customers/${encodeURIComponent(customerId)}/documents`, documents);
  }

  /** Creates a customer upstream without our service knowing (no validation or email check; missing fields get defaults). */
  createBehindOurBack(fields: Partial<SandboxCustomer> = {}): Promise<SandboxCustomer> {
    return this.call('POST', '/customers', fields);
  }

  /**
   * Changes any fields upstream without our service knowing (updated_at moves unless given).
   * `kyc_status` plays Celar's review, e.g. `{ kyc_status: 'approved' }` (shown while the kycStatus setting is on).
   */
  updateBehindOurBack(customerId: string, fields: Partial<SandboxCustomer>): Promise<SandboxCustomer> {
    return this.call('PATCH', `/customers/${encodeURIComponent(customerId)}`, fields);
  }

  /** Sets a customer's kyc_status as Celar's review would (e.g. `approved`). */
  setKycStatus(customerId: string, kycStatus: string | null): Promise<SandboxCustomer> {
    return this.updateBehindOurBack(customerId, { kyc_status: kycStatus });
  }

  deactivateBehindOurBack(customerId: string): Promise<SandboxCustomer> {
    return this.call('POST', `/customers/${encodeURIComponent(customerId)}/deactivate`);
  }

  /** Every customer upstream, oldest first, deactivated ones included unless filtered. */
  async customers(filter: { email?: string; is_active?: boolean; type?: string; tax_id?: string } = {}): Promise<SandboxCustomer[]> {
    const query = new URLSearchParams();
    for (const [k, v] of Object.entries(filter)) if (v !== undefined) query.set(k, String(v));
    const qs = query.size > 0 ? `?${query.toString()}` : '';
    return (await this.call<{ customers: SandboxCustomer[] }>('GET', `/customers${qs}`)).customers;
  }

  /** One customer and its balance, or null if unknown. */
  async customer(customerId: string): Promise<{ customer: SandboxCustomer; balance: SandboxBalance } | null> {
    try {
      return await this.call('GET', `/customers/${encodeURIComponent(customerId)}`);
    } catch (error) {
      if (error instanceof SandboxControlError && error.status === 404) return null;
      throw error;
    }
  }

  /** API calls seen, oldest first. */
  async requestLog(query: SandboxRequestLogQuery = {}): Promise<SandboxRequestLogEntry[]> {
    const params = new URLSearchParams();
    if (query.since !== undefined) params.set('since', String(query.since));
    if (query.limit !== undefined) params.set('limit', String(query.limit));
    if (query.method) params.set('method', query.method);
    if (query.path) params.set('path', query.path);
    if (query.customerId) params.set('customer_id', query.customerId);
    if (query.outcome) params.set('outcome', query.outcome);
    const qs = params.size > 0 ? `?${params.toString()}` : '';
    return (await this.call<{ entries: SandboxRequestLogEntry[] }>('GET', `/requests${qs}`)).entries;
  }

  /** Empties the request log (counters in stats() stay). Returns the last seq, usable as `since`. */
  async clearRequestLog(): Promise<number> {
    return (await this.call<{ lastSeq: number }>('DELETE', '/requests')).lastSeq;
  }

  /** Adds one rule, returning it with its id. */
  async addFault(rule: SandboxFaultInput): Promise<SandboxFault> {
    return (await this.call<{ faults: SandboxFault[] }>('POST', '/faults', rule)).faults[0];
  }

  async addFaults(rules: SandboxFaultInput[]): Promise<SandboxFault[]> {
    return (await this.call<{ faults: SandboxFault[] }>('POST', '/faults', rules)).faults;
  }

  async faults(): Promise<SandboxFault[]> {
    return (await this.call<{ faults: SandboxFault[] }>('GET', '/faults')).faults;
  }

  async removeFault(id: string): Promise<void> {
    await this.call('DELETE', `/faults/${encodeURIComponent(id)}`);
  }

  async clearFaults(): Promise<void> {
    await this.call('DELETE', '/faults');
  }

  stats(): Promise<SandboxStats> {
    return this.call('GET', '/stats');
  }

  private async call<T>(method: string, route: string, body?: unknown): Promise<T> {
    const res = await fetch(`${this.controlUrl}${route}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // keep the text
    }
    if (!res.ok) throw new SandboxControlError(res.status, parsed, `${method} ${route}`);
    return parsed as T;
  }
}

export interface RunningSandbox {
  /** Celar API base, e.g. http://127.0.0.1:41234/api/v1 (CELAR_BASE_URL). */
  baseUrl: string;
  /** e.g. http://127.0.0.1:41234/_control */
  controlUrl: string;
  control: SandboxControl;
  /** A key the sandbox accepts (CELAR_API_KEY). */
  apiKey: string;
  close(): Promise<void>;
}

export interface StartSandboxOptions {
  /** Accepted bearer keys; the first is `apiKey`. Default ['sandbox_key']. */
  apiKeys?: string[];
  pspId?: string;
  /** Seeds the fault probability draws. */
  seed?: number;
  /** Applied once started. */
  settings?: SandboxSettingsPatch;
}

/** Starts the Celar sandbox in this process on an ephemeral port. */
export async function startSandbox(options: StartSandboxOptions = {}): Promise<RunningSandbox> {
  const apiKeys = options.apiKeys?.length ? options.apiKeys : ['sandbox_key'];
  const app = await createSandboxApp({ apiKeys, pspId: options.pspId, seed: options.seed, logger: false });
  await app.listen(0, '127.0.0.1');
  const server = app.getHttpServer();
  const { port } = server.address() as AddressInfo;
  const root = `http://127.0.0.1:${port}`;
  const control = new SandboxControl(root);
  if (options.settings) await control.setSettings(options.settings);
  let closed: Promise<void> | undefined;
  return {
    baseUrl: `${root}/api/v1`,
    controlUrl: control.controlUrl,
    control,
    apiKey: apiKeys[0],
    close: () => {
      // Requests held by latency faults or keep-alive sockets must not hold the test open.
      closed ??= (async () => {
        server.closeAllConnections();
        await app.close();
      })();
      return closed;
    },
  };
}

/** The same handle for a sandbox running elsewhere (e.g. `npm run start:sandbox`); close() does nothing. */
export function connectSandbox(url: string, apiKey = 'sandbox_key'): RunningSandbox {
  const control = new SandboxControl(url);
  const root = control.controlUrl.replace(/\/_control$/, '');
  return { baseUrl: `${root}/api/v1`, controlUrl: control.controlUrl, control, apiKey, close: async () => undefined };
}
