import http from 'node:http';
import https from 'node:https';
import got, { Got } from 'got';
import { CelarApiError, errorFromNetwork, errorFromResponse, invalidResponse } from './celar-api.error';
import { BudgetPurpose, CelarRequestBudget } from './celar-request.budget';
import {
  parseJson,
  readBalance,
  readCreatedCustomers,
  readCustomer,
  readCustomerPage,
} from './celar-response.parser';
import {
  CelarBalance,
  CelarCallInfo,
  CelarCustomer,
  CelarCustomerInput,
  CelarCustomerPage,
  CelarCustomerPatch,
  CelarListQuery,
} from './celar.types';

export interface CelarClientSettings {
  /** Ends in /api/v1. */
  baseUrl: string;
  apiKey: string;
  /** Whole-request timeout; kept well under the job lock by config validation. */
  timeoutMs: number;
}

export interface CelarClientOptions {
  /** Shared requests-per-second budget; every request takes a slot first. */
  budget?: CelarRequestBudget;
  onCall?: (call: CelarCallInfo) => void;
  /** Who the requests are for, as the budget counts them; `sync` unless set (see `withPurpose`). */
  purpose?: BudgetPurpose;
}

/** Options of one mutation. */
export interface CelarWriteOptions {
  idempotencyKey: string;
  /**
   * Runs once the request has its budget slot, just before it leaves; if it throws, nothing is
   * sent. The sync engine records the attempt (and its settle fence) here, so the record says
   * when the request really left, however long the budget made it wait.
   */
  beforeSend?: () => Promise<void>;
}

interface CallSpec {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  /** Templated, for metrics: `GET /customers/:id`. */
  route: string;
  path: string;
  json?: unknown;
  searchParams?: Record<string, string | number>;
  idempotencyKey?: string;
  beforeSend?: () => Promise<void>;
}

/**
 * Celar's customers API. Every failure comes out as a CelarApiError. Bodies, keys and
 * tax ids are never logged: this class logs nothing at all.
 */
export class CelarClient {
  private readonly http: Got;
  private readonly agents = {
    http: new http.Agent({ keepAlive: true, maxSockets: 64 }),
    https: new https.Agent({ keepAlive: true, maxSockets: 64 }),
  };
  private readonly listeners: ((call: CelarCallInfo) => void)[] = [];

  constructor(
    settings: CelarClientSettings,
    private readonly options: CelarClientOptions = {},
  ) {
    if (options.onCall) this.listeners.push(options.onCall);
    this.http = got.extend({
      prefixUrl: settings.baseUrl.replace(/\/+$/, ''),
      timeout: { request: settings.timeoutMs },
      retry: { limit: 0 },
      throwHttpErrors: false,
      followRedirect: false,
      agent: this.agents,
      responseType: 'text',
      headers: {
        authorization: `Bearer ${settings.apiKey}`,
        accept: 'application/json',
        'user-agent': 'customer-sync',
      },
    });
  }

  /** Registers a listener for every finished call (metrics). */
  onCall(listener: (call: CelarCallInfo) => void): void {
    this.listeners.push(listener);
  }

  /** POST /customers: one object for a single customer, an array for a bulk; the created customers in input order. */
  async createCustomers(inputs: CelarCustomerInput[], options: CelarWriteOptions): Promise<CelarCustomer[]> {
    if (inputs.length === 0) return [];
    const { status, text } = await this.call({
      method: 'POST',
      route: 'POST /customers',
      path: 'customers',
      json: inputs.length === 1 ? inputs[0] : inputs,
      ...options,
    });
    const customers = readCreatedCustomers(parseJson(text));
    if (!customers || customers.length !== inputs.length) throw invalidResponse('created customers', status);
    return customers;
  }

