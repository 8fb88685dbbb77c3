import { existsSync } from 'node:fs';
import { parseByteSize, parseInterval } from './duration';

export class ConfigError extends Error {}

/** Every setting the processes read, typed. Built once at start by `loadConfig`. */
export interface AppConfig {
  databaseUrl: string;
  redisUrl: string;
  queuePrefix: string;
  port: number;
  workerPort: number;
  sandboxPort: number;
  /** Interface the sandbox binds; loopback unless told (its control API has no key). */
  sandboxHost: string;
  celar: {
    baseUrl: string;
    apiKey: string;
    /** Global budget of Celar requests per second, shared by every worker process. */
    requestsPerSecond: number;
    timeoutMs: number;
    /** How long after the client gave up on a request Celar may still act on it. */
    settleMs: number;
  };
  appApiKeys: string[];
  adminApiKeys: string[];
  bodyLimitBytes: number;
  balanceReconcileEveryMs: number | null;
  recordReconcileEveryMs: number | null;
  sync: {
    concurrency: number;
    backoffBaseMs: number;
    backoffMaxMs: number;
    /** How long an enqueued operation may stay unfinished before the relay enqueues it again (lost job). */
    resweepAfterMs: number;
    pollMs: number;
    /** How long a drain holds a customer unless it renews: a holder that died frees it after this. */
    leaseMs: number;
  };
  webhooks: {
    /** How long a PSP app's endpoint has to answer one delivery. */
    timeoutMs: number;
    /** Deliveries in flight at once per endpoint, per worker process. */
    concurrency: number;
    /** The first retry's delay; each later one doubles, up to retryMaxMs. */
    retryBaseMs: number;
    retryMaxMs: number;
  };
  logLevel: string;
  shutdownTimeoutMs: number;
}

type Env = Record<string, string | undefined>;

/** Loads `.env` from the working directory (real environment variables win), then validates. */
export function loadConfig(env: Env = process.env, envFile = '.env'): AppConfig {
  if (env === process.env && existsSync(envFile)) process.loadEnvFile(envFile);
  const problems: string[] = [];
  const read = new EnvReader(env, problems);
  const config: AppConfig = {
    databaseUrl: read.url('DATABASE_URL', ['postgres:', 'postgresql:']),
    redisUrl: read.url('REDIS_URL', ['redis:', 'rediss:']),
    queuePrefix: read.matching('QUEUE_PREFIX', /^[A-Za-z0-9_{}:.-]{1,64}$/, 'letters, digits and _ - . : { }'),
    port: read.port('PORT'),
    workerPort: read.port('WORKER_PORT'),
    sandboxPort: read.port('SANDBOX_PORT'),
    sandboxHost: read.host('SANDBOX_HOST', '127.0.0.1'),
    celar: {
      baseUrl: read.url('CELAR_BASE_URL', ['http:', 'https:']).replace(/\/+$/, ''),
      apiKey: read.matching('CELAR_API_KEY', /^\S+$/, 'a non-empty key without spaces'),
      requestsPerSecond: read.integer('CELAR_REQUESTS_PER_SECOND', 1, 10_000, '20'),
      timeoutMs: read.integer('CELAR_TIMEOUT_MS', 100, 120_000, '10000'),
      settleMs: read.integer('CELAR_SETTLE_MS', 0, 3_600_000, '30000'),
    },
    appApiKeys: read.keyList('API_KEYS'),
    adminApiKeys: read.keyList('ADMIN_API_KEYS'),
    bodyLimitBytes: read.byteSize('BODY_LIMIT'),
    balanceReconcileEveryMs: read.interval('BALANCE_RECONCILE_EVERY'),
    recordReconcileEveryMs: read.interval('RECORD_RECONCILE_EVERY'),
    sync: {
      concurrency: read.integer('SYNC_CONCURRENCY', 1, 1000, '16'),
      backoffBaseMs: read.integer('SYNC_BACKOFF_BASE_MS', 1, 3_600_000, '1000'),
      backoffMaxMs: read.integer('SYNC_BACKOFF_MAX_MS', 1, 86_400_000, '60000'),
      resweepAfterMs: read.integer('SYNC_RESWEEP_AFTER_MS', 1000, 86_400_000, '60000'),
      pollMs: read.integer('OUTBOX_POLL_MS', 50, 60_000, '1000'),
      leaseMs: read.integer('SYNC_LEASE_MS', 1000, 600_000, '60000'),
    },
    webhooks: {
      timeoutMs: read.integer('WEBHOOK_TIMEOUT_MS', 100, 120_000, '15000'),
      concurrency: read.integer('WEBHOOK_CONCURRENCY', 1, 1000, '8'),
      // The contract: the first retry within 10 s, later ones capped at 1 h.
      retryBaseMs: read.integer('WEBHOOK_RETRY_BASE_MS', 1, 10_000, '5000'),
      retryMaxMs: read.integer('WEBHOOK_RETRY_MAX_MS', 1, 3_600_000, '3600000'),
    },
    logLevel: read.oneOf('LOG_LEVEL', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], 'info'),
    shutdownTimeoutMs: read.integer('SHUTDOWN_TIMEOUT_MS', 100, 600_000, '10000'),
  };
  if (config.celar.timeoutMs >= 30_000) {
    // BullMQ's job lock is 30 s: a request must end well before another worker may take the job.
    problems.push('CELAR_TIMEOUT_MS must be below 30000 (the job lock)');
  }
  if (problems.length > 0) throw new ConfigError(`invalid configuration: ${problems.join('; ')}`);
  return config;
}

