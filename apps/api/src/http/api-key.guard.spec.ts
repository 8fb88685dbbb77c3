import { Controller, ExecutionContext, Get } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { createHash } from 'node:crypto';
import { AppError, Public } from '@app/common';
import { AppConfig } from '@app/config';
import { AdminOnly } from './admin-only.decorator';
import { ApiKeyGuard } from './api-key.guard';
import { ApiRequest } from './api-request';

@Controller()
class RoutesController {
  @Get() appRoute() {}
  @Get() @AdminOnly() adminRoute() {}
  @Get() @Public() publicRoute() {}
}

@Controller()
@AdminOnly()
class AdminController {
  @Get() anything() {}
}

const config = { appApiKeys: ['app_key_one', 'app_key_two'], adminApiKeys: ['admin_key_1'] } as AppConfig;
const guard = new ApiKeyGuard(new Reflector(), config);

function contextFor(handler: string, authorization?: string, controller: object = RoutesController): { ctx: ExecutionContext; req: ApiRequest } {
  const req = { headers: authorization === undefined ? {} : { authorization } } as ApiRequest;
  const proto = (controller as { prototype: Record<string, () => void> }).prototype;
  const ctx = {
    getHandler: () => proto[handler],
    getClass: () => controller,
    switchToHttp: () => ({ getRequest: () => req }),
  } as unknown as ExecutionContext;
  return { ctx, req };
}

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (error) {
    return (error as AppError).code;
  }
}

describe('ApiKeyGuard', () => {
  it('lets an app key call app routes and records who called', () => {
    const { ctx, req } = contextFor('appRoute', 'Bearer app_key_two');
    expect(guard.canActivate(ctx)).toBe(true);
    expect(req.apiKeyRole).toBe('app');
    expect(req.apiKeyHash).toBe(createHash('sha256').update('app_key_two').digest('hex'));
  });

  it('lets an admin key call app and admin routes', () => {
    expect(guard.canActivate(contextFor('appRoute', 'Bearer admin_key_1').ctx)).toBe(true);
    const { ctx, req } = contextFor('adminRoute', 'Bearer admin_key_1');
    expect(guard.canActivate(ctx)).toBe(true);
    expect(req.apiKeyRole).toBe('admin');
  });

  it('refuses an app key on an admin route or controller with 403', () => {
    expect(codeOf(() => guard.canActivate(contextFor('adminRoute', 'Bearer app_key_one').ctx))).toBe('forbidden');
    expect(codeOf(() => guard.canActivate(contextFor('anything', 'Bearer app_key_one', AdminController).ctx))).toBe('forbidden');
  });

  it.each([
    ['no header', undefined],
    ['an empty header', ''],
    ['another scheme', 'Basic app_key_one'],
    ['no key', 'Bearer '],
    ['an unknown key', 'Bearer app_key_three'],
    ['a prefix of a key', 'Bearer app_key_on'],
    ['a key with a suffix', 'Bearer app_key_onee'],
    ['two keys', 'Bearer app_key_one app_key_two'],
    ['the key in another case', 'Bearer APP_KEY_ONE'],
  ])('answers 401 for %s', (_, header) => {
    expect(codeOf(() => guard.canActivate(contextFor('appRoute', header).ctx))).toBe('unauthorized');
  });

  it('accepts the scheme in any case', () => {
    expect(guard.canActivate(contextFor('appRoute', 'bearer app_key_one').ctx)).toBe(true);
  });

  it('lets anyone call a @Public() route', () => {
    expect(guard.canActivate(contextFor('publicRoute').ctx)).toBe(true);
  });
});
