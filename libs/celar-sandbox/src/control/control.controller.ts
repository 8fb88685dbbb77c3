import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Put, Query } from '@nestjs/common';
import { SandboxError, SandboxErrorDetail } from '../common/sandbox.error';
import { isPlainObject } from '../customers/customer.validation';
import { BALANCE, CustomerFilter, CustomersService, DEFAULT_CURRENCY } from '../customers/customers.service';
import { FaultsService } from '../gateway/faults.service';
import { IdempotencyService } from '../gateway/idempotency.service';
import { RateLimitService, RateLimitSetting } from '../gateway/rate-limit.service';
import { RequestLogService, RequestStats } from '../gateway/request-log.service';
import { SandboxSettings, SettingsService } from '../settings.service';

/** GET /_control/stats. */
export interface SandboxStats extends RequestStats {
  /** Triggers per fault kind. */
  faultsFired: Record<string, number>;
  customers: number;
  rateLimit: RateLimitSetting | null;
}

/**
 * Test and development control of the sandbox. No authentication: it plays Celar's
 * Dashboard and the network, and only ever listens where the sandbox does.
 */
@Controller('_control')
export class ControlController {
  constructor(
    private readonly customers: CustomersService,
    private readonly settings: SettingsService,
    private readonly faults: FaultsService,
    private readonly rateLimit: RateLimitService,
    private readonly idempotency: IdempotencyService,
    private readonly log: RequestLogService,
  ) {}

  /** Forgets customers, balances, stored idempotent responses, faults, the rate limit, settings, the log and counters. */
  @Post('reset')
  @HttpCode(200)
  reset() {
    this.customers.reset();
    this.settings.reset();
    this.faults.reset();
    this.rateLimit.reset();
    this.idempotency.reset();
    this.log.reset();
    return { reset: true };
  }

  @Get('settings')
  getSettings() {
    return this.settingsView();
  }

  @Patch('settings')
  updateSettings(@Body() body: unknown) {
    const patch = object(body);
    const behaviour = this.settings.parsePatch(patch);
    if (patch.rateLimit !== undefined) this.applyRateLimit(patch.rateLimit);
    if (patch.seed !== undefined) this.reseed(patch.seed as number | null);
    this.settings.update(behaviour);
    return this.settingsView();
  }

  /** `{"requestsPerSecond": n, "burst"?: n}`, or `{"requestsPerSecond": null}` to lift it. */
  @Put('rate-limit')
  setRateLimit(@Body() body: unknown) {
    const input = object(body);
    return { rateLimit: this.applyRateLimit(input.requestsPerSecond === null ? null : input) };
  }

  // ---- customers, as the Dashboard or another client would change them ----

  @Get('customers')
  listCustomers(@Query() query: Record<string, unknown>) {
    const filter: CustomerFilter = {};
    for (const field of ['email', 'type', 'tax_id'] as const) {
      if (typeof query[field] === 'string') filter[field] = query[field];
    }
    if (query.is_active !== undefined) {
      if (query.is_active !== 'true' && query.is_active !== 'false') throw new SandboxError('validation_failed', 'is_active must be true or false');
      filter.is_active = query.is_active === 'true';
    }
    const customers = this.customers.all(filter);
    return { customers, total: customers.length };
  }

  @Post('customers')
  createBehindOurBack(@Body() body: unknown) {
    return this.customers.createBehindOurBack(object(body));
  }

  @Get('customers/:id')
  getCustomer(@Param('id') id: string) {
    return { customer: this.customers.get(id), balance: this.customers.balance(id) };
  }

  /** Any fields; `kyc_status` plays Celar's review (e.g. `approved`), shown while the kycStatus setting is on. */
  @Patch('customers/:id')
  updateBehindOurBack(@Param('id') id: string, @Body() body: unknown) {
    const fields = object(body);
    if (fields.kyc_status !== undefined && fields.kyc_status !== null && (typeof fields.kyc_status !== 'string' || fields.kyc_status === '')) {
      throw new SandboxError('validation_failed', 'kyc_status must be a non-empty string or null', [{ field: 'kyc_status', message: 'invalid' }]);
    }
    return this.customers.updateBehindOurBack(id, fields);
  }

  @Post('customers/:id/deactivate')
  @HttpCode(200)
  deactivateBehindOurBack(@Param('id') id: string) {
    return this.customers.deactivateBehindOurBack(id);
  }

  /** `{"balance": "1250.50", "currency"?: "USDC"}`: the balance is a decimal string, stored and answered as given. */
  @Put('customers/:id/balance')
  setBalance(@Param('id') id: string, @Body() body: unknown) {
    const input = object(body);
    if (typeof input.balance !== 'string' || !BALANCE.test(input.balance)) {
      throw new SandboxError('validation_failed', 'balance must be a decimal string with up to 6 decimals, e.g. "1250.50"', [
        { field: 'balance', message: 'invalid' },
      ]);
    }
    if (input.currency !== undefined && (typeof input.currency !== 'string' || !/^[A-Z0-9]{2,10}$/.test(input.currency))) {
      throw new SandboxError('validation_failed', 'currency must be a code such as USDC', [{ field: 'currency', message: 'invalid' }]);
    }
    return this.customers.setBalance(id, input.balance, (input.currency as string | undefined) ?? DEFAULT_CURRENCY);
  }

