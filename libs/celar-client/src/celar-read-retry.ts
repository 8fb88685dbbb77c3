import { setTimeout as sleep } from 'node:timers/promises';
import { CelarApiError } from './celar-api.error';

export interface ReadRetryOptions {
  /** Tries of a call Celar answered with a transient error before giving up; default 3. */
  transientAttempts?: number;
  /** 429s waited out for one call before giving up; default 20. */
  rateLimitedWaits?: number;
  /** First backoff after a transient error; doubles each time. */
  backoffMs?: number;
}

/**
 * A read from Celar (safe to repeat), retried: transient errors a few times with backoff, 429
 * waited out (the client has already paused the shared budget for Retry-After). Anything else,
 * or running out of tries, throws the last CelarApiError. Writes are never retried here: the
 * sync engine decides when a write may go again.
 */
export async function withCelarRetry<T>(read: () => Promise<T>, options: ReadRetryOptions = {}): Promise<T> {
  const attempts = options.transientAttempts ?? 3;
  let waits = options.rateLimitedWaits ?? 20;
  let backoff = options.backoffMs ?? 200;
  for (let attempt = 1; ; ) {
    try {
      return await read();
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
