import type { CaseList, CaseWithEvents } from '@app/cases';
// The CLI talks to the running API over HTTP, with an admin key; it never touches the database.
import type { FindingView, RunKind, RunView } from '@app/reconciliation';
import type { DeliveryListView, EndpointView } from '@app/webhooks';

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

export type RunWithFindings = RunView & { findings: FindingView[]; findings_total: number };

export interface StartResult {
  run: RunView;
  /** The run was already active (409): this is that run, not a new one. */
  alreadyActive: boolean;
}

export class AdminApiClient {
  constructor(
    readonly baseUrl: string,
    private readonly apiKey: string,
    private readonly timeoutMs = 15_000,
  ) {}

  async startRun(kind: RunKind): Promise<StartResult> {
    const res = await this.request('POST', '/api/v1/admin/reconciliations', { kind });
    if (res.status === 409) {
      const body = (await res.json().catch(() => ({}))) as { error?: { message?: string; details?: { run_id?: string }[] } };
      const activeId = body.error?.details?.[0]?.run_id;
      if (!activeId) throw new CliError(`the API refused to start a run: ${body.error?.message ?? 'conflict'}`);
      return { run: await this.getRun(activeId), alreadyActive: true };
    }
    return { run: (await this.json(res)) as RunView, alreadyActive: false };
  }

  async getRun(id: string, limit = 20, offset = 0): Promise<RunWithFindings> {
    const res = await this.request('GET', `/api/v1/admin/reconciliations/${encodeURIComponent(id)}?limit=${limit}&offset=${offset}`);
    return (await this.json(res)) as RunWithFindings;
  }

  /** The findings CSV as a stream of bytes. */
  async exportCsv(id: string): Promise<ReadableStream<Uint8Array>> {
    const res = await this.request('GET', `/api/v1/admin/reconciliations/${encodeURIComponent(id)}?format=csv`, undefined, 'text/csv');
    if (!res.ok) await this.json(res);
    if (!res.body) throw new CliError('the API sent an empty answer');
    return res.body;
  }

  async resync(customerId: string): Promise<{ message: string; customer: { id: string; sync_status: string; celar_id: string | null } }> {
    const res = await this.request('POST', `/api/v1/customers/${encodeURIComponent(customerId)}/sync`);
    return (await this.json(res)) as { message: string; customer: { id: string; sync_status: string; celar_id: string | null } };
  }

  async webhookEndpoints(): Promise<EndpointView[]> {
    const res = await this.request('GET', '/api/v1/admin/webhook-endpoints');
    return ((await this.json(res)) as { endpoints: EndpointView[] }).endpoints;
  }

  async webhookDeliveries(endpointId: string, limit: number, offset: number): Promise<DeliveryListView> {
    const res = await this.request('GET', `/api/v1/admin/webhook-endpoints/${encodeURIComponent(endpointId)}/deliveries?limit=${limit}&offset=${offset}`);
    return (await this.json(res)) as DeliveryListView;
  }

  /** GET /admin/cases with the query as given (status, kind, customer_id, min_age_hours, limit, offset). */
  async listCases(query: Record<string, string>): Promise<CaseList> {
    const res = await this.request('GET', `/api/v1/admin/cases?${new URLSearchParams(query).toString()}`);
    return (await this.json(res)) as CaseList;
  }

  async getCase(id: string): Promise<CaseWithEvents> {
    const res = await this.request('GET', `/api/v1/admin/cases/${encodeURIComponent(id)}`);
    return (await this.json(res)) as CaseWithEvents;
  }

  private async request(method: string, path: string, body?: unknown, accept = 'application/json'): Promise<Response> {
    try {
      return await fetch(`${this.baseUrl}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${this.apiKey}`,
          accept,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      const inner = (error as { cause?: { code?: string; message?: string } }).cause;
      const cause = inner?.code ?? inner?.message ?? (error as Error).message;
      throw new CliError(`cannot reach the API at ${this.baseUrl} (${cause}); is it running? (set API_URL)`);
    }
  }

  /** The body of a success, or a one-line CliError from the contract's error shape. */
  private async json(res: Response): Promise<unknown> {
    const text = await res.text();
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = undefined;
    }
    if (res.ok) {
      if (body === undefined) throw new CliError(`the API answered ${res.status} with a body that is not JSON`);
      return body;
    }
    const error = (body as { error?: { code?: string; message?: string } } | undefined)?.error;
    const hint = res.status === 401 || res.status === 403 ? ' (check ADMIN_API_KEYS)' : '';
    throw new CliError(`the API answered ${res.status} ${error?.code ?? ''}: ${error?.message ?? (text.slice(0, 200) || 'no details')}${hint}`.replace(/ +:/, ':'));
  }
}
