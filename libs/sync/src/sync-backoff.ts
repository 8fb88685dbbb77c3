import { CelarApiError } from '@app/celar-client';

export interface BackoffSettings {
  backoffBaseMs: number;
  backoffMaxMs: number;
}

/**
 * Exponential backoff with full jitter: a random delay up to base * 2^(attempt-1), capped.
 * A key or account problem (401/403) waits the longest: retrying fast would not help.
 * A Retry-After on a 5xx is honoured as a floor.
 */
export function syncBackoffDelay(attemptsMade: number, settings: BackoffSettings, error?: Error, random = Math.random): number {
  if (error instanceof CelarApiError && error.kind === 'UNAUTHORIZED') return settings.backoffMaxMs;
  const exponent = Math.min(Math.max(attemptsMade - 1, 0), 30);
  const ceiling = Math.min(settings.backoffMaxMs, settings.backoffBaseMs * 2 ** exponent);
  const delay = Math.round(random() * ceiling);
  const floor = error instanceof CelarApiError ? (error.retryAfterMs ?? 0) : 0;
  return Math.max(delay, Math.min(floor, settings.backoffMaxMs), 1);
}
