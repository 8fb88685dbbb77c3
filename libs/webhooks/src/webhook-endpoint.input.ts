import { AppError, ErrorDetail, isStorableText } from '@app/common';
import { WEBHOOK_EVENT_TYPES, WebhookEventType } from './webhook-event-types';

export interface EndpointInput {
  url?: string;
  /** null: every type. */
  types?: WebhookEventType[] | null;
  description?: string | null;
  enabled?: boolean;
}

const MAX_URL = 2048;
const MAX_DESCRIPTION = 500;


/**
 * Validates a create (`url` required, `types`, `description`) or a PATCH (any of `url`,
 * `types`, `description`, `enabled`, at least one). Every problem is listed; unknown fields,
 * a non-http(s) URL and unknown types are refused.
 */
export function parseEndpointInput(body: unknown, mode: 'create' | 'update'): EndpointInput {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new AppError('validation_failed', 'Send a JSON object', [{ field: 'url', message: mode === 'create' ? 'is required' : 'send at least one field' }]);
  }
  const record = body as Record<string, unknown>;
  const allowed = mode === 'create' ? ['url', 'types', 'description'] : ['url', 'types', 'description', 'enabled'];
  const details: ErrorDetail[] = Object.keys(record)
    .filter((k) => !allowed.includes(k))
    .map((field) => ({ field, message: 'is not a known field' }));
  const input: EndpointInput = {};

  if ('url' in record || mode === 'create') {
    const url = record.url;
    const problem = urlProblem(url);
    if (problem) details.push({ field: 'url', message: problem });
    else input.url = url as string;
  }
  if ('types' in record && record.types !== undefined) {
    const types = record.types;
    if (types === null) input.types = null;
    else if (!Array.isArray(types) || types.length === 0) {
      details.push({ field: 'types', message: 'must be a non-empty array of event types, or null for every type' });
    } else {
      const unknown = types.filter((t) => !WEBHOOK_EVENT_TYPES.includes(t as WebhookEventType));
      if (unknown.length > 0) {
        details.push({ field: 'types', message: `unknown event type(s) ${unknown.map((t) => JSON.stringify(t)).join(', ')}; known: ${WEBHOOK_EVENT_TYPES.join(', ')}` });
      } else {
        // Kept in the catalogue's order, once each.
        input.types = WEBHOOK_EVENT_TYPES.filter((t) => types.includes(t));
      }
    }
  }
  if ('description' in record && record.description !== undefined) {
    const description = record.description;
    if (description === null) input.description = null;
    else if (typeof description !== 'string' || description.length > MAX_DESCRIPTION || !isStorableText(description)) {
      details.push({ field: 'description', message: `must be text of at most ${MAX_DESCRIPTION} characters, or null` });
    } else input.description = description;
  }
  if ('enabled' in record && mode === 'update') {
    if (typeof record.enabled !== 'boolean') details.push({ field: 'enabled', message: 'must be true or false' });
    else input.enabled = record.enabled;
  }
  if (mode === 'update' && details.length === 0 && Object.keys(input).length === 0) {
    details.push({ field: 'url', message: 'send at least one of url, types, description, enabled' });
  }
  if (details.length > 0) throw new AppError('validation_failed', 'Invalid webhook endpoint', details);
  return input;
}

function urlProblem(value: unknown): string | null {
  if (value === undefined || value === null || value === '') return 'is required: an http or https URL';
  if (typeof value !== 'string') return 'must be an http or https URL';
  if (value.length > MAX_URL || !isStorableText(value)) return `must be an http or https URL of at most ${MAX_URL} characters`;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'must be an absolute http or https URL';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return `must be an http or https URL, not ${url.protocol.replace(/:$/, '')}`;
  return null;
}
