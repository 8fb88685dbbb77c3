import { existsSync } from 'node:fs';
import { parseByteSize, parseInterval } from './duration';

export class ConfigError extends Error {}

/** A `host:port` seed node of a Redis Cluster. */
export interface RedisNode {
  host: string;
  port: number;
}

/** Every setting the processes read, typed. Built once at start by `loadConfig`. */
export interface AppConfig {
  databaseUrl: string;
  redisUrl: string;
  /** REDIS_CLUSTER_NODES; when set, REDIS_URL is ignored. */
  redisClusterNodes: RedisNode[] | null;
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
    /** Largest share of the budget a reconciliation run takes while sync work waits (0..1). */
    reconcileBudgetShare: number;
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
  /** Tries of a reconciliation job before it gives up (tuning). */
  reconcileJobAttempts: number;
  logLevel: string;
  /** Always above CELAR_TIMEOUT_MS: a request in flight at SIGTERM is let finish. */
  shutdownTimeoutMs: number;
}

export const SETTINGS = [
  'DATABASE_URL',
  'REDIS_URL',
  'REDIS_CLUSTER_NODES',
  'QUEUE_PREFIX',
  'PORT',
  'WORKER_PORT',
  'CELAR_BASE_URL',
  'CELAR_API_KEY',
  'SANDBOX_PORT',
  'SANDBOX_HOST',
  'API_KEYS',
  'BODY_LIMIT',
  'ADMIN_API_KEYS',
  'BALANCE_RECONCILE_EVERY',
  'RECORD_RECONCILE_EVERY',
  'CELAR_TIMEOUT_MS',
  'CELAR_SETTLE_MS',
  'CELAR_REQUESTS_PER_SECOND',
  'RECONCILE_BUDGET_SHARE',
  'WEBHOOK_TIMEOUT_MS',
  'WEBHOOK_CONCURRENCY',
  'WEBHOOK_RETRY_BASE_MS',
  'WEBHOOK_RETRY_MAX_MS',
  'SYNC_CONCURRENCY',
  'SYNC_BACKOFF_BASE_MS',
  'SYNC_BACKOFF_MAX_MS',
  'SYNC_RESWEEP_AFTER_MS',
  'SYNC_LEASE_MS',
  'OUTBOX_POLL_MS',
  'RECONCILE_JOB_ATTEMPTS',
  'LOG_LEVEL',
  'SHUTDOWN_TIMEOUT_MS',
] as const;
export type SettingName = (typeof SETTINGS)[number];

const REDIS: SettingName[] = ['REDIS_URL', 'REDIS_CLUSTER_NODES', 'QUEUE_PREFIX'];
const CELAR: SettingName[] = ['CELAR_BASE_URL', 'CELAR_API_KEY', 'CELAR_TIMEOUT_MS', 'CELAR_SETTLE_MS', 'CELAR_REQUESTS_PER_SECOND', 'RECONCILE_BUDGET_SHARE'];
const COMMON: SettingName[] = ['LOG_LEVEL', 'SHUTDOWN_TIMEOUT_MS'];

/**
 * What each process reads: a setting it does not read is neither required nor validated
 * (the API starts without SANDBOX_PORT, the migrations with DATABASE_URL alone).
 */
export const PROCESS_SETTINGS = {
  api: ['DATABASE_URL', ...REDIS, ...CELAR, 'PORT', 'API_KEYS', 'ADMIN_API_KEYS', 'BODY_LIMIT', 'RECONCILE_JOB_ATTEMPTS', ...COMMON],
  worker: [
    'DATABASE_URL',
    ...REDIS,
    ...CELAR,
    'WORKER_PORT',
    'BALANCE_RECONCILE_EVERY',
    'RECORD_RECONCILE_EVERY',
    'WEBHOOK_TIMEOUT_MS',
    'WEBHOOK_CONCURRENCY',
    'WEBHOOK_RETRY_BASE_MS',
    'WEBHOOK_RETRY_MAX_MS',
    'SYNC_CONCURRENCY',
    'SYNC_BACKOFF_BASE_MS',
    'SYNC_BACKOFF_MAX_MS',
    'SYNC_RESWEEP_AFTER_MS',
    'SYNC_LEASE_MS',
    'OUTBOX_POLL_MS',
    'RECONCILE_JOB_ATTEMPTS',
    ...COMMON,
  ],
  migrate: ['DATABASE_URL', 'LOG_LEVEL'],
  cli: ['PORT', 'ADMIN_API_KEYS', 'LOG_LEVEL'],
  sandbox: ['SANDBOX_PORT', 'SANDBOX_HOST', 'CELAR_API_KEY', 'LOG_LEVEL'],
  /** `npm run dev` and tests: every process at once. */
  all: [...SETTINGS],
} satisfies Record<string, SettingName[]>;
export type ProcessName = keyof typeof PROCESS_SETTINGS;

