import { Injectable } from '@nestjs/common';
import { SandboxError, SandboxErrorDetail } from './common/sandbox.error';
import type { RateLimitSetting } from './gateway/rate-limit.service';

export const LIST_ORDERS = ['newest', 'oldest', 'shuffled'] as const;
export type ListOrder = (typeof LIST_ORDERS)[number];
export const EMAIL_FILTERS = ['honoured', 'ignored'] as const;
export type EmailFilter = (typeof EMAIL_FILTERS)[number];
export const MUTATION_BODIES = ['customer', 'no_content', 'empty', 'message'] as const;
export type MutationBody = (typeof MUTATION_BODIES)[number];

/** How the emulated Celar behaves; each switch plays one way the real Celar may behave (ASSUMPTIONS.md). */
export interface SandboxBehaviour {
  /** Celar documents Idempotency-Key only for payments: with this on, the sandbox ignores it like Celar may. */
  ignoreIdempotencyKeys: boolean;
  /** Lets creates (and email changes) reuse an email an active customer holds, as a Celar that creates duplicates would. */
  allowDuplicateEmails: boolean;
  /** Order of GET /customers; Celar documents none. `shuffled`: a fresh (seeded) shuffle per request. */
  listOrder: ListOrder;
  /** Most items per list page whatever `limit` asks; null: the documented 100. */
  pageCap: number | null;
  /** false: the list envelope has no `total`. */
  listTotal: boolean;
  /** `ignored`: GET /customers?email= has no effect (Celar's docs name no such filter). */
  emailFilter: EmailFilter;
  /** The success answer of PATCH and DELETE: `customer` (200 with it), `no_content` (204), `empty` (200 {}), `message` (200 {message}). */
  mutationBody: MutationBody;
  /** Customers carry `kyc_status` (`pending` on create, `pending_update` after a wallet change). */
  kycStatus: boolean;
  /** Customers also carry `first_name`/`last_name`, split from `name` at the first space. */
  nameParts: boolean;
}

/** The control API's view of the settings: the behaviour plus the rate limit and the random seed. */
export interface SandboxSettings extends SandboxBehaviour {
  rateLimit: RateLimitSetting | null;
  seed: number | null;
}

export interface SandboxSettingsPatch extends Partial<SandboxBehaviour> {
  rateLimit?: { requestsPerSecond: number; burst?: number } | null;
  seed?: number | null;
}

const DEFAULTS: SandboxBehaviour = {
  ignoreIdempotencyKeys: false,
  allowDuplicateEmails: false,
  listOrder: 'newest',
  pageCap: null,
  listTotal: true,
  emailFilter: 'honoured',
  mutationBody: 'customer',
  kycStatus: false,
  nameParts: false,
};

// Each behaviour switch's check: undefined when the value is good, else the problem.
const CHECKS: { [K in keyof SandboxBehaviour]: (value: unknown) => string | undefined } = {
  ignoreIdempotencyKeys: boolean,
  allowDuplicateEmails: boolean,
  listOrder: oneOf(LIST_ORDERS),
  pageCap: (v) => (v === null || (Number.isSafeInteger(v) && (v as number) >= 1) ? undefined : 'must be an integer >= 1 or null'),
  listTotal: boolean,
  emailFilter: oneOf(EMAIL_FILTERS),
  mutationBody: oneOf(MUTATION_BODIES),
  kycStatus: boolean,
  nameParts: boolean,
};
const OTHER_SETTINGS = ['rateLimit', 'seed'];

@Injectable()
export class SettingsService {
  private current: SandboxBehaviour = { ...DEFAULTS };

  get(): SandboxBehaviour {
    return { ...this.current };
  }

  get ignoreIdempotencyKeys(): boolean {
    return this.current.ignoreIdempotencyKeys;
  }

  get allowDuplicateEmails(): boolean {
    return this.current.allowDuplicateEmails;
  }

  get listOrder(): ListOrder {
    return this.current.listOrder;
  }

  get pageCap(): number | null {
    return this.current.pageCap;
  }

  get listTotal(): boolean {
    return this.current.listTotal;
  }

  get emailFilter(): EmailFilter {
    return this.current.emailFilter;
  }

  get mutationBody(): MutationBody {
    return this.current.mutationBody;
  }

  get kycStatus(): boolean {
    return this.current.kycStatus;
  }

  get nameParts(): boolean {
    return this.current.nameParts;
  }

  /** Checks a whole PATCH /_control/settings body (all fields or none apply); returns the behaviour part. */
  parsePatch(patch: Record<string, unknown>): Partial<SandboxBehaviour> {
    const problems: SandboxErrorDetail[] = [];
    const behaviour: Record<string, unknown> = {};
    for (const [field, value] of Object.entries(patch)) {
      if (OTHER_SETTINGS.includes(field)) continue;
      const check = CHECKS[field as keyof SandboxBehaviour] as ((value: unknown) => string | undefined) | undefined;
      if (!check) {
        problems.push({ field, message: 'is not a known setting' });
        continue;
      }
      const problem = check(value);
      if (problem) problems.push({ field, message: problem });
      else behaviour[field] = value;
    }
    if (patch.seed !== undefined && patch.seed !== null && !Number.isInteger(patch.seed)) problems.push({ field: 'seed', message: 'must be an integer or null' });
    if (problems.length > 0) throw new SandboxError('validation_failed', 'invalid settings', problems);
    return behaviour as Partial<SandboxBehaviour>;
  }

  update(patch: Partial<SandboxBehaviour>): SandboxBehaviour {
    this.current = { ...this.current, ...patch };
    return this.get();
  }

  reset(): void {
    this.current = { ...DEFAULTS };
  }
}

function boolean(value: unknown): string | undefined {
  return typeof value === 'boolean' ? undefined : 'must be a boolean';
}

function oneOf(allowed: readonly string[]) {
  return (value: unknown): string | undefined =>
    typeof value === 'string' && allowed.includes(value) ? undefined : `must be one of ${allowed.join(', ')}`;
}
