import { CelarApiError } from '@app/celar-client';
import { sleep } from './concurrency';
import { RATE_LIMITED_WAITS, TRANSIENT_ATTEMPTS } from './reconciliation.constants';

export interface RetryOptions {
  transientAttempts?: number;
  rateLimitedWaits?: number;
  /** First backoff after a transient error; doubles each time. */
  backoffMs?: number;
}

/**
 * A read from Celar, retried: transient errors a few times with backoff, 429 waited out
 * (the client has already paused the shared budget for Retry-After). Anything else, or
 * running out of tries, throws the last CelarApiError for the caller to record.
 */
export async function withCelarRetry<T>(call: () => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const attempts = options.transientAttempts ?? TRANSIENT_ATTEMPTS;
  let waits = options.rateLimitedWaits ?? RATE_LIMITED_WAITS;
  let backoff = options.backoffMs ?? 200;
  for (let attempt = 1; ; ) {
    try {
      return await call();
    } catch (error) {
      const e = asCelarError(error);
      if (e.kind === 'RATE_LIMITED' && waits-- > 0) {
        await sleep(e.retryAfterMs ?? 1000);
        continue;
      }
      if (e.kind !== 'TRANSIENT' || attempt >= attempts) throw e;
      attempt++;
      await sleep(Math.max(backoff, e.retryAfterMs ?? 0) * (0.75 + Math.random() / 2));
      backoff *= 2;
    }
  }
}

export function asCelarError(error: unknown): CelarApiError {
  if (error instanceof CelarApiError) return error;
  return new CelarApiError('TRANSIENT', error instanceof Error ? error.message : String(error), { code: 'error' });
}

/** A short, safe reason for a finding or a run's error: never a body, a key or a tax id. */
export function describeCelarError(error: CelarApiError): string {
  const status = error.status ? `HTTP ${error.status}` : error.code;
  return `${status}: ${error.message}`.slice(0, 300);
}
