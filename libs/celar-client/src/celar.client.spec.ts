import http, { IncomingMessage, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { CelarApiError } from './celar-api.error';
import { CelarClient } from './celar.client';
import { CelarCallInfo, CelarCustomerInput } from './celar.types';

// A scriptable stand-in for Celar, for the edge cases the sandbox does not produce
// (other envelopes, non-JSON bodies, HTTP-date Retry-After, numeric balances).
type Handler = (req: IncomingMessage & { body: string }, res: ServerResponse) => void;

const API_KEY = 'sk_live_secret_key_123';
const customer = (id: string, extra: Record<string, unknown> = {}) => ({
  id,
  created_at: '2025-09-26T08:11:20.880Z',
  updated_at: '2025-09-26T08:11:20.880Z',
  country: 'KEN',
  email: `${id}@example.com`,
  type: 'individual',
  wallet_address: null,
  address: null,
  is_active: true,
  name: 'Alice',
  psp_id: 'psp_62ac45f3bc99',
  tax_id: 'P87126345B',
  document_type: 'passport',
  verification_document: null,
  incorporation_certificate: null,
  ...extra,
});
const input: CelarCustomerInput = {
  type: 'individual',
  name: 'Alice',
  email: 'alice@example.com',
  country: 'KEN',
  document_type: 'passport',
  tax_id: 'P87126345B',
};

describe('CelarClient', () => {
  let server: http.Server;
  let baseUrl: string;
  let handler: Handler;
  let connections = 0;
  const requests: { method: string; url: string; headers: http.IncomingHttpHeaders; body: string }[] = [];
  const calls: CelarCallInfo[] = [];
  let client: CelarClient;

  const reply = (status: number, body: unknown, headers: Record<string, string> = {}): Handler => (_req, res) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(typeof body === 'string' ? body : JSON.stringify(body));
  };

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        requests.push({ method: req.method!, url: req.url!, headers: req.headers, body });
        handler(Object.assign(req, { body }), res);
      });
    });
    server.on('connection', () => connections++);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1`;
    client = new CelarClient({ baseUrl, apiKey: API_KEY, timeoutMs: 300 }, { onCall: (c) => calls.push(c) });
  });

  afterAll(async () => {
    client.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  beforeEach(() => {
    requests.length = 0;
    calls.length = 0;
  });

  async function failure(promise: Promise<unknown>): Promise<CelarApiError> {
    try {
      await promise;
    } catch (error) {
      expect(error).toBeInstanceOf(CelarApiError);
      return error as CelarApiError;
    }
    throw new Error('expected the call to fail');
  }

  describe('requests', () => {
    it('sends one create as an object with the Bearer key and the Idempotency-Key, and reads the documented envelope', async () => {
      handler = reply(201, { message: '1 customer(s) created successfully', customers: [customer('cr_000000000001')] });
      const created = await client.createCustomers([input], { idempotencyKey: 'key-1' });
      expect(created.map((c) => c.id)).toEqual(['cr_000000000001']);
      expect(requests[0].method).toBe('POST');
      expect(requests[0].url).toBe('/api/v1/customers');
      expect(requests[0].headers.authorization).toBe(`Bearer ${API_KEY}`);
      expect(requests[0].headers['idempotency-key']).toBe('key-1');
      expect(JSON.parse(requests[0].body)).toEqual(input);
    });

    it('sends a bulk create as an array', async () => {
      handler = reply(201, { customers: [customer('cr_000000000001'), customer('cr_000000000002')] });
      const created = await client.createCustomers([input, { ...input, email: 'b@example.com' }], { idempotencyKey: 'key-2' });
      expect(created).toHaveLength(2);
      expect(JSON.parse(requests[0].body)).toHaveLength(2);
    });

    it('accepts a created customer as a bare object or a bare array', async () => {
      handler = reply(201, customer('cr_000000000003'));
      expect((await client.createCustomers([input], { idempotencyKey: 'k' }))[0].id).toBe('cr_000000000003');
      handler = reply(201, [customer('cr_000000000004')]);
      expect((await client.createCustomers([input], { idempotencyKey: 'k' }))[0].id).toBe('cr_000000000004');
    });

    it('keeps the unknown fields Celar returns', async () => {
      handler = reply(200, { customer: customer('cr_000000000005', { kyc_status: 'approved' }) });
      const updated = await client.updateCustomer('cr_000000000005', { name: 'Bob' }, { idempotencyKey: 'k' });
      expect(updated?.kyc_status).toBe('approved');
      expect(requests[0].method).toBe('PATCH');
      expect(JSON.parse(requests[0].body)).toEqual({ name: 'Bob' });
    });

    it('sends DELETE to deactivate and encodes ids in the path', async () => {
      handler = reply(200, { customer: customer('cr_0/../x', { is_active: false }) });
      await client.deactivateCustomer('cr_0/../x', { idempotencyKey: 'k' });
      expect(requests[0].method).toBe('DELETE');
      expect(requests[0].url).toBe('/api/v1/customers/cr_0%2F..%2Fx');
    });

    it.each([
      ['204 with no body', 204, ''],
      ['200 {}', 200, {}],
      ['200 with a message only', 200, { message: 'Customer updated successfully' }],
    ])('a PATCH or DELETE answered %s is a success without a customer', async (_what, status, body) => {
      handler = (_req, res) => {
        res.writeHead(status, status === 204 ? {} : { 'content-type': 'application/json' });
        res.end(typeof body === 'string' ? body : JSON.stringify(body));
      };
      expect(await client.updateCustomer('cr_000000000007', { name: 'Eve' }, { idempotencyKey: 'k' })).toBeNull();
      expect(await client.deactivateCustomer('cr_000000000007', { idempotencyKey: 'k' })).toBeNull();
    });

    it('runs beforeSend just before the request leaves, and sends nothing when it throws', async () => {
      handler = reply(200, { customer: customer('cr_000000000008') });
      const seen: number[] = [];
      await client.updateCustomer('cr_000000000008', { name: 'Ann' }, {
        idempotencyKey: 'k',
        beforeSend: async () => {
          seen.push(requests.length);
        },
      });
      expect(seen).toEqual([0]);
      expect(requests).toHaveLength(1);
      const refused = client.updateCustomer('cr_000000000008', { name: 'Ann' }, {
        idempotencyKey: 'k',
        beforeSend: () => Promise.reject(new Error('lease lost')),
      });
      await expect(refused).rejects.toThrow('lease lost');
      expect(requests).toHaveLength(1);
    });

    it('sends an email filter on a list when asked', async () => {
      handler = reply(200, { customers: [], total: 0 });
      await client.listCustomers({ limit: 50, offset: 10, email: 'a+b@example.com' });
      expect(requests[0].url).toBe('/api/v1/customers?limit=50&offset=10&email=a%2Bb%40example.com');
    });

    it('reuses the connection (keep-alive)', async () => {
      handler = reply(200, customer('cr_000000000006'));
      const before = connections;
      await client.getCustomer('cr_000000000006');
      await client.getCustomer('cr_000000000006');
      await client.getCustomer('cr_000000000006');
      expect(connections - before).toBeLessThanOrEqual(1);
    });

    it('reports each call with its templated route, status and duration', async () => {
      handler = reply(200, customer('cr_000000000007'));
      await client.getCustomer('cr_000000000007');
      handler = reply(404, { error: { code: 'not_found', message: 'no such customer' } });
      await failure(client.getBalance('cr_000000000007'));
      expect(calls.map((c) => [c.route, c.status])).toEqual([
        ['GET /customers/:id', 200],
        ['GET /customers/:id/balance', 404],
      ]);
      expect(calls.every((c) => c.durationMs >= 0)).toBe(true);
    });
  });

  describe('list envelopes', () => {
    it.each([
      ['customers with total', { customers: [customer('cr_000000000001')], total: 7, limit: 1, offset: 0 }, 7],
      ['results', { results: [customer('cr_000000000001')] }, null],
      ['data with pagination.total', { data: [customer('cr_000000000001')], pagination: { total: '3', count: 1 } }, 3],
      ['a bare array', [customer('cr_000000000001')], null],
    ])('reads %s', async (_name, body, total) => {
      handler = reply(200, body);
      const page = await client.listCustomers({ limit: 1, offset: 0 });
      expect(page.customers.map((c) => c.id)).toEqual(['cr_000000000001']);
      expect(page.total).toBe(total);
      expect(requests[0].url).toBe('/api/v1/customers?limit=1&offset=0');
    });

    it('treats pagination.count as the page size, not a total', async () => {
      handler = reply(200, { data: [customer('cr_000000000001')], pagination: { count: 1 } });
      expect((await client.listCustomers({ limit: 100, offset: 0 })).total).toBeNull();
    });

    it('refuses a list it cannot read', async () => {
      handler = reply(200, { items: 'nope' });
      const error = await failure(client.listCustomers({ limit: 10, offset: 0 }));
      expect(error.kind).toBe('TRANSIENT');
      expect(error.code).toBe('invalid_response');
    });
  });

  describe('balances', () => {
    it('keeps a string balance exactly', async () => {
      handler = reply(200, { customer_id: 'cr_000000000001', balance: '1250.50', currency: 'USDC' });
      expect(await client.getBalance('cr_000000000001')).toEqual({ customer_id: 'cr_000000000001', balance: '1250.50', currency: 'USDC' });
    });

    it('reads a balance sent as a JSON number from the raw text, never through a float', async () => {
      handler = reply(200, '{"customer_id":"cr_000000000001","balance":1250.50,"currency":"USDC","rank":3}');
      const balance = await client.getBalance('cr_000000000001');
      expect(balance.balance).toBe('1250.50');
      expect(balance.rank).toBe(3);
      handler = reply(200, '{"customer_id":"cr_000000000001","balance":12345678901234567890.123456789,"currency":"USDC"}');
      expect((await client.getBalance('cr_000000000001')).balance).toBe('12345678901234567890.123456789');
      handler = reply(200, '{"customer_id":"cr_000000000001","balance":1.2505e3,"currency":"USDC"}');
      expect((await client.getBalance('cr_000000000001')).balance).toBe('1250.5');
    });

    it('does not mistake digits inside strings for numbers', async () => {
      handler = reply(200, '{"customer_id":"cr_12 \\"34\\" 5","balance":"-0.000001","currency":"USDC"}');
      const balance = await client.getBalance('x');
      expect(balance).toMatchObject({ customer_id: 'cr_12 "34" 5', balance: '-0.000001' });
    });

    it('refuses a balance that is not a decimal', async () => {
      handler = reply(200, { customer_id: 'cr_000000000001', balance: 'lots', currency: 'USDC' });
      expect((await failure(client.getBalance('cr_000000000001'))).code).toBe('invalid_response');
    });
  });

  describe('errors', () => {
    it.each([
      [400, { error: { code: 'invalid_email', message: 'email is invalid' } }, 'REJECTED', 'invalid_email', 'email is invalid'],
      [422, { error: 'tax id does not match the country' }, 'REJECTED', undefined, 'tax id does not match the country'],
      [400, { message: 'name is required' }, 'REJECTED', undefined, 'name is required'],
      [401, 'Unauthorized', 'UNAUTHORIZED', undefined, 'Unauthorized'],
      [403, { error: { code: 'forbidden', message: 'account suspended' } }, 'UNAUTHORIZED', 'forbidden', 'account suspended'],
      [404, { error: { code: 'not_found', message: 'no such customer' } }, 'NOT_FOUND', 'not_found', 'no such customer'],
      [409, { error: { code: 'already_deactivated', message: 'customer is deactivated' } }, 'CONFLICT', 'already_deactivated', 'customer is deactivated'],
      [418, '', 'REJECTED', undefined, 'Celar answered 418'],
    ])('%i %j is %s', async (status, body, kind, celarCode, message) => {
      handler = reply(status, body);
      const error = await failure(client.updateCustomer('cr_000000000001', { name: 'x' }, { idempotencyKey: 'k' }));
      expect(error.kind).toBe(kind);
      expect(error.status).toBe(status);
      expect(error.celarCode).toBe(celarCode);
      expect(error.message).toBe(message);
      expect(error.outcomeUnknown).toBe(false);
    });

    it('a refused bulk names the items its details point at, as a hint', async () => {
      handler = reply(400, {
        error: { code: 'customer_rejected', message: 'refused', details: [{ index: 2, field: 'email' }, { index: 0 }, { index: 2 }, { field: 'x' }] },
      });
      const bulk = await failure(client.createCustomers([input, { ...input, email: 'b@example.com' }, { ...input, email: 'c@example.com' }], { idempotencyKey: 'k' }));
      expect(bulk).toMatchObject({ kind: 'REJECTED', message: 'refused', itemIndexes: [0, 2] });
      handler = reply(422, { message: 'invalid', errors: [{ message: 'no index here' }] });
      expect((await failure(client.createCustomers([input], { idempotencyKey: 'k' }))).itemIndexes).toBeUndefined();
    });

    it.each([408, 425])('%i is transient, and Celar did not act', async (status) => {
      handler = reply(status, { error: 'slow down' });
      const error = await failure(client.createCustomers([input], { idempotencyKey: 'k' }));
      expect(error.kind).toBe('TRANSIENT');
      expect(error.outcomeUnknown).toBe(false);
    });

    it.each([500, 502, 503, 504])('%i is transient, and Celar may have acted', async (status) => {
      handler = reply(status, '<html>Bad gateway</html>', { 'content-type': 'text/html' });
      const error = await failure(client.createCustomers([input], { idempotencyKey: 'k' }));
      expect(error.kind).toBe('TRANSIENT');
      expect(error.outcomeUnknown).toBe(true);
      expect(error.message).toBe('<html>Bad gateway</html>');
    });

    it('429 is rate limited with Retry-After in seconds', async () => {
      handler = reply(429, { error: { code: 'rate_limited', message: 'slow down' } }, { 'retry-after': '2' });
      const error = await failure(client.getCustomer('cr_000000000001'));
      expect(error.kind).toBe('RATE_LIMITED');
      expect(error.retryAfterMs).toBe(2000);
    });

    it('429 is rate limited with Retry-After as an HTTP date', async () => {
      const at = new Date(Date.now() + 5000).toUTCString();
      handler = reply(429, 'Too Many Requests', { 'retry-after': at, 'content-type': 'text/plain' });
      const error = await failure(client.getCustomer('cr_000000000001'));
      expect(error.kind).toBe('RATE_LIMITED');
      expect(error.retryAfterMs).toBeGreaterThan(2000);
      expect(error.retryAfterMs).toBeLessThanOrEqual(5000);
    });

    it('429 without Retry-After still waits a little', async () => {
      handler = reply(429, {});
      expect((await failure(client.getCustomer('cr_000000000001'))).retryAfterMs).toBeGreaterThan(0);
    });

    it('a success it cannot read is transient with an unknown outcome', async () => {
      handler = reply(201, 'created!', { 'content-type': 'text/plain' });
      const error = await failure(client.createCustomers([input], { idempotencyKey: 'k' }));
      expect(error).toMatchObject({ kind: 'TRANSIENT', code: 'invalid_response', outcomeUnknown: true });
    });

    it('a timeout is transient with an unknown outcome', async () => {
      handler = () => undefined; // never answers
      const error = await failure(client.createCustomers([input], { idempotencyKey: 'k' }));
      expect(error).toMatchObject({ kind: 'TRANSIENT', code: 'timeout', outcomeUnknown: true });
    });

    it('a connection cut after the request was sent is transient with an unknown outcome', async () => {
      handler = (_req, res) => res.socket?.destroy();
      const error = await failure(client.createCustomers([input], { idempotencyKey: 'k' }));
      expect(error).toMatchObject({ kind: 'TRANSIENT', code: 'network_error', outcomeUnknown: true });
      expect(calls.at(-1)?.status).toBe('network_error');
    });

    it('a refused connection is transient, and nothing was sent', async () => {
      const closed = http.createServer();
      await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
      const port = (closed.address() as AddressInfo).port;
      await new Promise((resolve) => closed.close(resolve));
      const other = new CelarClient({ baseUrl: `http://127.0.0.1:${port}/api/v1`, apiKey: API_KEY, timeoutMs: 300 });
      const error = await failure(other.createCustomers([input], { idempotencyKey: 'k' }));
      other.close();
      expect(error).toMatchObject({ kind: 'TRANSIENT', code: 'network_error', outcomeUnknown: false });
    });

    it('never carries the key or the request body in the error', async () => {
      handler = (_req, res) => res.socket?.destroy();
      const error = await failure(client.createCustomers([input], { idempotencyKey: 'k' }));
      const seen = JSON.stringify({ ...error, message: error.message, stack: error.stack });
      expect(seen).not.toContain(API_KEY);
      expect(seen).not.toContain('P87126345B');
    });
  });
});
