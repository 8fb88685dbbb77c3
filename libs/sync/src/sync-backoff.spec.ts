import { CelarApiError } from '@app/celar-client';
import { syncBackoffDelay } from './sync-backoff';

describe('syncBackoffDelay', () => {
  const settings = { backoffBaseMs: 100, backoffMaxMs: 5000 };

  it('grows exponentially with full jitter, capped', () => {
    expect(syncBackoffDelay(1, settings, undefined, () => 0.999)).toBe(100);
    expect(syncBackoffDelay(4, settings, undefined, () => 0.999)).toBe(799);
    expect(syncBackoffDelay(30, settings, undefined, () => 0.999)).toBe(4995);
    // Full jitter: anywhere from (almost) nothing up to the ceiling.
    expect(syncBackoffDelay(4, settings, undefined, () => 0)).toBe(1);
  });

  it('waits the longest when Celar refuses our key', () => {
    const error = new CelarApiError('UNAUTHORIZED', 'bad key', { status: 401 });
    expect(syncBackoffDelay(1, settings, error, () => 0)).toBe(5000);
  });

  it('honours a Retry-After sent with a 5xx as a floor', () => {
    const error = new CelarApiError('TRANSIENT', 'busy', { status: 503, retryAfterMs: 2000, outcomeUnknown: true });
    expect(syncBackoffDelay(1, settings, error, () => 0)).toBe(2000);
  });
});
