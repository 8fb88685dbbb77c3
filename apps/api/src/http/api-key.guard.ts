import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AppError, IS_PUBLIC } from '@app/common';
import { APP_CONFIG, AppConfig } from '@app/config';
import { ADMIN_ONLY } from './admin-only.decorator';
import { ApiKeyRing, sha256 } from './api-key-ring';
import { ApiRequest } from './api-request';

/** `Authorization: Bearer <key>` on every route not marked @Public() (keys compared by ApiKeyRing). */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  private readonly keys: ApiKeyRing;

  constructor(
    private readonly reflector: Reflector,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.keys = new ApiKeyRing(config);
  }

  canActivate(context: ExecutionContext): boolean {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets)) return true;

    const req = context.switchToHttp().getRequest<ApiRequest>();
    const presented = bearerToken(req.headers.authorization);
    if (presented === undefined) throw new AppError('unauthorized', 'Missing API key: send Authorization: Bearer <key>');
    const digest = sha256(presented);
    const role = this.keys.roleOfDigest(digest);
    if (role === undefined) throw new AppError('unauthorized', 'Unknown API key');

    req.apiKeyHash = digest.toString('hex');
    req.apiKeyRole = role;
    if (role !== 'admin' && this.reflector.getAllAndOverride<boolean>(ADMIN_ONLY, targets)) {
      throw new AppError('forbidden', 'This route needs an admin API key');
    }
    return true;
  }
}

function bearerToken(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const match = /^Bearer +(\S+) *$/i.exec(header);
  return match?.[1];
}