/** The shutdown budget beyond one Celar request: the lookups and bookkeeping that follow it. */
const SHUTDOWN_MARGIN_MS = 5000;

type Env = Record<string, string | undefined>;

/**
 * Loads `.env` from the working directory (real environment variables win), then validates
 * the settings `process` reads. Every problem is listed in one line; nothing is read twice.
 */
export function loadConfig(env: Env = process.env, envFile = '.env', processName: ProcessName = 'all'): AppConfig {
  if (env === process.env && envFile && existsSync(envFile)) process.loadEnvFile(envFile);
  const uses = new Set<SettingName>(PROCESS_SETTINGS[processName]);
  const problems: string[] = [];
  const read = new EnvReader(env, problems, uses);
  const redisClusterNodes = read.redisNodes('REDIS_CLUSTER_NODES');
  const celarTimeoutMs = read.integer('CELAR_TIMEOUT_MS', 100, 120_000, '10000');
  const config: AppConfig = {
    databaseUrl: read.url('DATABASE_URL', ['postgres:', 'postgresql:']),
    // A cluster replaces the single server: REDIS_URL is then neither needed nor read.
    redisUrl: redisClusterNodes ? '' : read.url('REDIS_URL', ['redis:', 'rediss:']),
    redisClusterNodes,
    queuePrefix: read.matching('QUEUE_PREFIX', /^[A-Za-z0-9_{}:.-]{1,64}$/, 'letters, digits and _ - . : { }', 'customer-sync'),
    port: read.port('PORT', '3000'),
    workerPort: read.port('WORKER_PORT', '3001'),
    sandboxPort: read.port('SANDBOX_PORT', '4010'),
    sandboxHost: read.host('SANDBOX_HOST', '127.0.0.1'),
    celar: {
      baseUrl: read.url('CELAR_BASE_URL', ['http:', 'https:']).replace(/\/+$/, ''),
      apiKey: read.matching('CELAR_API_KEY', /^\S+$/, 'a non-empty key without spaces'),
      requestsPerSecond: read.integer('CELAR_REQUESTS_PER_SECOND', 1, 10_000, '20'),
      timeoutMs: celarTimeoutMs,
      settleMs: read.integer('CELAR_SETTLE_MS', 0, 3_600_000, '30000'),
      reconcileBudgetShare: read.fraction('RECONCILE_BUDGET_SHARE', '0.5'),
    },
    appApiKeys: read.keyList('API_KEYS'),
    adminApiKeys: read.keyList('ADMIN_API_KEYS'),
    bodyLimitBytes: read.byteSize('BODY_LIMIT', '2mb'),
    balanceReconcileEveryMs: read.interval('BALANCE_RECONCILE_EVERY', '15m'),
    recordReconcileEveryMs: read.interval('RECORD_RECONCILE_EVERY', '1h'),
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
    reconcileJobAttempts: read.integer('RECONCILE_JOB_ATTEMPTS', 1, 100, '8'),
    logLevel: read.oneOf('LOG_LEVEL', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], 'info'),
    // Default: two Celar requests (the one in flight, then its follow-up lookup) plus a margin.
    shutdownTimeoutMs: read.integer('SHUTDOWN_TIMEOUT_MS', 100, 600_000, String(2 * celarTimeoutMs + SHUTDOWN_MARGIN_MS)),
  };
  if (uses.has('CELAR_TIMEOUT_MS') && config.celar.timeoutMs >= 30_000) {
    // BullMQ's job lock is 30 s: a request must end well before another worker may take the job.
    problems.push('CELAR_TIMEOUT_MS must be below 30000 (the job lock)');
  }
  if (uses.has('CELAR_TIMEOUT_MS') && uses.has('SHUTDOWN_TIMEOUT_MS') && config.shutdownTimeoutMs < config.celar.timeoutMs + 1000) {
    // Shorter, and every deploy would cut Celar requests in flight (uncertain creates).
    problems.push(`SHUTDOWN_TIMEOUT_MS must exceed CELAR_TIMEOUT_MS by at least 1000 (at least ${config.celar.timeoutMs + 1000})`);
  }
  if (problems.length > 0) throw new ConfigError(`invalid configuration: ${problems.join('; ')}`);
  guardUnread(config, 'databaseUrl', 'DATABASE_URL', uses);
  if (!redisClusterNodes) guardUnread(config, 'redisUrl', 'REDIS_URL', uses);
  guardUnread(config.celar, 'baseUrl', 'CELAR_BASE_URL', uses);
  guardUnread(config.celar, 'apiKey', 'CELAR_API_KEY', uses);
  guardUnread(config, 'appApiKeys', 'API_KEYS', uses);
  guardUnread(config, 'adminApiKeys', 'ADMIN_API_KEYS', uses);
  return config;
}

