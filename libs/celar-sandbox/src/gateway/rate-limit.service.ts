import { Injectable } from '@nestjs/common';

export interface RateLimitSetting {
  requestsPerSecond: number;
  /** Bucket size: how many requests may come at once. Defaults to one second's worth (at least 1). */
  burst: number;
}

/** One token bucket over every API call, like a global upstream rate limit. */
@Injectable()
export class RateLimitService {
  private setting: RateLimitSetting | null = null;
  private tokens = 0;
  private refilledAt = 0;

  get(): RateLimitSetting | null {
    return this.setting ? { ...this.setting } : null;
  }

  set(setting: { requestsPerSecond: number; burst?: number } | null): RateLimitSetting | null {
    if (setting === null) {
      this.setting = null;
      return null;
    }
    const burst = setting.burst ?? Math.max(1, Math.floor(setting.requestsPerSecond));
    this.setting = { requestsPerSecond: setting.requestsPerSecond, burst };
    this.tokens = burst;
    this.refilledAt = Date.now();
    return this.get();
  }

  /** Takes a token: 0 when allowed, else the seconds to wait (for Retry-After). */
  take(): number {
    const setting = this.setting;
    if (!setting) return 0;
    const now = Date.now();
    this.tokens = Math.min(setting.burst, this.tokens + ((now - this.refilledAt) / 1000) * setting.requestsPerSecond);
    this.refilledAt = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - this.tokens) / setting.requestsPerSecond));
  }

  reset(): void {
    this.setting = null;
  }
}
