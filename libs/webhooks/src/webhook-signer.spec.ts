import { createHmac } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { newEndpointSecret, signedHeaders } from './webhook-signer';

describe('signedHeaders', () => {
  it('signs "<id>.<timestamp>.<body>" with the base64-decoded key, as the contract spells out', () => {
    const secret = newEndpointSecret();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
    const body = JSON.stringify({ id: 'evt_1', type: 'customer.synced', created_at: '2025-01-01T00:00:00.000Z', data: {} });
    const headers = signedHeaders(secret, 'evt_1', body, new Date('2025-01-01T00:00:05.900Z'));
    expect(headers['webhook-timestamp']).toBe('1735689605');
    const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
    const expected = createHmac('sha256', key).update(`evt_1.1735689605.${body}`).digest('base64');
    expect(headers['webhook-signature']).toBe(`v1,${expected}`);
  });

  it('verifies with the standardwebhooks library a receiver would use, and fails with another secret', () => {
    const secret = newEndpointSecret();
    const body = '{"id":"evt_2"}';
    const headers = signedHeaders(secret, 'evt_2', body);
    expect(new Webhook(secret).verify(body, headers)).toEqual({ id: 'evt_2' });
    expect(() => new Webhook(newEndpointSecret()).verify(body, headers)).toThrow();
  });
});