  /** `{"verification_document"?: url|null, "incorporation_certificate"?: url|null}`, as a Dashboard upload links them. */
  @Put('customers/:id/documents')
  attachDocument(@Param('id') id: string, @Body() body: unknown) {
    const input = object(body);
    const fields = ['verification_document', 'incorporation_certificate'];
    const problems: SandboxErrorDetail[] = [];
    for (const field of Object.keys(input)) {
      if (!fields.includes(field)) problems.push({ field, message: 'is not a document field' });
      else if (input[field] !== null && !isUrl(input[field])) problems.push({ field, message: 'must be an http(s) URL or null' });
    }
    if (Object.keys(input).length === 0) problems.push({ message: `send ${fields.join(' and/or ')}` });
    if (problems.length > 0) throw new SandboxError('validation_failed', 'invalid documents', problems);
    return this.customers.attachDocument(id, input as { verification_document?: string | null; incorporation_certificate?: string | null });
  }

  // ---- request log and counters ----

  @Get('requests')
  requests(@Query() query: Record<string, unknown>) {
    const str = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);
    let limit: number | undefined;
    if (query.limit !== undefined) {
      limit = Number(query.limit);
      if (!Number.isSafeInteger(limit) || limit < 1) throw new SandboxError('validation_failed', 'limit must be a positive integer');
    }
    const since = str(query.since);
    if (since !== undefined && !/^\d+$/.test(since) && Number.isNaN(Date.parse(since))) {
      throw new SandboxError('validation_failed', 'since must be a seq number or an ISO time');
    }
    const entries = this.log.list({
      since,
      limit,
      method: str(query.method),
      path: str(query.path),
      customerId: str(query.customer_id),
      outcome: str(query.outcome),
    });
    return { entries, lastSeq: this.log.lastSeq };
  }

  @Delete('requests')
  clearRequests() {
    this.log.clear();
    return { cleared: true, lastSeq: this.log.lastSeq };
  }

  @Get('stats')
  stats(): SandboxStats {
    return {
      ...this.log.getStats(),
      faultsFired: { ...this.faults.firedByKind },
      customers: this.customers.count,
      rateLimit: this.rateLimit.get(),
    };
  }

  // ---- faults ----

  @Get('faults')
  listFaults() {
    return { faults: this.faults.list() };
  }

  /** One rule or an array of rules; answers with them, ids assigned. */
  @Post('faults')
  addFaults(@Body() body: unknown) {
    const inputs = Array.isArray(body) ? body : [body];
    if (inputs.length === 0) throw new SandboxError('validation_failed', 'no fault rule given');
    // Validate them all before adding any.
    const before = this.faults.list().map((f) => f.id);
    try {
      return { faults: inputs.map((input) => this.faults.add(input)) };
    } catch (error) {
      for (const rule of this.faults.list()) if (!before.includes(rule.id)) this.faults.remove(rule.id);
      throw error;
    }
  }

  @Delete('faults')
  clearFaults() {
    this.faults.clear();
    return { faults: [] };
  }

  @Delete('faults/:id')
  removeFault(@Param('id') id: string) {
    if (!this.faults.remove(id)) throw new SandboxError('not_found', `no fault rule ${id}`);
    return { removed: id };
  }

  private settingsView(): SandboxSettings {
    return { ...this.settings.get(), rateLimit: this.rateLimit.get(), seed: this.faults.random.seed };
  }

  /** One seed for every draw: fault probabilities and shuffled lists. */
  private reseed(seed: number | null): void {
    this.faults.random.reseed(seed);
    this.customers.listRandom.reseed(seed);
  }

  private applyRateLimit(value: unknown) {
    if (value === null) return this.rateLimit.set(null);
    const input = object(value);
    const rps = input.requestsPerSecond;
    const burst = input.burst;
    if (typeof rps !== 'number' || !(rps > 0) || rps > 100_000) {
      throw new SandboxError('validation_failed', 'rateLimit.requestsPerSecond must be a number above 0 (or null to lift the limit)');
    }
    if (burst !== undefined && (!Number.isInteger(burst) || (burst as number) < 1)) {
      throw new SandboxError('validation_failed', 'rateLimit.burst must be a positive integer');
    }
    return this.rateLimit.set({ requestsPerSecond: rps, burst: burst as number | undefined });
  }
}

function object(body: unknown): Record<string, unknown> {
  if (!isPlainObject(body)) throw new SandboxError('validation_failed', 'the body must be a JSON object');
  return body;
}

function isUrl(value: unknown): boolean {
  if (typeof value !== 'string') return false;
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}
