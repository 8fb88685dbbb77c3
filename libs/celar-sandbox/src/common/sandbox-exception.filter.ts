import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import { SandboxResponse } from './http.types';
import { SandboxError, SandboxErrorCode } from './sandbox.error';

// Nest's own HttpExceptions (an unknown route is a 404) get the sandbox's codes.
const CODE_BY_STATUS: Record<number, SandboxErrorCode> = {
  400: 'validation_failed',
  401: 'unauthorized',
  404: 'not_found',
  413: 'payload_too_large',
  429: 'rate_limited',
};

/** Every error as `{"error": {"code", "message", "details"?}}`; never a stack trace. */
@Catch()
export class SandboxExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('CelarSandbox');

  catch(exception: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<SandboxResponse>();
    if (res.headersSent || res.destroyed) return;
    const error = toSandboxError(exception);
    if (error.status >= 500 && !(exception instanceof SandboxError)) this.logger.error(exception instanceof Error ? exception.stack : String(exception));
    res.status(error.status).json(error.toBody());
  }
}

export function toSandboxError(exception: unknown): SandboxError {
  if (exception instanceof SandboxError) return exception;
  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    const code = CODE_BY_STATUS[status] ?? (status >= 500 ? 'internal_error' : 'validation_failed');
    return new SandboxError(code, exception.message, undefined, status);
  }
  const bodyParser = exception as { type?: string; status?: number } | null;
  if (bodyParser?.type === 'entity.parse.failed') return new SandboxError('invalid_json', 'the body is not valid JSON');
  if (bodyParser?.type === 'entity.too.large') return new SandboxError('payload_too_large', 'the body is too large');
  if (typeof bodyParser?.status === 'number' && bodyParser.status >= 400 && bodyParser.status < 500) {
    return new SandboxError('validation_failed', 'the request could not be read', undefined, bodyParser.status);
  }
  return new SandboxError('internal_error', 'internal error');
}
