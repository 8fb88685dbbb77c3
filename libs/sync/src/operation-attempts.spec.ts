import { CelarApiError } from '@app/celar-client';
import { isPermanent, mayHaveActed } from './operation-attempts';

const error = (kind: ConstructorParameters<typeof CelarApiError>[0], status?: number, outcomeUnknown = false) =>
  new CelarApiError(kind, 'refused', { status, outcomeUnknown });

describe('what a failed attempt means', () => {
  it('takes 400/422/404 as refusals for good, first attempt or not', () => {
    for (const sentBefore of [false, true]) {
      expect(isPermanent(error('REJECTED', 400), sentBefore)).toBe(true);
      expect(isPermanent(error('REJECTED', 422), sentBefore)).toBe(true);
      expect(isPermanent(error('NOT_FOUND', 404), sentBefore)).toBe(true);
    }
  });

  it('takes a 409 on a first attempt as a refusal, but a 409 on a repeat as our own earlier attempt', () => {
    expect(isPermanent(error('CONFLICT', 409), false)).toBe(true);
    expect(isPermanent(error('CONFLICT', 409), true)).toBe(false);
    expect(mayHaveActed(error('CONFLICT', 409), true)).toBe(true);
    expect(mayHaveActed(error('CONFLICT', 409), false)).toBe(false);
  });

  it('never takes transient trouble, 429 or our own key problem as a refusal', () => {
    for (const kind of ['TRANSIENT', 'RATE_LIMITED', 'UNAUTHORIZED'] as const) {
      expect(isPermanent(error(kind), false)).toBe(false);
      expect(isPermanent(error(kind), true)).toBe(false);
    }
    expect(mayHaveActed(error('TRANSIENT', 503, true), false)).toBe(true);
    expect(mayHaveActed(error('TRANSIENT', 503, false), false)).toBe(false);
  });
});
