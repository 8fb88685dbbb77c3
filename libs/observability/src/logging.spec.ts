import { Writable } from 'node:stream';
import fastify from 'fastify';
import request from 'supertest';
import { instrumentFastify } from './http-instrumentation';
import { createRootLogger, requestIdFor } from './logging';
import { MetricsService } from './metrics.service';
import { REDACTED, redactUrl } from './redact';

/** A pino destination that keeps every line. */
function capture(): { stream: Writable; lines: () => Record<string, unknown>[]; raw: () => string } {
  let text = '';
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      text += chunk.toString();
      done();
    },
  });
  return {
    stream,
    raw: () => text,
    lines: () =>
      text
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}

describe('logging', () => {
  it('redacts API keys, authorization headers and tax ids wherever they sit', () => {
    const out = capture();
    const logger = createRootLogger({ logLevel: 'info' }, 'test', out.stream);
    logger.info(
      {
        tax_id: 'TAX-TOP-1',
        customer: { name: 'Alice', tax_id: 'TAX-NESTED-2', taxId: 'TAX-CAMEL-3' },
        body: { customers: [{ email: 'a@example.com', tax_id: 'TAX-ARRAY-4' }] },
        config: { celar: { apiKey: 'celar-secret-5' }, appApiKeys: ['app-secret-6'], CELAR_API_KEY: 'celar-secret-7' },
        upstream: { options: { headers: { authorization: 'Bearer celar-secret-8' } } },
        req: { headers: { authorization: 'Bearer app-secret-9', 'x-api-key': 'app-secret-10', accept: 'application/json' } },
      },
      'something happened',
    );
    const raw = out.raw();
    for (const secret of ['TAX-', 'secret']) expect(raw).not.toContain(secret);
    const [line] = out.lines();
    expect(line.msg).toBe('something happened');
    expect(line.level).toBe('info');
    expect(line.service).toBe('test');
    expect(line.tax_id).toBe(REDACTED);
    expect((line.customer as Record<string, unknown>).name).toBe('Alice');
    expect((line.customer as Record<string, unknown>).tax_id).toBe(REDACTED);
    expect((line.req as { headers: Record<string, unknown> }).headers).toEqual({
      authorization: REDACTED,
      'x-api-key': REDACTED,
      accept: 'application/json',
    });
  });

  it('writes one access line per request, with its request id and the Authorization header redacted', async () => {
    const out = capture();
    const app = fastify({ genReqId: requestIdFor });
    instrumentFastify(app, new MetricsService(), createRootLogger({ logLevel: 'info' }, 'test', out.stream));
    app.get('/api/v1/customers', async () => ({}));
    app.get('/health/ready', async () => ({}));
    app.get('/metrics', async () => '');
    await app.ready();
    const server = app.server;

    const ok = await request(server)
      .get('/api/v1/customers?limit=5&email=alice%40example.com')
      .set('Authorization', 'Bearer app-secret-key-123')
      .set('X-Request-Id', 'req-abc-1');
    expect(ok.headers['x-request-id']).toBe('req-abc-1');
    const missing = await request(server).get('/missing').set('X-Request-Id', 'not a valid id!');
    expect(missing.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    await request(server).get('/health/ready');
    await request(server).get('/metrics');

    await app.close();
    expect(out.raw()).not.toContain('app-secret-key-123');
    expect(out.raw()).not.toContain('alice');
    const lines = out.lines();
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({
      level: 'info',
      request_id: 'req-abc-1',
      msg: 'GET /api/v1/customers 200',
      req: { method: 'GET', url: '/api/v1/customers?limit=5&email=[redacted]', headers: { authorization: REDACTED } },
      res: { statusCode: 200 },
      duration_ms: expect.any(Number),
    });
    expect(lines[1]).toMatchObject({ level: 'warn', request_id: missing.headers['x-request-id'], res: { statusCode: 404 } });
  });

  it('redacts emails, keys and tax ids in a logged URL, and leaves the rest alone', () => {
    expect(redactUrl('/api/v1/customers?country=KEN&email=bob%40x.io&limit=5')).toBe('/api/v1/customers?country=KEN&email=[redacted]&limit=5');
    expect(redactUrl('/api/v1/customers?q=bob@x.io&api_key=k1&tax_id=T1')).toBe('/api/v1/customers?q=[redacted]&api_key=[redacted]&tax_id=[redacted]');
    expect(redactUrl('/api/v1/customers/bob%40x.io/balance')).toBe('/api/v1/customers/[redacted]/balance');
    expect(redactUrl('/api/v1/customers/0b6c/balance?refresh=true')).toBe('/api/v1/customers/0b6c/balance?refresh=true');
  });
});
