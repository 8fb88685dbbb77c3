import { parse as parseCookies, serialize } from 'cookie';
import type { FastifyInstance } from 'fastify';
import { ApiRequest, ApiResponse } from '../http/api-request';
import { isConsolePath } from './console-paths';
import { ConsoleSession, ConsoleSessionsService, SESSION_TTL_S, sameToken } from './console-sessions.service';

export const SESSION_COOKIE = 'console_session';
export const SIGN_IN_PATH = '/console/sign-in';

export type ConsoleRequest = ApiRequest & { consoleSession?: ConsoleSession; cookies?: Record<string, string | undefined> };

/** What is served without a session: the sign-in page, signing in and out, and static assets. */
function isPublic(req: ApiRequest): boolean {
  if (req.path.startsWith('/console/assets/')) return true;
  if (req.path === SIGN_IN_PATH && req.method === 'GET') return true;
  if (req.path === '/console/session' && (req.method === 'POST' || req.method === 'DELETE')) return true;
  return req.path === '/console/session/logout' && req.method === 'POST';
}

/**
 * Every /console request, once its body is read (a preHandler hook, so unknown /console paths
 * too): security headers, the session from its cookie (none: /console/api/* 401, pages 303 to
 * the sign-in page), and the session's CSRF token on every state-changing request (form field
 * `_csrf` or header `X-CSRF-Token`), on top of the SameSite=Strict cookie.
 * Signing out needs no token: the worst a forged one does is sign the operator out.
 */
export function registerConsoleSessions(fastify: FastifyInstance, sessions: ConsoleSessionsService): void {
  fastify.addHook('preHandler', (request, res, done) => {
    if (!isConsolePath(request.url)) return done();
    checkSession(request as ConsoleRequest, res, sessions).then((answered) => {
      // A refused request is answered here and goes no further.
      if (!answered) done();
    }, done);
  });
}

/** True when the request was refused (and answered). */
async function checkSession(req: ConsoleRequest, res: ApiResponse, sessions: ConsoleSessionsService): Promise<boolean> {
  res.header('Content-Security-Policy', "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'");
  res.header('X-Frame-Options', 'DENY');
  res.header('X-Content-Type-Options', 'nosniff');
  res.header('Referrer-Policy', 'same-origin');
  if (!req.path.startsWith('/console/assets/')) res.header('Cache-Control', 'no-store');
  req.cookies = parseCookies(req.headers.cookie ?? '');
  if (isPublic(req)) return false;
  const session = await sessions.find(req.cookies[SESSION_COOKIE]);
  if (!session) {
    if (req.path.startsWith('/console/api/')) {
      res.status(401).send({ error: { code: 'unauthorized', message: 'Sign in to the console first (POST /console/session)' } });
    } else {
      redirect(res, SIGN_IN_PATH);
    }
    return true;
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    const body = (req.body ?? {}) as Record<string, unknown>;
    if (!sameToken(session.csrfToken, req.headers['x-csrf-token'] ?? body._csrf)) {
      res.status(403).send({ error: { code: 'forbidden', message: 'Missing or wrong CSRF token: reload the page and try again' } });
      return true;
    }
  }
  req.consoleSession = session;
  return false;
}

/** Behind https (directly or through a proxy that says so), the cookie is Secure. */
export function sessionCookie(req: ApiRequest, token: string | null): string {
  const proto = String(req.headers['x-forwarded-proto'] ?? '').split(',')[0].trim().toLowerCase();
  const secure = proto === 'https' || (req.raw.socket as { encrypted?: boolean }).encrypted === true;
  return serialize(SESSION_COOKIE, token ?? '', {
    path: '/console',
    httpOnly: true,
    sameSite: 'strict',
    secure,
    maxAge: token ? SESSION_TTL_S : 0,
  });
}

export function redirect(res: ApiResponse, location: string): void {
  res.redirect(location, 303);
}
