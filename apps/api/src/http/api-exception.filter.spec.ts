import { ArgumentsHost, NotFoundException, PayloadTooLargeException } from '@nestjs/common';
import { QueryFailedError } from 'typeorm';
import { AppError } from '@app/common';
import { ApiExceptionFilter } from './api-exception.filter';

function run(exception: unknown): { status: number; body: unknown; headers: Record<string, string> } {
  const sent = { status: 0, body: undefined as unknown };
  const headers: Record<string, string> = {};
  // Not enumerable: toEqual compares status and body only; tests read the headers by name.
  Object.defineProperty(sent, 'headers', { value: headers, enumerable: false });
  const res = {
    sent: false,
    raw: { headersSent: false },
    header(name: string, value: string) {
      headers[name.toLowerCase()] = value;
      return this;
    },
    status(code: number) {
      sent.status = code;
      return this;
    },
    send(body: unknown) {
      sent.body = body;
      return this;
    },
  };
  const host = {
    switchToHttp: () => ({ getResponse: () => res, getRequest: () => ({ method: 'GET', path: '/x', requestId: 'r1' }) }),
  } as unknown as ArgumentsHost;
  const filter = new ApiExceptionFilter();
  (filter as unknown as { logger: { error: () => void } }).logger = { error: () => undefined };
  filter.catch(exception, host);
  return sent as typeof sent & { headers: Record<string, string> };
}

describe('ApiExceptionFilter', () => {
  it('gives an AppError its status, code, message and details', () => {
    expect(run(new AppError('email_taken', 'taken', [{ index: 2, field: 'email', message: 'held' }]))).toEqual({
      status: 409,
      body: { error: { code: 'email_taken', message: 'taken', details: [{ index: 2, field: 'email', message: 'held' }] } },
    });
  });

  it('leaves details out when there are none', () => {
    expect(run(new AppError('not_found', 'Customer not found')).body).toEqual({ error: { code: 'not_found', message: 'Customer not found' } });
  });

  it("maps Nest's own HTTP exceptions to codes", () => {
    expect(run(new NotFoundException('Cannot GET /nope'))).toEqual({ status: 404, body: { error: { code: 'not_found', message: 'Cannot GET /nope' } } });
    expect(run(new PayloadTooLargeException()).body).toEqual({ error: { code: 'payload_too_large', message: 'Request body is larger than the limit (BODY_LIMIT)' } });
  });

  it('answers anything unexpected with a generic 500 that reveals nothing', () => {
    const error = new Error('relation "secret_table" does not exist at /app/src/x.ts:12');
    const { status, body } = run(error);
    expect(status).toBe(500);
    expect(body).toEqual({ error: { code: 'internal_error', message: 'Internal server error' } });
    expect(run('a thrown string').status).toBe(500);
  });

  it('answers 503 when the database refuses connections', () => {
    const refused = new QueryFailedError('SELECT 1', [], Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }));
    expect(run(refused)).toEqual({ status: 503, body: { error: { code: 'dependency_down', message: expect.any(String) } } });
    expect(run(refused).headers['retry-after']).toBe('1');
    // Celar's 503 is not ours to time: no Retry-After of a second.
    expect(run(new AppError('celar_unavailable', 'Celar cannot be asked')).headers['retry-after']).toBeUndefined();
    expect(run(new Error('Connection terminated unexpectedly')).status).toBe(503);
  });

  it('answers 503 dependency_down to Postgres refusing, timing out or cancelling a statement, never 500', () => {
    const pgError = (code: string, message = 'x') => new QueryFailedError('SELECT 1', [], Object.assign(new Error(message), { code }));
    for (const error of [
      new Error('Error: connect ECONNREFUSED 127.0.0.1:5432'),
      new Error('Query read timeout'),
      new Error('timeout exceeded when trying to connect'),
      pgError('57014', 'canceling statement due to statement timeout'),
      pgError('57P01'),
    ]) {
      expect(run(error)).toEqual({ status: 503, body: { error: { code: 'dependency_down', message: expect.any(String) } } });
    }
  });
});
