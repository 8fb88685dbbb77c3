import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { DynamicModule } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
// nestjs-pino 4 keeps its request context here: its PinoLogger (and so Nest's Logger) logs through the store's logger.
import { Store, storage } from 'nestjs-pino/storage';
import pino, { DestinationStream, Logger } from 'pino';
import { AppConfig } from '@app/config';
import { REDACTED, REDACT_PATHS, SECRET_HEADERS, redactUrl } from './redact';

export const REQUEST_ID_HEADER = 'x-request-id';

/** Routes polled by probes and scrapers: not worth a log line each. */
const PROBE_PATHS = new Set(['/health/live', '/health/ready', '/metrics']);

/**
 * The process's root pino logger: JSON lines on stdout (or `destination`), ISO times,
 * level names, and secrets (API keys, Authorization headers, tax ids) redacted
 * wherever they sit in a logged object.
 */
export function createRootLogger(
  config: Pick<AppConfig, 'logLevel'>,
  service: string,
  destination?: DestinationStream,
): Logger {
  const options: pino.LoggerOptions = {
    level: config.logLevel,
    base: { service, pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    redact: { paths: REDACT_PATHS, censor: REDACTED },
  };
  return destination ? pino(options, destination) : pino(options);
}

/** A caller's `X-Request-Id` is kept if it is short and plain; anything else gets a fresh UUID. */
export function acceptRequestId(value: string | string[] | undefined): string | undefined {
  return typeof value === 'string' && /^[A-Za-z0-9._:-]{1,128}$/.test(value) ? value : undefined;
}

/** Fastify's genReqId: the caller's harmless `X-Request-Id`, else a new UUID (echoed by instrumentHttp). */
export function requestIdFor(req: IncomingMessage): string {
  return acceptRequestId(req.headers[REQUEST_ID_HEADER]) ?? randomUUID();
}

function pathOf(url: string): string {
  const query = url.indexOf('?');
  return query === -1 ? url : url.slice(0, query);
}

/** What the access line needs of a request. */
export interface AccessEntry {
  requestId: string;
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  remoteAddress?: string;
  statusCode: number;
  durationMs: number;
}

/**
 * The access log: one JSON line per request when its response ends, with its request_id,
 * method, URL (emails and keys in it redacted), headers (secret ones redacted), status and
 * duration; level by status (5xx error, 4xx warn). Probes and scrapes are skipped.
 * The line is built here from known fields and redacted here, so it is written by a child
 * without the root's wildcard redaction paths (measured: they cost as much as the query).
 */
export function httpAccessLog(root: Logger): (entry: AccessEntry) => void {
  const logger = root.child({}, { redact: [] });
  return (entry) => {
    const level = entry.statusCode >= 500 ? 'error' : entry.statusCode >= 400 ? 'warn' : 'info';
    if (!logger.isLevelEnabled(level)) return;
    const url = redactUrl(entry.url);
    const path = pathOf(url);
    if (PROBE_PATHS.has(path)) return;
    logger[level](
      {
        request_id: entry.requestId,
        req: { method: entry.method, url, headers: safeHeaders(entry.headers), remoteAddress: entry.remoteAddress },
        res: { statusCode: entry.statusCode },
        duration_ms: Math.round(entry.durationMs),
      },
      `${entry.method} ${path} ${entry.statusCode}`,
    );
  };
}

function safeHeaders(headers: IncomingHttpHeaders): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const name in headers) out[name] = SECRET_HEADERS.has(name) ? REDACTED : headers[name];
  return out;
}

/**
 * Runs `next` (the rest of a request's handling) with a logger bound to its request id, so
 * every line Nest's Logger writes while serving it carries `request_id`. The child logger is
 * made only if something logs: most requests log nothing but their access line.
 */
export function runWithRequestLogger(root: Logger, requestId: string, next: () => void): void {
  let child: Logger | undefined;
  const store = {
    get logger(): Logger {
      return (child ??= root.child({ request_id: requestId }));
    },
    set logger(logger: Logger) {
      child = logger;
    },
    responseLogger: undefined,
  };
  storage.run(store as Store, next);
}

/**
 * nestjs-pino around `root`, for `app.useLogger` and Nest's `Logger`. It installs no
 * middleware of its own: the request context comes from `runWithRequestLogger`
 * (instrumentHttp), and the access line from `httpAccessLog`.
 */
export function loggerModule(root: Logger): DynamicModule {
  return LoggerModule.forRoot({ pinoHttp: { logger: root }, forRoutes: [], useExisting: true });
}
