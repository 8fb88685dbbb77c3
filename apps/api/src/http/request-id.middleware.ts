import { randomUUID } from 'node:crypto';
import { ApiRequest, ApiResponse, NextFunction } from './api-request';

const SANE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Takes the caller's `X-Request-Id` when it is harmless to log and store, else makes one; echoes it. */
export function requestIdMiddleware(req: ApiRequest, res: ApiResponse, next: NextFunction): void {
  const given = req.headers['x-request-id'];
  req.requestId = typeof given === 'string' && SANE_REQUEST_ID.test(given) ? given : randomUUID();
  res.setHeader('X-Request-Id', req.requestId);
  next();
}
