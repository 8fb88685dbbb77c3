import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { SandboxRequest, SandboxResponse } from '../common/http.types';
import { SandboxError } from '../common/sandbox.error';
import { SANDBOX_OPTIONS, SandboxOptions } from '../sandbox-options';
import { requestState } from './request-state';

export const DEFAULT_SANDBOX_KEYS = ['sandbox_key'];

/** `Authorization: Bearer <key>` with one of the accepted keys, as Celar asks. */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  private readonly keys: Set<string>;

  constructor(@Inject(SANDBOX_OPTIONS) options: SandboxOptions) {
    this.keys = new Set(options.apiKeys?.length ? options.apiKeys : DEFAULT_SANDBOX_KEYS);
  }

  canActivate(context: ExecutionContext): boolean {
    const http = context.switchToHttp();
    const req = http.getRequest<SandboxRequest>();
    const header = req.headers.authorization;
    const match = typeof header === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
    if (!match) throw new SandboxError('unauthorized', 'missing bearer API key');
    if (!this.keys.has(match[1])) throw new SandboxError('unauthorized', 'invalid API key');
    requestState(http.getResponse<SandboxResponse>()).apiKey = match[1];
    return true;
  }
}