  async getCustomer(id: string): Promise<CelarCustomer> {
    const { status, text } = await this.call({ method: 'GET', route: 'GET /customers/:id', path: `customers/${encodeURIComponent(id)}` });
    const customer = readCustomer(parseJson(text));
    if (!customer) throw invalidResponse('customer', status);
    return customer;
  }

  /**
   * One page, in whatever order Celar lists. It may hold fewer than `limit` items without being
   * the last, and `total` is null when Celar does not say: only an empty page (or offset >= total)
   * ends a scan. `email` is sent as a filter Celar may ignore: callers check every item.
   */
  async listCustomers(query: CelarListQuery): Promise<CelarCustomerPage> {
    const { status, text } = await this.call({
      method: 'GET',
      route: 'GET /customers',
      path: 'customers',
      searchParams: { limit: query.limit, offset: query.offset, ...(query.email ? { email: query.email } : {}) },
    });
    const page = readCustomerPage(parseJson(text), query);
    if (!page) throw invalidResponse('customer list', status);
    return page;
  }

  /** The updated customer, or null for a success that does not carry it (204, `{}`, `{"message"}`). */
  async updateCustomer(id: string, patch: CelarCustomerPatch, options: CelarWriteOptions): Promise<CelarCustomer | null> {
    const { text } = await this.call({
      method: 'PATCH',
      route: 'PATCH /customers/:id',
      path: `customers/${encodeURIComponent(id)}`,
      json: patch,
      ...options,
    });
    return readCustomer(parseJson(text)) ?? null;
  }

  /** The deactivated customer, or null for a success that does not carry it (204, `{}`, `{"message"}`). */
  async deactivateCustomer(id: string, options: CelarWriteOptions): Promise<CelarCustomer | null> {
    const { text } = await this.call({
      method: 'DELETE',
      route: 'DELETE /customers/:id',
      path: `customers/${encodeURIComponent(id)}`,
      ...options,
    });
    return readCustomer(parseJson(text)) ?? null;
  }

  /** The balance as Celar's exact decimal text, even when Celar sent a JSON number. */
  async getBalance(id: string): Promise<CelarBalance> {
    const { status, text } = await this.call({
      method: 'GET',
      route: 'GET /customers/:id/balance',
      path: `customers/${encodeURIComponent(id)}/balance`,
    });
    const balance = readBalance(text);
    if (!balance) throw invalidResponse('balance', status);
    return balance;
  }

  /** This client (its sockets, listeners and budget) drawing its budget slots as `purpose`. */
  withPurpose(purpose: BudgetPurpose): CelarClient {
    return Object.create(this, { options: { value: { ...this.options, purpose } } }) as CelarClient;
  }

  /** Frees the keep-alive sockets. */
  close(): void {
    this.agents.http.destroy();
    this.agents.https.destroy();
  }

  private async call(spec: CallSpec): Promise<{ status: number; text: string }> {
    await this.options.budget?.take(this.options.purpose);
    // Not sent when the caller cannot record it first.
    await spec.beforeSend?.();
    const started = performance.now();
    let status: number | 'network_error' = 'network_error';
    try {
      const response = await this.http(spec.path, {
        method: spec.method,
        json: spec.json,
        searchParams: spec.searchParams,
        headers: spec.idempotencyKey ? { 'idempotency-key': spec.idempotencyKey } : undefined,
      });
      status = response.statusCode;
      const text = typeof response.body === 'string' ? response.body : '';
      if (status >= 200 && status < 300) return { status, text };
      const error = errorFromResponse(status, text, response.headers);
      if (error.kind === 'RATE_LIMITED' && error.retryAfterMs) await this.options.budget?.pause(error.retryAfterMs);
      throw error;
    } catch (error) {
      if (error instanceof CelarApiError) throw error;
      throw errorFromNetwork(error);
    } finally {
      const call = { route: spec.route, status, durationMs: performance.now() - started };
      for (const listener of this.listeners) {
        try {
          listener(call);
        } catch {
          // A metrics hook must never break a call.
        }
      }
    }
  }
}
