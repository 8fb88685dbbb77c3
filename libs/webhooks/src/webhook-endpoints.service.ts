import { Injectable } from '@nestjs/common';
import { AppError } from '@app/common';
import { parseEndpointInput } from './webhook-endpoint.input';
import { WebhookEventType } from './webhook-event-types';
import { newEndpointSecret } from './webhook-signer';
import { DeliveryLogRow, EndpointRow, WebhooksRepository } from './webhooks.repository';

/** An endpoint as the admin API shows it; `secret` only in the answer to its creation. */
export interface EndpointView {
  id: string;
  url: string;
  types: WebhookEventType[] | null;
  description: string | null;
  enabled: boolean;
  secret?: string;
  created_at: string;
}

export interface DeliveryView {
  event_id: string;
  type: WebhookEventType;
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  last_status_code: number | null;
  last_attempt_at: string | null;
  next_attempt_at: string | null;
}

export interface DeliveryListView {
  deliveries: DeliveryView[];
  total: number;
  limit: number;
  offset: number;
}

/** The admin side of webhooks: endpoints, their delivery log, recover. */
@Injectable()
export class WebhookEndpointsService {
  constructor(private readonly repository: WebhooksRepository) {}

  async create(body: unknown): Promise<EndpointView> {
    const input = parseEndpointInput(body, 'create');
    const secret = newEndpointSecret();
    const row = await this.repository.createEndpoint({ ...input, url: input.url! }, secret);
    return { ...toEndpointView(row), secret };
  }

  async list(): Promise<{ endpoints: EndpointView[] }> {
    return { endpoints: (await this.repository.listEndpoints()).map(toEndpointView) };
  }

  async get(id: string): Promise<EndpointView> {
    return toEndpointView(await this.found(id));
  }

  async update(id: string, body: unknown): Promise<EndpointView> {
    await this.found(id);
    const input = parseEndpointInput(body, 'update');
    const row = await this.repository.updateEndpoint(id, input);
    if (!row) throw notFound(id);
    return toEndpointView(row);
  }

  async delete(id: string): Promise<void> {
    if (!(await this.repository.deleteEndpoint(id))) throw notFound(id);
  }

  async deliveries(id: string, limit: number, offset: number): Promise<DeliveryListView> {
    await this.found(id);
    const { rows, total } = await this.repository.deliveriesPage(id, limit, offset);
    return { deliveries: rows.map(toDeliveryView), total, limit, offset };
  }

  async recover(id: string, body: unknown): Promise<{ queued: number }> {
    await this.found(id);
    const since = parseSince(body);
    const queued = await this.repository.recover(id, since);
    if (queued < 0) throw notFound(id);
    return { queued };
  }

  private async found(id: string): Promise<EndpointRow> {
    const row = await this.repository.getEndpoint(id);
    if (!row) throw notFound(id);
    return row;
  }
}

function notFound(id: string): AppError {
  return new AppError('not_found', `No webhook endpoint ${id.slice(0, 64)}`);
}

function parseSince(body: unknown): Date {
  const record = typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as Record<string, unknown>) : null;
  const details = record ? Object.keys(record).filter((k) => k !== 'since').map((field) => ({ field, message: 'is not a known field' })) : [];
  const since = record?.since;
  // An ISO 8601 date-time with a zone, so the instant is never the server's guess.
  const iso = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})$/;
  const valid = typeof since === 'string' && iso.test(since) && !Number.isNaN(Date.parse(since));
  if (!valid) details.unshift({ field: 'since', message: 'is required: an ISO 8601 time with a zone, e.g. 2025-09-26T09:00:00Z' });
  if (details.length > 0) throw new AppError('validation_failed', 'Invalid recover request', details);
  return new Date(since as string);
}

export function toEndpointView(row: EndpointRow): EndpointView {
  return {
    id: row.id,
    url: row.url,
    types: row.types,
    description: row.description,
    enabled: row.enabled,
    created_at: row.createdAt.toISOString(),
  };
}

function toDeliveryView(row: DeliveryLogRow): DeliveryView {
  return {
    event_id: row.eventId,
    type: row.type,
    status: row.status,
    attempts: row.attempts,
    last_status_code: row.lastStatusCode,
    last_attempt_at: row.lastAttemptAt?.toISOString() ?? null,
    next_attempt_at: row.nextAttemptAt?.toISOString() ?? null,
  };
}