class EnvReader {
  constructor(
    private readonly env: Env,
    private readonly problems: string[],
  ) {}

  private raw(name: string, fallback?: string): string | undefined {
    const value = this.env[name];
    if (value !== undefined && value.trim() !== '') return value.trim();
    if (fallback !== undefined) return fallback;
    this.problems.push(`${name} is missing`);
    return undefined;
  }

  url(name: string, protocols: string[]): string {
    const value = this.raw(name);
    if (value === undefined) return '';
    try {
      const url = new URL(value);
      if (protocols.includes(url.protocol)) return value;
    } catch {
      // reported below
    }
    this.problems.push(`${name} must be a URL starting with ${protocols.map((p) => `${p}//`).join(' or ')}`);
    return '';
  }

  matching(name: string, pattern: RegExp, description: string): string {
    const value = this.raw(name);
    if (value === undefined) return '';
    if (!pattern.test(value)) this.problems.push(`${name} must be ${description}`);
    return value;
  }

  integer(name: string, min: number, max: number, fallback?: string): number {
    const value = this.raw(name, fallback);
    if (value === undefined) return 0;
    const n = Number(value);
    if (!/^\d+$/.test(value) || n < min || n > max) {
      this.problems.push(`${name} must be an integer from ${min} to ${max}`);
      return 0;
    }
    return n;
  }

  host(name: string, fallback: string): string {
    const value = this.raw(name, fallback) ?? fallback;
    if (!/^[A-Za-z0-9.:[\]-]+$/.test(value)) this.problems.push(`${name} must be a host name or IP address, e.g. 127.0.0.1 or 0.0.0.0`);
    return value;
  }

  port(name: string): number {
    return this.integer(name, 0, 65535);
  }

  keyList(name: string): string[] {
    const value = this.raw(name);
    if (value === undefined) return [];
    const keys = value.split(',').map((k) => k.trim());
    if (keys.some((k) => k.length < 8 || /\s/.test(k))) {
      this.problems.push(`${name} must be comma-separated keys of at least 8 characters`);
    }
    return keys;
  }

  byteSize(name: string): number {
    const value = this.raw(name);
    if (value === undefined) return 0;
    const bytes = parseByteSize(value);
    if (bytes === undefined) this.problems.push(`${name} must be a size such as 2mb, 512kb or 1048576`);
    return bytes ?? 0;
  }

  interval(name: string): number | null {
    const value = this.raw(name);
    if (value === undefined) return null;
    const ms = parseInterval(value);
    if (ms === undefined) this.problems.push(`${name} must be an interval such as 30s, 15m, 1h, or off`);
    return ms ?? null;
  }

  oneOf(name: string, allowed: string[], fallback: string): string {
    const value = this.raw(name, fallback) ?? fallback;
    if (!allowed.includes(value)) this.problems.push(`${name} must be one of ${allowed.join(', ')}`);
    return value;
  }
}
