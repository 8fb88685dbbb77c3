import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@app/config';
import { withTimeout } from '@app/common';
import { OBSERVABILITY_REDIS } from '@app/observability';
import { RedisConnection, bullPrefix } from '@app/queue';

/** `?refresh=true` calls one API key may make per window: a few, so no key can spend the shared Celar budget. */
export const REFRESHES_PER_WINDOW = 6;
const WINDOW_MS = 60_000;
/** A Redis that does not answer by then counts as down. */
const REDIS_WAIT_MS = 2000;

// Counts one call in the key's current window; answers the count and the ms left in the window.
const COUNT = `
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return {n, redis.call('PTTL', KEYS[1])}
`;

export type RefreshVerdict = { allowed: true } | { allowed: false; retryAfterS: number };

/**
 * The per-API-key allowance of `?refresh=true` (a fixed window in Redis, shared by every API
 * process). With Redis down it lets calls through, as the Celar budget itself then does.
 */
@Injectable()
export class RefreshAllowance {
  private readonly logger = new Logger(RefreshAllowance.name);
  private readonly prefix: string;

  constructor(
    @Inject(OBSERVABILITY_REDIS) private readonly redis: RedisConnection,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.prefix = `${bullPrefix(config)}:balance-refresh`;
  }

  async take(apiKeyHash: string): Promise<RefreshVerdict> {
    try {
      const [count, ttlMs] = (await withTimeout(this.redis.eval(COUNT, 1, `${this.prefix}:${apiKeyHash}`, WINDOW_MS), REDIS_WAIT_MS, 'redis')) as [number, number];
      if (count <= REFRESHES_PER_WINDOW) return { allowed: true };
      return { allowed: false, retryAfterS: Math.max(1, Math.ceil((ttlMs > 0 ? ttlMs : WINDOW_MS) / 1000)) };
    } catch (error) {
      this.logger.warn(`balance refresh allowance unavailable (Redis), letting the call through: ${(error as Error).message}`);
      return { allowed: true };
    }
  }
}
