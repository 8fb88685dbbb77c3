import { AppError } from '@app/common';
import { ApiRequest, Middleware } from './api-request';

interface JsonParserOptions {
  limit: number;
  strict: boolean;
  type: (req: ApiRequest) => boolean;
}
// express's own json parser (body-parser); typed here because @types/express is not installed.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const express = require('express') as { json(options: JsonParserOptions): Middleware };

const JSON_TYPE = /^application\/json\s*(;|$)/i;

/**
 * The only body parser: JSON up to `limitBytes`. A body of another content type is refused
 * (415) rather than ignored, and parser failures become the contract's errors instead of
 * express's HTML pages.
 */
export function jsonBodyMiddleware(limitBytes: number): Middleware {
  const isJson = (req: ApiRequest) => JSON_TYPE.test(req.headers['content-type'] ?? '');
  const parse = express.json({ limit: limitBytes, strict: true, type: isJson });
  return (req, res, next) => {
    if (hasBody(req) && !isJson(req)) {
      next(new AppError('unsupported_media_type', 'Request bodies must be JSON (Content-Type: application/json)'));
      return;
    }
    parse(req, res, (error?: unknown) => next(error === undefined ? undefined : parserError(error)));
  };
}

function hasBody(req: ApiRequest): boolean {
  if (req.headers['transfer-encoding'] !== undefined) return true;
  const length = req.headers['content-length'];
  return length !== undefined && length !== '0';
}

function parserError(error: unknown): AppError {
  const { type, status } = error as { type?: string; status?: number };
  if (type === 'entity.too.large' || status === 413) {
    return new AppError('payload_too_large', 'Request body is larger than the limit (BODY_LIMIT)');
  }
  if (status === 415) return new AppError('unsupported_media_type', 'Unsupported body encoding or charset');
  if (type === 'entity.parse.failed') return new AppError('invalid_json', 'Request body is not valid JSON');
  return new AppError('invalid_json', 'Request body could not be read');
}
