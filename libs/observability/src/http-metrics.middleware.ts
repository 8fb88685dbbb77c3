import type { IncomingMessage, ServerResponse } from 'node:http';
import { MetricsService } from './metrics.service';

/** What express adds to a request that matters here (express' types are not installed). */
type RoutedRequest = IncomingMessage & { route?: { path?: unknown }; baseUrl?: string };

/**
 * The route template a request matched (`/api/v1/customers/:id`), or `unmatched`
 * (404s, and requests refused before routing such as an oversized body): a raw URL
 * would make one series per customer.
 */
export function routeTemplate(req: RoutedRequest): string {
  const path = req.route?.path;
  if (typeof path !== 'string') return 'unmatched';
  const full = `${req.baseUrl ?? ''}${path === '/' && req.baseUrl ? '' : path}`;
  return full || '/';
}

/**
 * Counts and times every HTTP request when its response ends. Mount it first
 * (`app.use`, before the body parser) so refused requests are counted too.
 */
export function httpMetricsMiddleware(metrics: MetricsService) {
  return (req: RoutedRequest, res: ServerResponse, next: () => void): void => {
    const started = process.hrtime.bigint();
    res.once('finish', () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      metrics.observeHttp(req.method ?? 'UNKNOWN', routeTemplate(req), res.statusCode, seconds);
    });
    next();
  };
}
