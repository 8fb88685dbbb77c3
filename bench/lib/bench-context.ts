import { randomBytes } from 'node:crypto';
import IORedis from 'ioredis';
import { Client } from 'pg';
import { runMigrations } from '@app/database';

/** Settings of one `npm run bench`, from the environment (all optional). */
export interface BenchSettings {
  quick: boolean;
  /** Seconds per measurement of one target (ours or baseline) in one round. */
  measureSeconds: number;
  /** Ours/baseline alternations per HTTP benchmark; the median of the rounds is reported. */
  rounds: number;
  connections: number;
  /** Largest row count of the scale benchmark (10k -> 100k -> 1M). */
  scaleMax: number;
  /** Largest queue size of the queue-cost measurement. */
  queueMax: number;
  /** Customers per sync-throughput measurement. */
  syncCustomers: number;
  /** Creates synced under the rate limit, and that limit (requests/s). */
  rateLimitCustomers: number;
  rateLimit: number;
  /** Worker process counts of the scale-out benchmark. */
  workerCounts: number[];
  /** Only these sections (comma-separated names), or all. */
  only: string[] | null;
  redisUrl: string;
  serverUrl: string;
  /** Run the API child with --cpu-prof (profiles land in bench/results/profiles). */
  cpuProfile: boolean;
}

function intEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw.replace(/_/g, ''));
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number`);
  return Math.floor(value);
}

export function loadBenchSettings(): BenchSettings {
  const quick = process.env.BENCH_QUICK === '1' || process.env.BENCH_QUICK === 'true';
  const only = process.env.BENCH_ONLY?.trim();
  return {
    quick,
    measureSeconds: intEnv('BENCH_SECONDS', quick ? 3 : 5),
    rounds: intEnv('BENCH_ROUNDS', quick ? 1 : 3),
    connections: intEnv('BENCH_CONNECTIONS', 32),
    scaleMax: intEnv('BENCH_SCALE_MAX', quick ? 100_000 : 1_000_000),
    queueMax: intEnv('BENCH_QUEUE_MAX', quick ? 20_000 : 100_000),
    syncCustomers: intEnv('BENCH_SYNC_CUSTOMERS', quick ? 500 : 2000),
    rateLimitCustomers: intEnv('BENCH_RATE_LIMIT_CUSTOMERS', quick ? 200 : 1000),
    rateLimit: intEnv('BENCH_RATE_LIMIT', quick ? 40 : 50),
    workerCounts: (process.env.BENCH_WORKERS ?? '1,2,4').split(',').map((n) => Number(n.trim())).filter((n) => n > 0),
    only: only ? only.split(',').map((s) => s.trim()) : null,
    redisUrl: process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379',
    serverUrl: process.env.BENCH_DATABASE_SERVER_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
    cpuProfile: process.env.BENCH_CPU_PROF === '1',
  };
}

/** Keys the API children accept (8+ characters, as config demands). */
export const BENCH_APP_KEY = 'bench_app_key';
export const BENCH_ADMIN_KEY = 'bench_admin_key';
export const SANDBOX_KEY = 'bench_sandbox_key';

/**
 * What one run made and must clean up: its databases (all named customer_sync_bench_<run>_*)
 * and its Redis keys (all under queue prefixes cs-bench-<run>-*).
 */
export class BenchContext {
  readonly runId = `${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;
  private readonly databases: string[] = [];
  private readonly prefixes: string[] = [];

  constructor(readonly settings: BenchSettings) {}

  databaseUrl(name: string): string {
    const url = new URL(this.settings.serverUrl);
    url.pathname = `/${name}`;
    return url.toString();
  }

  /** A fresh, migrated database for one target of one benchmark. */
  async createDatabase(label: string): Promise<string> {
    const name = `customer_sync_bench_${this.runId}_${label}`.toLowerCase();
    this.databases.push(name);
    const url = this.databaseUrl(name);
    await runMigrations(url);
    return url;
  }

  /** A queue prefix of this run (QUEUE_PREFIX; BullMQ keys are `{prefix}:...`). */
  queuePrefix(label: string): string {
    const prefix = `cs-bench-${this.runId}-${label}`;
    this.prefixes.push(prefix);
    return prefix;
  }

  async withDatabase<T>(url: string, fn: (client: Client) => Promise<T>): Promise<T> {
    const client = new Client({ connectionString: url, application_name: 'customer-sync-bench' });
    await client.connect();
    try {
      return await fn(client);
    } finally {
      await client.end();
    }
  }

  redis(): IORedis {
    return new IORedis(this.settings.redisUrl, { maxRetriesPerRequest: 3 });
  }

  /** Deletes the Redis keys under one of this run's prefixes (only those: the Redis is shared). */
  async cleanRedisPrefix(prefix: string): Promise<number> {
    const redis = this.redis();
    let deleted = 0;
    try {
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `{${prefix}}*`, 'COUNT', 1000);
        cursor = next;
        if (keys.length) deleted += await redis.unlink(...keys);
      } while (cursor !== '0');
    } finally {
      redis.disconnect();
    }
    return deleted;
  }

  async cleanup(): Promise<string[]> {
    const problems: string[] = [];
    for (const prefix of this.prefixes) {
      await this.cleanRedisPrefix(prefix).catch((e: Error) => problems.push(`redis ${prefix}: ${e.message}`));
    }
    await this.withDatabase(this.settings.serverUrl, async (client) => {
      for (const name of this.databases) {
        await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`).catch((e: Error) => problems.push(`drop ${name}: ${e.message}`));
      }
    }).catch((e: Error) => problems.push(`postgres: ${e.message}`));
    return problems;
  }
}

/** The environment of an API or worker child: every setting explicit, schedules off. */
export function appEnv(
  settings: BenchSettings,
  overrides: Record<string, string> & { DATABASE_URL: string; QUEUE_PREFIX: string },
): Record<string, string> {
  return {
    REDIS_URL: settings.redisUrl,
    PORT: '0',
    WORKER_PORT: '0',
    SANDBOX_PORT: '0',
    CELAR_BASE_URL: 'http://127.0.0.1:9/api/v1',
    CELAR_API_KEY: SANDBOX_KEY,
    API_KEYS: BENCH_APP_KEY,
    ADMIN_API_KEYS: BENCH_ADMIN_KEY,
    BODY_LIMIT: '2mb',
    BALANCE_RECONCILE_EVERY: 'off',
    RECORD_RECONCILE_EVERY: 'off',
    LOG_LEVEL: 'warn',
    ...overrides,
  };
}
