import { CelarErrorKind } from './celar.types';

/**
 * The only error that leaves celar-client. Callers decide retry or give up from `kind`
 * (and `outcomeUnknown` for mutations); they never see a got error.
 */
export class CelarApiError extends Error {
  constructor(
    readonly kind: CelarErrorKind,
    message: string,
    readonly details: {
      status?: number;
      celarCode?: string;
      retryAfterMs?: number;
      /** The request may have reached Celar and taken effect (timeout after send, cut connection, 5xx, unreadable 2xx). */
      outcomeUnknown?: boolean;
      /** Our own code for failures that have no Celar status: network_error, timeout, invalid_response, ... */
      code?: string;
      /** A refused bulk: the positions of the items Celar named in its error details, if it named any. */
      itemIndexes?: number[];
    } = {},
  ) {
    super(message);
    this.name = 'CelarApiError';
  }

  get status(): number | undefined {
    return this.details.status;
  }

  get celarCode(): string | undefined {
    return this.details.celarCode;
  }

  get retryAfterMs(): number | undefined {
    return this.details.retryAfterMs;
  }

  get outcomeUnknown(): boolean {
    return this.details.outcomeUnknown === true;
  }

  get itemIndexes(): number[] | undefined {
    return this.details.itemIndexes;
  }

  /** A short code for logs, metrics and sync_error: Celar's own code when it gave one. */
  get code(): string {
    return this.details.celarCode ?? this.details.code ?? (this.details.status ? `http_${this.details.status}` : 'error');
  }
}

const MAX_MESSAGE = 500;
const DEFAULT_RETRY_AFTER_MS = 1000;
const MAX_RETRY_AFTER_MS = 10 * 60_000;

/** `Retry-After` as delay-seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | string[] | undefined, now = Date.now()): number | undefined {
  const text = (Array.isArray(value) ? value[0] : value)?.trim();
  if (!text) return undefined;
  if (/^\d+(\.\d+)?$/.test(text)) return Math.min(Math.round(Number(text) * 1000), MAX_RETRY_AFTER_MS);
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.min(Math.max(at - now, 0), MAX_RETRY_AFTER_MS);
}

/**
 * Reads Celar's error body, whatever its shape: {"error":{code,message}}, {"error":"text"}, {"message":"text"}, or plain text.
 * `itemIndexes`: the bulk items named by `details`/`errors` entries carrying an `index` (undocumented: a hint only).
 */
export function parseErrorBody(text: string): { code?: string; message?: string; itemIndexes?: number[] } {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    const plain = text.trim();
    return plain ? { message: truncate(plain) } : {};
  }
  if (typeof body === 'string') return { message: truncate(body) };
  if (!body || typeof body !== 'object') return {};
  const record = body as Record<string, unknown>;
  const error = record.error;
  if (error && typeof error === 'object' && !Array.isArray(error)) {
    const inner = error as Record<string, unknown>;
    return {
      code: asText(inner.code) ?? asText(record.code),
      message: asText(inner.message) ?? asText(inner.detail) ?? asText(record.message),
      ...indexesOf(inner.details ?? inner.errors ?? record.details ?? record.errors),
    };
  }
  return {
    code: asText(record.code),
    message: asText(error) ?? asText(record.message) ?? asText(record.detail) ?? firstErrorsEntry(record.errors),
    ...indexesOf(record.details ?? record.errors),
  };
}

/** The distinct item positions named by a list of error details, sorted; nothing when none is named. */
function indexesOf(details: unknown): { itemIndexes?: number[] } {
  if (!Array.isArray(details)) return {};
  const indexes = new Set<number>();
  for (const entry of details as unknown[]) {
    const index = entry && typeof entry === 'object' ? (entry as Record<string, unknown>).index : undefined;
    if (typeof index === 'number' && Number.isInteger(index) && index >= 0) indexes.add(index);
  }
  return indexes.size > 0 ? { itemIndexes: [...indexes].sort((a, b) => a - b) } : {};
}

/** Maps an HTTP answer that is not a success to the error callers see. */
export function errorFromResponse(
  status: number,
  bodyText: string,
  headers: Record<string, string | string[] | undefined>,
): CelarApiError {
  const { code, message, itemIndexes } = parseErrorBody(bodyText);
  const text = message ?? `Celar answered ${status}`;
  const base = { status, celarCode: code, ...(itemIndexes ? { itemIndexes } : {}) };
  if (status === 429) {
    return new CelarApiError('RATE_LIMITED', text, {
      ...base,
      retryAfterMs: parseRetryAfter(headers['retry-after']) ?? DEFAULT_RETRY_AFTER_MS,
    });
  }
  if (status === 408 || status === 425) return new CelarApiError('TRANSIENT', text, base);
  if (status >= 500) {
    return new CelarApiError('TRANSIENT', text, {
      ...base,
      outcomeUnknown: true,
      retryAfterMs: parseRetryAfter(headers['retry-after']),
    });
  }
  if (status === 401 || status === 403) return new CelarApiError('UNAUTHORIZED', text, base);
  if (status === 404) return new CelarApiError('NOT_FOUND', text, base);
  if (status === 409) return new CelarApiError('CONFLICT', text, base);
  if (status >= 400) return new CelarApiError('REJECTED', text, base);
  // 1xx/3xx reaching us (redirect loops and the like): nothing we can act on now.
  return new CelarApiError('TRANSIENT', text, { ...base, outcomeUnknown: true });
}

// Failures where we know the request never left: nothing can have happened upstream.
const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ERR_INVALID_URL']);

/** Maps got's network and timeout errors (or anything else thrown while calling) to a transient CelarApiError. */
export function errorFromNetwork(error: unknown): CelarApiError {
  if (error instanceof CelarApiError) return error;
  const e = (error ?? {}) as { name?: string; code?: string; timings?: { upload?: number } };
  const code = typeof e.code === 'string' ? e.code : undefined;
  const timedOut = e.name === 'TimeoutError' || code === 'ETIMEDOUT';
  // A body that was never fully uploaded cannot have been acted on.
  const sent = !(code && NOT_SENT_CODES.has(code)) && !(e.timings && e.timings.upload === undefined);
  return new CelarApiError('TRANSIENT', timedOut ? 'Celar did not answer in time' : `could not reach Celar (${code ?? 'network error'})`, {
    code: timedOut ? 'timeout' : 'network_error',
    outcomeUnknown: sent,
  });
}

/** A 2xx whose body we cannot read: Celar may well have acted. */
export function invalidResponse(what: string, status: number): CelarApiError {
  return new CelarApiError('TRANSIENT', `Celar's answer could not be read (${what})`, {
    status,
    code: 'invalid_response',
    outcomeUnknown: true,
  });
}

function asText(value: unknown): string | undefined {
  if (typeof value === 'string' && value.trim()) return truncate(value.trim());
  return undefined;
}

function firstErrorsEntry(errors: unknown): string | undefined {
  if (!Array.isArray(errors) || errors.length === 0) return undefined;
  const first = errors[0] as unknown;
  if (typeof first === 'string') return asText(first);
  if (first && typeof first === 'object') return asText((first as Record<string, unknown>).message);
  return undefined;
}

function truncate(text: string): string {
  return text.length > MAX_MESSAGE ? `${text.slice(0, MAX_MESSAGE)}…` : text;
}
