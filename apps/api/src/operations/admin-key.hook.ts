import type { FastifyInstance } from 'fastify';
import { AppConfig } from '@app/config';
import { ApiKeyRing } from '../http/api-key-ring';
import { ApiResponse } from '../http/api-request';

/**
 * Guards the queue dashboard under `route`, a Fastify plugin outside any controller and so
 * never seen by the API's guard. Same rule and error shape as the guard: no or unknown key
 * 401, an app key 403. Besides `Authorization: Bearer <key>`, HTTP Basic with the key as
 * password is accepted, so a browser can open the dashboard (it prompts on the 401).
 */
export function registerAdminKeyHook(fastify: FastifyInstance, config: AppConfig, route: string): void {
  const keys = new ApiKeyRing(config);
  fastify.addHook('onRequest', (req, res, done) => {
    if (req.url !== route && !req.url.startsWith(`${route}/`) && !req.url.startsWith(`${route}?`)) return done();
    const presented = presentedKey(req.headers.authorization);
    const role = presented === undefined ? undefined : keys.roleOf(presented);
    if (role === 'admin') return done();
    // Refused: answered here, and the request goes no further.
    if (role === 'app') return refuse(res, 403, 'forbidden', 'The queue dashboard needs an admin API key');
    res.header('WWW-Authenticate', 'Basic realm="customer-sync admin", charset="UTF-8"');
    refuse(res, 401, 'unauthorized', presented === undefined ? 'Missing API key: send Authorization: Bearer <key>' : 'Unknown API key');
  });
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
  res.status(status).send({ error: { code, message } });
}
