import { createServer } from 'node:http';
import { Writable } from 'node:stream';
import request from 'supertest';
import { createRootLogger, httpAccessLog } from './logging';
import { REDACTED } from './redact';

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
    const log = httpAccessLog(createRootLogger({ logLevel: 'info' }, 'test', out.stream));
    const server = createServer((req, res) =>
      log(req, res, () => {
        res.statusCode = req.url === '/missing' ? 404 : 200;
        res.end('{}');
      }),
    );

    const ok = await request(server)
      .get('/api/v1/customers?limit=5')
      .set('Authorization', 'Bearer app-secret-key-123')
      .set('X-Request-Id', 'req-abc-1');
    expect(ok.headers['x-request-id']).toBe('req-abc-1');
    const missing = await request(server).get('/missing').set('X-Request-Id', 'not a valid id!');
    expect(missing.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    await request(server).get('/health/ready');
    await request(server).get('/metrics');

    expect(out.raw()).not.toContain('app-secret-key-123');
    const lines = out.lines();
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({
      level: 'info',
      request_id: 'req-abc-1',
      msg: 'GET /api/v1/customers 200',
      req: { method: 'GET', url: '/api/v1/customers?limit=5', headers: { authorization: REDACTED } },
      res: { statusCode: 200 },
      duration_ms: expect.any(Number),
    });
    expect(lines[1]).toMatchObject({ level: 'warn', request_id: missing.headers['x-request-id'], res: { statusCode: 404 } });
  });
});
