import { CelarApiError, CelarCustomer } from '@app/celar-client';
import { bulkIdempotencyKey, matchCreated } from './create-batch.service';
import { holdsPatch } from './customer-sync.service';
import { mustSettle, retryLater } from './sync-retry';

const created = (id: string, email?: string) => ({ id, ...(email === undefined ? {} : { email }) }) as unknown as CelarCustomer;

describe('matchCreated', () => {
  it('takes Celar answers in request order, checked by email in any case', () => {
    const answer = [created('cr_1', 'A@example.com'), created('cr_2', 'b@example.com')];
    expect(matchCreated(['a@example.com', 'B@Example.com'], answer).map((c) => c.id)).toEqual(['cr_1', 'cr_2']);
  });

  it('matches an answer in another order by email', () => {
    const answer = [created('cr_2', 'b@example.com'), created('cr_1', 'a@example.com')];
    expect(matchCreated(['a@example.com', 'b@example.com'], answer).map((c) => c.id)).toEqual(['cr_1', 'cr_2']);
  });

  it('trusts the order when Celar leaves the email out', () => {
    expect(matchCreated(['a@example.com', 'b@example.com'], [created('cr_1'), created('cr_2')]).map((c) => c.id)).toEqual(['cr_1', 'cr_2']);
  });

  it('calls an answer that names other customers unreadable, with an unknown outcome', () => {
    const attempt = () => matchCreated(['a@example.com', 'b@example.com'], [created('cr_1', 'a@example.com'), created('cr_9', 'z@example.com')]);
    expect(attempt).toThrow(CelarApiError);
    try {
      attempt();
    } catch (error) {
      expect(error).toMatchObject({ kind: 'TRANSIENT', outcomeUnknown: true });
    }
  });
});

describe('bulkIdempotencyKey', () => {
  const keys = ['5b0c7c52-0f5e-4a53-9a43-9f0d0e6b1a01', '8d1f6a0e-3c1b-4e7f-8c55-2f6c2b0a9e02'];

  it('is the operation key for a single create', () => {
    expect(bulkIdempotencyKey([keys[0]])).toBe(keys[0]);
  });

  it('is one UUID per list of keys in order: a repeat of the same request reuses it, any other request does not', () => {
    const key = bulkIdempotencyKey(keys);
    expect(key).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(bulkIdempotencyKey([...keys])).toBe(key);
    expect(bulkIdempotencyKey([keys[1], keys[0]])).not.toBe(key);
    expect(bulkIdempotencyKey([...keys, '0e6e3b1e-1111-4aaa-8bbb-333344445555'])).not.toBe(key);
  });
});

describe('holdsPatch (read-back after doubt)', () => {
  const current = { id: 'cr_1', name: 'Ann', email: 'Ann@Example.com', wallet_address: '0xAbC', address: null } as unknown as CelarCustomer;

  it('is true when Celar holds every patched value (emails and wallets without case, missing equals empty)', () => {
    expect(holdsPatch(current, { name: 'Ann', email: 'ann@example.com', wallet_address: '0xabc', address: '' })).toBe(true);
  });

  it('is false when any value differs', () => {
    expect(holdsPatch(current, { name: 'Ann', email: 'ann@example.com', document_type: 'passport' })).toBe(false);
    expect(holdsPatch(current, { name: 'ann' })).toBe(false);
  });
});

describe('retryLater', () => {
  const settings = { backoffBaseMs: 10, backoffMaxMs: 100, settleMs: 30_000 };

  it('waits out the settle time after an answer the client gave up on, or a 5xx', () => {
    const timeout = new CelarApiError('TRANSIENT', 'slow', { code: 'timeout', outcomeUnknown: true });
    const gateway = new CelarApiError('TRANSIENT', 'bad gateway', { status: 502, outcomeUnknown: true });
    expect(mustSettle(timeout) && mustSettle(gateway)).toBe(true);
    expect(retryLater(timeout, 1, settings).notBeforeMs).toBeGreaterThanOrEqual(30_000);
  });

  it('does not wait for an answer Celar gave (an unreadable 2xx, a 429, a refused connection)', () => {
    const unreadable = new CelarApiError('TRANSIENT', 'odd', { code: 'invalid_response', outcomeUnknown: true });
    const limited = new CelarApiError('RATE_LIMITED', 'slow down', { status: 429, retryAfterMs: 50 });
    const refused = new CelarApiError('TRANSIENT', 'down', { code: 'network_error', outcomeUnknown: false });
    for (const error of [unreadable, limited, refused]) {
      expect(mustSettle(error)).toBe(false);
      expect(retryLater(error, 3, settings).notBeforeMs).toBeLessThanOrEqual(100);
    }
  });
});
