import { parse as parseForm } from 'node:querystring';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from '@app/common';
import { isConsolePath } from '../console/console-paths';

/** The console's bodies (HTML forms, JSON to sign in by script) are small. */
const CONSOLE_BODY_LIMIT = 64 * 1024;
const CONSOLE_FORM_FIELDS = 50;

/**
 * The only body parsers, in place of Fastify's own: JSON (objects and arrays only) up to
 * BODY_LIMIT (Fastify's `bodyLimit`: 413 past it), and HTML forms for the console only.
 * A body of any other content type is refused with 415 rather than ignored; a request without
 * a body passes whatever its Content-Type says. Parse failures become the contract's errors
 * (ApiExceptionFilter maps Fastify's own 413/415).
 */
export function registerBodyParsers(fastify: FastifyInstance): void {
  fastify.removeAllContentTypeParsers();
  const json = fastify.getDefaultJsonParser('error', 'error');
  fastify.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => parseJson(json, request, body as string, done));
  fastify.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: CONSOLE_BODY_LIMIT }, (request, body, done) => {
    try {
      done(null, parseConsoleForm(request, body as string));
    } catch (error) {
      done(error as Error, undefined);
    }
  });
  // Any other type: nothing to parse if there is no body, else 415.
  fastify.addContentTypeParser('*', (request, payload, done) => {
    if (!hasBody(request)) return done(null, undefined);
    done(
      isConsolePath(request.url)
        ? new AppError('unsupported_media_type', 'Send a form (application/x-www-form-urlencoded) or JSON')
        : new AppError('unsupported_media_type', 'Request bodies must be JSON (Content-Type: application/json)'),
      undefined,
    );
  });
}

type JsonParser = ReturnType<FastifyInstance['getDefaultJsonParser']>;

const CHARSET = /;\s*charset\s*=\s*"?([^";\s]*)/i;

function parseJson(parse: JsonParser, request: FastifyRequest, text: string, done: (error: Error | null, body?: unknown) => void): void {
  // Bodies are read as UTF-8: another charset would be read wrong, so it is refused.
  const charset = CHARSET.exec(request.headers['content-type'] ?? '')?.[1].toLowerCase();
  if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') {
    return done(new AppError('unsupported_media_type', 'Unsupported body encoding or charset: send UTF-8'));
  }
  if (isConsolePath(request.url) && text.length > CONSOLE_BODY_LIMIT) return done(new AppError('validation_failed', 'The request body could not be read'));
  // No body at all: nothing to parse (as without a Content-Type).
  if (text.length === 0) return done(null, undefined);
  // Objects and arrays only, as express's strict JSON parser did.
  const first = /\S/.exec(text)?.[0];
  if (first !== '{' && first !== '[') return done(new AppError('invalid_json', 'Request body is not valid JSON'));
  // Fastify's own parser: JSON.parse, and `__proto__` / `constructor.prototype` keys refused.
  parse(request, text, (error, value) => (error ? done(new AppError('invalid_json', 'Request body is not valid JSON')) : done(null, value)));
}

function parseConsoleForm(request: FastifyRequest, text: string): Record<string, unknown> {
  if (!isConsolePath(request.url)) throw new AppError('unsupported_media_type', 'Request bodies must be JSON (Content-Type: application/json)');
  const form = parseForm(text, '&', '=', { maxKeys: CONSOLE_FORM_FIELDS + 1 });
  if (Object.keys(form).length > CONSOLE_FORM_FIELDS) throw new AppError('validation_failed', 'The request body could not be read');
  return { ...form };
}

function hasBody(request: FastifyRequest): boolean {
  if (request.headers['transfer-encoding'] !== undefined) return true;
  const length = request.headers['content-length'];
  return length !== undefined && length !== '0';
}
