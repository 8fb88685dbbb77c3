import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import { AppError, ErrorDetail, HTTP_STATUS_CODE } from '@app/common';
import { ApiRequest, ApiResponse } from './api-request';

interface ErrorBody {
  error: { code: string; message: string; details?: ErrorDetail[] };
}

/** Every error leaves as `{"error": {"code", "message", "details"?}}`; never a stack trace. */
@Catch()
export class ApiExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('Http');

  catch(exception: unknown, host: ArgumentsHost): void {
    const ctx = host.switchToHttp();
    const res = ctx.getResponse<ApiResponse>();
    const req = ctx.getRequest<ApiRequest>();
    const [status, body] = this.toResponse(exception, req);
    if (res.sent || res.raw.headersSent) {
      if (!res.raw.writableEnded) res.raw.end();
      return;
    }
    // Our own database or Redis, busy or absent, is worth another try soon: say when, as HTTP
    // clients expect. (Celar's 503s are not: its pause may be far longer than a second.)
    if (body.error.code === 'dependency_down') res.header('Retry-After', '1');
    res.status(status).send(body);
  }

  private toResponse(exception: unknown, req: ApiRequest): [number, ErrorBody] {
    if (exception instanceof AppError) {
      const error: ErrorBody['error'] = { code: exception.code, message: exception.message };
      if (exception.details?.length) error.details = exception.details;
      if (exception.status >= 500) this.logger.error(`${req.method} ${req.path} [${req.requestId}]: ${exception.message}`);
      return [exception.status, { error }];
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      // Fastify's own refusal of a body over its bodyLimit (mapped to an HttpException by Nest).
      if (status === 413) return [413, { error: { code: 'payload_too_large', message: 'Request body is larger than the limit (BODY_LIMIT)' } }];
      if (status < 500) {
        return [status, { error: { code: HTTP_STATUS_CODE[status] ?? 'request_failed', message: httpMessage(exception) } }];
      }
    }
    const error = exception instanceof Error ? exception : new Error(String(exception));
    if (isDatabaseUnavailable(error)) {
      this.logger.error(`${req.method} ${req.path} [${req.requestId}]: database unavailable: ${error.message}`);
      return [503, { error: { code: 'dependency_down', message: 'The database is unavailable; retry later' } }];
    }
    this.logger.error(`${req.method} ${req.path} [${req.requestId}] failed: ${error.message}`, error.stack);
    return [500, { error: { code: 'internal_error', message: 'Internal server error' } }];
  }
}

function httpMessage(exception: HttpException): string {
  const response = exception.getResponse();
  if (typeof response === 'string') return response;
  const message = (response as { message?: unknown }).message;
  if (typeof message === 'string') return message;
  if (Array.isArray(message)) return message.join('; ');
  return exception.message;
}

// Postgres is down, unreachable, silent or overloaded (not a bad statement): connection-level
// codes, a statement cancelled by statement_timeout (57014: a lock pile-up), and pg's own
// connect / acquire / read timeouts (data-source-options.ts bounds every wait).
const UNAVAILABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'EPIPE', '57014', '57P01', '57P02', '57P03', '53300', '08000', '08001', '08003', '08006']);

function isDatabaseUnavailable(error: Error): boolean {
  const cause = (error as { driverError?: unknown }).driverError ?? error;
  const code = (cause as { code?: unknown }).code;
  if (typeof code === 'string' && UNAVAILABLE_CODES.has(code)) return true;
  const message = cause instanceof Error ? `${error.message} ${cause.message}` : error.message;
  // Some paths (pool connect through TypeORM) re-wrap the socket error with its code only in the text.
  return /Connection terminated|timeout exceeded when trying to connect|Query read timeout|Client has encountered a connection error|connection is closed|\b(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|EPIPE)\b/i.test(message);
}
