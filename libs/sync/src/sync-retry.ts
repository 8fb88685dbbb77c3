import { CelarApiError } from '@app/celar-client';
import { AppConfig } from '@app/config';
import { syncBackoffDelay } from './sync-backoff';

/**
 * A drain that left its operation pending: the job comes back no sooner than `notBeforeMs`
 * (the settle time of a request that may still act, and the backoff of the operation's own
 * attempt count, which lives in Postgres and so survives lost jobs and restarts).
 */
export class RetryLaterError extends Error {
  constructor(
    override readonly cause: CelarApiError,
    readonly notBeforeMs: number,
  ) {
    super(cause.message);
    this.name = 'RetryLaterError';
  }
}

export interface RetrySettings {
  backoffBaseMs: number;
  backoffMaxMs: number;
  /** CELAR_SETTLE_MS */
  settleMs: number;
}

/** When Celar may still act on a request the client gave up on: wait out the settle time first. */
export function mustSettle(error: CelarApiError): boolean {
  // An unreadable 2xx was answered: whatever Celar did is done.
  return error.outcomeUnknown && error.code !== 'invalid_response';
}

export function retryLater(error: CelarApiError, attempts: number, settings: RetrySettings): RetryLaterError {
  const backoff = syncBackoffDelay(Math.max(attempts, 1), settings, error);
  return new RetryLaterError(error, Math.max(backoff, mustSettle(error) ? settings.settleMs : 0));
}

export function retrySettings(config: AppConfig): RetrySettings {
  return { ...config.sync, settleMs: config.celar.settleMs };
}

/** The settle fence set as a request leaves: its timeout, then the time Celar may still act on it. */
export function fenceMs(config: AppConfig): number {
  return config.celar.timeoutMs + config.celar.settleMs + 1000;
}