/** A setting without a built-in value that this process did not read: using it anyway is a bug, said loudly. */
function guardUnread<T extends object>(target: T, key: keyof T & string, name: SettingName, uses: Set<SettingName>): void {
  if (uses.has(name)) return;
  Object.defineProperty(target, key, {
    enumerable: false,
    get: () => {
      throw new Error(`${name} is not a setting of this process (see PROCESS_SETTINGS)`);
    },
  });
}

class EnvReader {
  constructor(
    private readonly env: Env,
    private readonly problems: string[],
    private readonly uses: Set<SettingName>,
  ) {}

  /** The value to parse: the environment's, else `fallback`; a setting the process does not read gives its fallback. */
  private raw(name: SettingName, fallback?: string): string | undefined {
    if (!this.uses.has(name)) return fallback;
    const value = this.env[name];
    if (value !== undefined && value.trim() !== '') return value.trim();
    if (fallback !== undefined) return fallback;
    this.problems.push(`${name} is missing`);
    return undefined;
  }

  url(name: SettingName, protocols: string[]): string {
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

  matching(name: SettingName, pattern: RegExp, description: string, fallback?: string): string {
    const value = this.raw(name, fallback);
    if (value === undefined) return '';
    if (!pattern.test(value)) this.problems.push(`${name} must be ${description}`);
    return value;
  }

  integer(name: SettingName, min: number, max: number, fallback: string): number {
    const value = this.raw(name, fallback) ?? fallback;
    const n = Number(value);
    if (!/^\d+$/.test(value) || n < min || n > max) {
      this.problems.push(`${name} must be an integer from ${min} to ${max}`);
      return Number(fallback);
    }
    return n;
  }

  host(name: SettingName, fallback: string): string {
    const value = this.raw(name, fallback) ?? fallback;
    if (!/^[A-Za-z0-9.:[\]-]+$/.test(value)) this.problems.push(`${name} must be a host name or IP address, e.g. 127.0.0.1 or 0.0.0.0`);
    return value;
  }

  /** A number from 0 to 1 (a share). */
  fraction(name: SettingName, fallback: string): number {
    const value = this.raw(name, fallback) ?? fallback;
    const n = Number(value);
    if (!/^(0|1)?(\.\d+)?$/.test(value) || value === '' || value === '.' || !(n >= 0 && n <= 1)) {
      this.problems.push(`${name} must be a number from 0 to 1, such as 0.5`);
      return Number(fallback);
    }
    return n;
  }

  port(name: SettingName, fallback: string): number {
    return this.integer(name, 0, 65535, fallback);
  }

  keyList(name: SettingName): string[] {
    const value = this.raw(name);
    if (value === undefined) return [];
    const keys = value.split(',').map((k) => k.trim());
    if (keys.some((k) => k.length < 8 || /\s/.test(k))) {
      this.problems.push(`${name} must be comma-separated keys of at least 8 characters`);
    }
    return keys;
  }

  byteSize(name: SettingName, fallback: string): number {
    const value = this.raw(name, fallback) ?? fallback;
    const bytes = parseByteSize(value);
    if (bytes === undefined) this.problems.push(`${name} must be a size such as 2mb, 512kb or 1048576`);
    return bytes ?? 0;
  }

  interval(name: SettingName, fallback: string): number | null {
    const value = this.raw(name, fallback) ?? fallback;
    const ms = parseInterval(value);
    if (ms === undefined) this.problems.push(`${name} must be an interval such as 30s, 15m, 1h, or off`);
    return ms ?? null;
  }

  oneOf(name: SettingName, allowed: string[], fallback: string): string {
    const value = this.raw(name, fallback) ?? fallback;
    if (!allowed.includes(value)) this.problems.push(`${name} must be one of ${allowed.join(', ')}`);
    return value;
  }

  /** Comma-separated `host:port` list; unset gives null. */
  redisNodes(name: SettingName): RedisNode[] | null {
    const value = this.raw(name, '');
    if (!value) return null;
    const nodes: RedisNode[] = [];
    for (const part of value.split(',').map((p) => p.trim())) {
      const match = /^([A-Za-z0-9.-]+|\[[0-9A-Fa-f:]+\]):(\d{1,5})$/.exec(part);
      const port = match ? Number(match[2]) : 0;
      if (!match || port < 1 || port > 65535) {
        this.problems.push(`${name} must be comma-separated host:port pairs, such as redis-1:6379,redis-2:6379`);
        return null;
      }
      nodes.push({ host: match[1].replace(/^\[|\]$/g, ''), port });
    }
    return nodes;
  }
}
