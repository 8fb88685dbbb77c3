import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { httpAccessLog, runWithRequestLogger } from './logging';
import { MetricsService } from './metrics.service';

/** Set once a request has got past routing and its body (the route handler is next). */
const ROUTED = Symbol('routed');
type InstrumentedRequest = FastifyRequest & { [ROUTED]?: true };

/**
 * The route template a request matched (`/api/v1/customers/:id`), or `unmatched` (404s, and
 * requests refused before their handler such as an oversized or broken body): a raw URL
 * would make one series per customer.
 */
export function routeTemplate(request: FastifyRequest): string {
  const url = (request as InstrumentedRequest)[ROUTED] ? request.routeOptions.url : undefined;
  return url || 'unmatched';
}

/**
 * The HTTP side of observability on a Fastify instance (create it with `genReqId: requestIdFor`):
 * echoes the request id in `X-Request-Id`, binds it to every log line written while serving the
 * request, and when the response ends counts and times the request (metrics by method, route
 * template and status) and writes its access line. Hooks on the root instance, so requests
 * refused by the body parser, and 404s, are counted and logged too.
 */
export function instrumentFastify(fastify: FastifyInstance, metrics: MetricsService, root: Logger): void {
  const access = httpAccessLog(root);
  fastify.addHook('onRequest', (request, reply, done) => {
    reply.header('X-Request-Id', request.id);
    done();
  });
  fastify.addHook('preHandler', (request, _reply, done) => {
    (request as InstrumentedRequest)[ROUTED] = true;
    runWithRequestLogger(root, request.id, done);
  });
  fastify.addHook('onResponse', (request, reply, done) => {
    const durationMs = reply.elapsedTime;
    metrics.observeHttp(request.method, routeTemplate(request), reply.statusCode, durationMs / 1000);
    access({
      requestId: request.id,
      method: request.method,
      url: request.url,
      headers: request.headers,
      remoteAddress: request.ip,
      statusCode: reply.statusCode,
      durationMs,
    });
    done();
  });
}
