import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { createHash, timingSafeEqual } from 'node:crypto';
import { AppError } from '@app/common';
import { APP_CONFIG, AppConfig } from '@app/config';
import { ADMIN_ONLY } from './admin-only.decorator';
import { ApiKeyRole, ApiRequest } from './api-request';
import { IS_PUBLIC } from './public.decorator';

const sha256 = (value: string): Buffer => createHash('sha256').update(value, 'utf8').digest();

/**
 * `Authorization: Bearer <key>` on every route not marked @Public(). Keys are compared as
 * SHA-256 digests (equal length, so timingSafeEqual applies) against every configured key
 * without stopping at a match, so the time taken says nothing about which key was close.
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  private readonly keys: { digest: Buffer; role: ApiKeyRole }[];

  constructor(
    private readonly reflector: Reflector,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.keys = [
      ...config.appApiKeys.map((key) => ({ digest: sha256(key), role: 'app' as const })),
      ...config.adminApiKeys.map((key) => ({ digest: sha256(key), role: 'admin' as const })),
    ];
  }

  canActivate(context: ExecutionContext): boolean {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets)) return true;

    const req = context.switchToHttp().getRequest<ApiRequest>();
    const presented = bearerToken(req.headers.authorization);
    if (presented === undefined) throw new AppError('unauthorized', 'Missing API key: send Authorization: Bearer <key>');
    const role = this.roleOf(presented);
    if (role === undefined) throw new AppError('unauthorized', 'Unknown API key');

    req.apiKeyHash = sha256(presented).toString('hex');
    req.apiKeyRole = role;
    if (role !== 'admin' && this.reflector.getAllAndOverride<boolean>(ADMIN_ONLY, targets)) {
      throw new AppError('forbidden', 'This route needs an admin API key');
    }
    return true;
  }

  private roleOf(presented: string): ApiKeyRole | undefined {
    const digest = sha256(presented);
    let role: ApiKeyRole | undefined;
    for (const key of this.keys) {
      // No early exit; an admin match wins over an app match of the same key.
      if (timingSafeEqual(digest, key.digest) && role !== 'admin') role = key.role;
    }
    return role;
  }
}

function bearerToken(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const match = /^Bearer +(\S+) *$/i.exec(header);
  return match?.[1];
}
