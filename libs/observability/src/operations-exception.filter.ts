import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger, NotFoundException } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { HTTP_STATUS_CODE } from '@app/common';

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;

/**
 * The contract's error shape, `{"error": {"code", "message"}}` with `Cache-Control: no-store`,
 * for an app that serves only OperationsHttpModule (the worker on WORKER_PORT): 404 on an
 * unknown path, 405 with `Allow` on a known path asked with another method, 500 otherwise.
 * The API has its own filter, which knows its errors (AppError, a database down).
 */
@Catch()
export class OperationsExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('Http');

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const reply = http.getResponse<FastifyReply>();
    const request = http.getRequest<FastifyRequest>();
    if (reply.sent || reply.raw.headersSent) {
      if (!reply.raw.writableEnded) reply.raw.end();
      return;
    }
    const path = pathOf(request.url);
    // Nest's answer to a request no route matched, whatever its method.
    if (exception instanceof NotFoundException) {
      const allowed = METHODS.filter((method) => request.server.hasRoute({ method, url: path }));
      if (allowed.length === 0) return answer(reply, 404, 'not_found', `No route ${path}`);
      reply.header('Allow', allowed.join(', '));
      return answer(reply, 405, 'method_not_allowed', `${request.method} is not allowed on ${path}`);
    }
    if (exception instanceof HttpException && exception.getStatus() < 500) {
      return answer(reply, exception.getStatus(), HTTP_STATUS_CODE[exception.getStatus()] ?? 'request_failed', exception.message);
    }
    const error = exception instanceof Error ? exception : new Error(String(exception));
    this.logger.error(`${request.method} ${path} failed: ${error.message}`, error.stack);
    answer(reply, 500, 'internal_error', 'Internal server error');
  }
}

/** Fastify's `frameworkErrors` for the same app: a URL the router cannot read (a malformed percent-encoding) matches no route. */
export function answerUnroutable(_error: Error, request: FastifyRequest, reply: FastifyReply): void {
  answer(reply, 404, 'not_found', `No route ${pathOf(request.url)}`);
}

function answer(reply: FastifyReply, status: number, code: string, message: string): void {
  reply.status(status).header('Cache-Control', 'no-store').send({ error: { code, message } });
}

function pathOf(url: string): string {
  const query = url.indexOf('?');
  return query === -1 ? url : url.slice(0, query);
}
