import { setTimeout as sleep } from 'node:timers/promises';
import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import { from, lastValueFrom, Observable } from 'rxjs';
import { SandboxRequest, SandboxResponse } from '../common/http.types';
import { SandboxError, SandboxErrorDetail, serverErrorCode } from '../common/sandbox.error';
import { isPlainObject } from '../customers/customer.validation';
import { CustomersService } from '../customers/customers.service';
import { SettingsService } from '../settings.service';
import { FaultRule, FaultsService, stripApiPrefix } from './faults.service';
import { IdempotencyService } from './idempotency.service';
import { RateLimitService } from './rate-limit.service';
import { RequestState, requestState } from './request-state';

const MUTATIONS = new Set(['POST', 'PATCH', 'DELETE']);

/**
 * Everything around the emulated API call, in the order a real upstream would meet it:
 * rate limit, faults that strike before acting, Idempotency-Key, latency, the call itself,
 * then faults that strike after acting.
 */
@Injectable()
export class CelarGatewayInterceptor implements NestInterceptor {
  constructor(
    private readonly rateLimit: RateLimitService,
    private readonly faults: FaultsService,
    private readonly idempotency: IdempotencyService,
    private readonly settings: SettingsService,
    private readonly customers: CustomersService,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    // The request log waits for this, so a request whose client gave up is logged with what it did in the end.
    const state = requestState(context.switchToHttp().getResponse<SandboxResponse>());
    state.processing = true;
    const settle = () => {
      state.processing = false;
      state.whenSettled?.();
    };
    return from(this.run(context, next).finally(settle));
  }

  private async run(context: ExecutionContext, next: CallHandler): Promise<unknown> {
    const http = context.switchToHttp();
    const req = http.getRequest<SandboxRequest>();
    const res = http.getResponse<SandboxResponse>();
    const state = requestState(res);
    const method = (req.method ?? 'GET').toUpperCase();
    const path = stripApiPrefix(req.path);
    const targetId = req.params.id;
    if (targetId) state.customerIds = [targetId];

    const wait = this.rateLimit.take();
    if (wait > 0) {
      state.outcome = 'rate_limited';
      res.setHeader('Retry-After', String(wait));
      throw new SandboxError('rate_limited', 'rate limit exceeded, retry later');
    }

    const emails = requestEmails(req.body);
    if (targetId) {
      const email = this.customers.emailOf(targetId);
      if (email) emails.push(email);
    }
    const plan = this.faults.plan({ method, path, emails });
    // The operation runs at actAfterMs whether or not the client is still there; the answer goes at latencyMs.
    const answerAfterAct = plan.latencyMs - plan.actAfterMs;
    if (plan.fault && isBeforeActing(plan.fault)) {
      await delay(plan.latencyMs);
      return this.failBefore(plan.fault, req, res, state);
    }
    if (plan.latencyMs > 0) state.outcome = 'fault:latency';

    const key = MUTATIONS.has(method) && !this.settings.ignoreIdempotencyKeys ? idempotencyKey(req) : undefined;
    const apiKey = state.apiKey ?? '';
    if (key !== undefined) {
      const begun = this.idempotency.begin(apiKey, key, IdempotencyService.fingerprint(method, path, req.body));
      if (begun.kind === 'replay') {
        state.outcome = 'replayed';
        state.customerIds = mergeIds(state.customerIds, customerIdsOf(begun.body));
        res.status(begun.status);
        return begun.body;
      }
    }

    let body: unknown;
    try {
      // The latency sits after the key is reserved: a retry during a slow first call meets 409, as it would upstream.
      await delay(plan.actAfterMs);
      body = await lastValueFrom(next.handle());
    } catch (error) {
      if (key !== undefined) this.idempotency.release(apiKey, key);
      await delay(answerAfterAct);
      throw error;
    }
    if (MUTATIONS.has(method)) state.acted = true;
    state.customerIds = mergeIds(state.customerIds, method === 'POST' ? customerIdsOf(body) : []);
    if (key !== undefined) this.idempotency.complete(apiKey, key, res.statusCode, body);
    await delay(answerAfterAct);

    if (plan.fault?.kind === 'act_then_error') {
      state.outcome = 'fault:act_then_error';
      const status = plan.fault.status ?? 500;
      throw new SandboxError(serverErrorCode(status), 'upstream failure after the request took effect', undefined, status);
    }
    if (plan.fault?.kind === 'act_then_drop') {
      state.outcome = 'fault:act_then_drop';
      drop(res, state);
    }
    return body;
  }

  private failBefore(fault: FaultRule, req: SandboxRequest, res: SandboxResponse, state: RequestState): unknown {
    state.outcome = `fault:${fault.kind}`;
    switch (fault.kind) {
      case 'rate_limited':
        res.setHeader('Retry-After', String(fault.retryAfterSeconds ?? 1));
        throw new SandboxError('rate_limited', 'rate limit exceeded, retry later');
      case 'drop_before':
        drop(res, state);
        return undefined;
      case 'reject': {
        const details = rejectedItems(req.body, fault.email);
        throw new SandboxError('customer_rejected', fault.message ?? 'the customer was rejected by compliance checks', details.length ? details : undefined);
      }
      default: {
        const status = fault.status ?? 500;
        throw new SandboxError(serverErrorCode(status), 'upstream failure', undefined, status);
      }
    }
  }
}

function isBeforeActing(fault: FaultRule): boolean {
  return fault.kind === 'error' || fault.kind === 'rate_limited' || fault.kind === 'drop_before' || fault.kind === 'reject';
}

function drop(res: SandboxResponse, state: RequestState): void {
  state.dropped = true;
  res.socket?.destroy();
}

function idempotencyKey(req: SandboxRequest): string | undefined {
  const value = req.headers['idempotency-key'];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.length === 0 || value.length > 255) {
    throw new SandboxError('validation_failed', 'Idempotency-Key must be 1 to 255 characters', [{ field: 'Idempotency-Key', message: 'invalid' }]);
  }
  return value;
}

function requestEmails(body: unknown): string[] {
  const items = Array.isArray(body) ? body : [body];
  return items.flatMap((item) => (isPlainObject(item) && typeof item.email === 'string' ? [item.email] : []));
}

function rejectedItems(body: unknown, emails: string[] | null): SandboxErrorDetail[] {
  if (!emails) return [];
  const bulk = Array.isArray(body);
  const items = bulk ? body : [body];
  const details: SandboxErrorDetail[] = [];
  items.forEach((item, index) => {
    if (isPlainObject(item) && typeof item.email === 'string' && emails.includes(item.email.toLowerCase())) {
      details.push({ ...(bulk ? { index } : {}), field: 'email', message: 'this customer cannot be accepted' });
    }
  });
  return details;
}

function customerIdsOf(body: unknown): string[] {
  if (!isPlainObject(body)) return [];
  if (Array.isArray(body.customers)) return body.customers.flatMap((c) => (isPlainObject(c) && typeof c.id === 'string' ? [c.id] : []));
  if (isPlainObject(body.customer) && typeof body.customer.id === 'string') return [body.customer.id];
  return [];
}

function mergeIds(a: string[], b: string[]): string[] {
  return b.length === 0 ? a : [...new Set([...a, ...b])];
}

function delay(ms: number): Promise<void> {
  // unref: a request held by a latency fault must not keep a closing process (or test) alive.
  return ms > 0 ? sleep(ms, undefined, { ref: false }) : Promise.resolve();
}
