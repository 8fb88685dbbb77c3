import { parse as parseCookies, serialize } from 'cookie';
import { AppError } from '@app/common';
import { ApiRequest, ApiResponse, Middleware } from '../http/api-request';
import { ConsoleSession, ConsoleSessionsService, SESSION_TTL_S, sameToken } from './console-sessions.service';

export const SESSION_COOKIE = 'console_session';
export const SIGN_IN_PATH = '/console/sign-in';
const CONSOLE = /^\/console(\/|$)/;

export type ConsoleRequest = ApiRequest & { consoleSession?: ConsoleSession; cookies?: Record<string, string | undefined> };

export function isConsolePath(path: string): boolean {
  return CONSOLE.test(path);
}

/** What is served without a session: the sign-in page, signing in and out, and static assets. */
function isPublic(req: ApiRequest): boolean {
  if (req.path.startsWith('/console/assets/')) return true;
  if (req.path === SIGN_IN_PATH && req.method === 'GET') return true;
  if (req.path === '/console/session' && (req.method === 'POST' || req.method === 'DELETE')) return true;
  return req.path === '/console/session/logout' && req.method === 'POST';
}

// eslint-disable-next-line @typescript-eslint/no-require-imports
const express = require('express') as { urlencoded(o: object): Middleware; json(o: object): Middleware };
const FORM = /^application\/x-www-form-urlencoded\s*(;|$)/i;
const JSON_TYPE = /^application\/json\s*(;|$)/i;

/** The console's bodies: HTML forms (and JSON for signing in by script), small. */
export function consoleBodyMiddleware(): Middleware {
  const form = express.urlencoded({ extended: false, limit: '64kb', parameterLimit: 50 });
  const json = express.json({ limit: '64kb', strict: true });
  return (req, res, next) => {
    const type = req.headers['content-type'] ?? '';
    const done = (error?: unknown) =>
      next(error === undefined ? undefined : new AppError('validation_failed', 'The request body could not be read'));
    if (FORM.test(type)) return form(req, res, done);
    if (JSON_TYPE.test(type)) return json(req, res, done);
    const hasBody = req.headers['transfer-encoding'] !== undefined || (req.headers['content-length'] ?? '0') !== '0';
    if (hasBody) return next(new AppError('unsupported_media_type', 'Send a form (application/x-www-form-urlencoded) or JSON'));
    next();
  };
}

/**
 * Every /console request: security headers, the session from its cookie (none: /console/api/*
 * 401, pages 303 to the sign-in page), and the session's CSRF token on every state-changing
 * request (form field `_csrf` or header `X-CSRF-Token`), on top of the SameSite=Strict cookie.
 * Signing out needs no token: the worst a forged one does is sign the operator out.
 */
export function consoleSessionMiddleware(sessions: ConsoleSessionsService): Middleware {
  return (req: ConsoleRequest, res, next) => {
    if (!isConsolePath(req.path)) return next();
    res.setHeader('Content-Security-Policy', "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'");
    res.setHeader('X-Frame-Options', 'DENY');
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'same-origin');
    if (!req.path.startsWith('/console/assets/')) res.setHeader('Cache-Control', 'no-store');
    req.cookies = parseCookies(req.headers.cookie ?? '');
    if (isPublic(req)) return next();
    sessions
      .find(req.cookies[SESSION_COOKIE])
      .then((session) => {
        if (!session) {
          if (req.path.startsWith('/console/api/')) {
            res.status(401).json({ error: { code: 'unauthorized', message: 'Sign in to the console first (POST /console/session)' } });
          } else {
            res.statusCode = 303;
            res.setHeader('Location', SIGN_IN_PATH);
            res.end();
          }
          return;
        }
        if (req.method !== 'GET' && req.method !== 'HEAD') {
          const body = (req.body ?? {}) as Record<string, unknown>;
          if (!sameToken(session.csrfToken, req.headers['x-csrf-token'] ?? body._csrf)) {
            res.status(403).json({ error: { code: 'forbidden', message: 'Missing or wrong CSRF token: reload the page and try again' } });
            return;
          }
        }
        req.consoleSession = session;
        next();
      })
      .catch(next);
  };
}

/** Behind https (directly or through a proxy that says so), the cookie is Secure. */
export function sessionCookie(req: ApiRequest, token: string | null): string {
  const proto = String(req.headers['x-forwarded-proto'] ?? '').split(',')[0].trim().toLowerCase();
  const secure = proto === 'https' || (req.socket as { encrypted?: boolean }).encrypted === true;
  return serialize(SESSION_COOKIE, token ?? '', {
    path: '/console',
    httpOnly: true,
    sameSite: 'strict',
    secure,
    maxAge: token ? SESSION_TTL_S : 0,
  });
}

export function redirect(res: ApiResponse, location: string): void {
  res.statusCode = 303;
  res.setHeader('Location', location);
  res.end();
}
