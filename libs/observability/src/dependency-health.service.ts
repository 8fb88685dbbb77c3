import { Injectable, Logger, OnModuleDestroy, ServiceUnavailableException } from '@nestjs/common';
import { HealthCheckResult, HealthCheckService, TypeOrmHealthIndicator } from '@nestjs/terminus';
import { RedisHealthIndicator } from './redis.health';

export type Dependency = 'postgres' | 'redis';

/** What makes a process ready: it cannot work without `required`; `reported` are named in the body only. */
export interface ReadinessPolicy {
  required: Dependency[];
  reported?: Dependency[];
}

export interface Readiness {
  ready: boolean;
  /** terminus' shape: `status`, and `info` / `error` / `details` naming each dependency. */
  body: HealthCheckResult;
}

const PROBE_TIMEOUT_MS = 1000;

/**
 * Readiness from terminus' checks. Each process says which dependencies it cannot
 * work without (`required`); the others are reported but do not make it unready.
 * A dependency going down or coming back is logged once, not on every probe.
 */
@Injectable()
export class DependencyHealthService implements OnModuleDestroy {
  private readonly logger = new Logger('Health');
  private readonly lastState = new Map<string, string>();
  private stopping = false;

  constructor(
    private readonly health: HealthCheckService,
    private readonly typeorm: TypeOrmHealthIndicator,
    private readonly redis: RedisHealthIndicator,
  ) {}

  /** The first shutdown hook: from here on the process drains, and says so (503 shutting_down). */
  onModuleDestroy(): void {
    this.stopping = true;
  }

  async readiness(required: Dependency[], reported: Dependency[] = []): Promise<Readiness> {
    const checks = [...new Set([...required, ...reported])].map((dependency) =>
      dependency === 'postgres'
        ? () => this.typeorm.pingCheck('postgres', { timeout: PROBE_TIMEOUT_MS })
        : () => this.redis.pingCheck('redis', PROBE_TIMEOUT_MS),
    );
    let result: HealthCheckResult;
    try {
      result = await this.health.check(checks);
    } catch (error) {
      // terminus throws its full result when a check is down or the app is shutting down.
      if (!(error instanceof ServiceUnavailableException)) throw error;
      result = error.getResponse() as HealthCheckResult;
    }
    this.logChanges(result);
    const shuttingDown = this.stopping || result.status === 'shutting_down';
    const ready = !shuttingDown && required.every((d) => result.details[d]?.status === 'up');
    return { ready, body: { ...result, status: shuttingDown ? 'shutting_down' : ready ? 'ok' : 'error' } };
  }

  private logChanges(result: HealthCheckResult): void {
    for (const [dependency, { status }] of Object.entries(result.details)) {
      const before = this.lastState.get(dependency);
      this.lastState.set(dependency, status);
      if (before === status || (before === undefined && status === 'up')) continue;
      if (status === 'up') this.logger.log(`${dependency} is up again`);
      else this.logger.warn(`${dependency} is down`);
    }
  }
}
