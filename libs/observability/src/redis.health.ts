import { Inject, Injectable } from '@nestjs/common';
import { HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';
import { RedisConnection, pingRedis } from '@app/queue';
import { OBSERVABILITY_REDIS } from './observability.options';
import { withTimeout } from '@app/common';

/**
 * PING on a fail-fast connection (on a cluster, every master), bounded: a Redis that hangs reads
 * as down, it never hangs the probe.
 */
@Injectable()
export class RedisHealthIndicator {
  constructor(
    private readonly indicators: HealthIndicatorService,
    @Inject(OBSERVABILITY_REDIS) private readonly redis: RedisConnection,
  ) {}

  async pingCheck(key: string, timeoutMs = 1000): Promise<HealthIndicatorResult> {
    const check = this.indicators.check(key);
    try {
      await withTimeout(pingRedis(this.redis), timeoutMs, key);
      return check.up();
    } catch (error) {
      return check.down({ message: error instanceof Error && /no answer/.test(error.message) ? 'timeout' : 'unreachable' });
    }
  }
}
