import { Injectable } from '@nestjs/common';

export interface SandboxSettings {
  /** Celar documents Idempotency-Key only for payments: with this on, the sandbox ignores it like Celar may. */
  ignoreIdempotencyKeys: boolean;
  /** Lets creates (and email changes) reuse an email an active customer holds, as a Celar that creates duplicates would. */
  allowDuplicateEmails: boolean;
}

const DEFAULTS: SandboxSettings = { ignoreIdempotencyKeys: false, allowDuplicateEmails: false };

@Injectable()
export class SettingsService {
  private current: SandboxSettings = { ...DEFAULTS };

  get(): SandboxSettings {
    return { ...this.current };
  }

  get ignoreIdempotencyKeys(): boolean {
    return this.current.ignoreIdempotencyKeys;
  }

  get allowDuplicateEmails(): boolean {
    return this.current.allowDuplicateEmails;
  }

  update(patch: Partial<SandboxSettings>): SandboxSettings {
    this.current = { ...this.current, ...patch };
    return this.get();
  }

  reset(): void {
    this.current = { ...DEFAULTS };
  }
}
