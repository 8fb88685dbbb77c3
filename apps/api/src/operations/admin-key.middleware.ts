import { createHash, timingSafeEqual } from 'node:crypto';
import { AppConfig } from '@app/config';
import { ApiRequest, ApiResponse, Middleware } from '../http/api-request';

const sha256 = (value: string): Buffer => createHash('sha256').update(value, 'utf8').digest();

/**
 * Guards the queue dashboard, which is an express router mounted as middleware and
 * so never reaches the API's guard. Same rule and error shape as the guard: no or
 * unknown key 401, an app key 403. Besides `Authorization: Bearer <key>`, HTTP Basic
 * with the key as password is accepted, so a browser can open the dashboard (it
 * prompts on the 401).
 */
export function adminKeyMiddleware(config: AppConfig): Middleware {
  const keys = [
    ...config.appApiKeys.map((key) => ({ digest: sha256(key), admin: false })),
    ...config.adminApiKeys.map((key) => ({ digest: sha256(key), admin: true })),
  ];
  const roleOf = (presented: string): 'app' | 'admin' | undefined => {
    const digest = sha256(presented);
    let role: 'app' | 'admin' | undefined;
    // Every key is compared, with no early exit: the time taken says nothing about which key was close.
    for (const key of keys) {
      if (timingSafeEqual(digest, key.digest) && role !== 'admin') role = key.admin ? 'admin' : 'app';
    }
    return role;
  };

  return (req: ApiRequest, res: ApiResponse, next) => {
    const presented = presentedKey(req.headers.authorization);
    const role = presented === undefined ? undefined : roleOf(presented);
    if (role === 'admin') {
      next();
      return;
    }
    if (role === 'app') {
      refuse(res, 403, 'forbidden', 'The queue dashboard needs an admin API key');
      return;
    }
    res.setHeader('WWW-Authenticate', 'Basic realm="customer-sync admin", charset="UTF-8"');
    refuse(res, 401, 'unauthorized', presented === undefined ? 'Missing API key: send Authorization: Bearer <key>' : 'Unknown API key');
  };
}

function presentedKey(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const bearer = /^Bearer +(\S+) *$/i.exec(header);
  if (bearer) return bearer[1];
  const basic = /^Basic +([A-Za-z0-9+/=]+) *$/i.exec(header);
  if (!basic) return undefined;
  const decoded = Buffer.from(basic[1], 'base64').toString('utf8');
  const password = decoded.slice(decoded.indexOf(':') + 1);
  return password.length > 0 ? password : undefined;
}

function refuse(res: ApiResponse, status: number, code: string, message: string): void {
  res.status(status).json({ error: { code, message } });
}
