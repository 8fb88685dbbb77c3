import IORedis, { Redis, RedisOptions } from 'ioredis';
import { AppConfig } from '@app/config';

/**
 * `worker`: blocking connections for BullMQ workers, which must retry forever.
 * `producer`: fail fast, so a caller sees Redis down at once instead of hanging.
 */
export function createRedis(config: AppConfig, role: 'worker' | 'producer'): Redis {
  const options: RedisOptions =
    role === 'worker'
      ? { maxRetriesPerRequest: null, enableReadyCheck: false }
      : // commandTimeout: a Redis that went silent (no RST) fails the command too, it never hangs the caller.
        { maxRetriesPerRequest: 1, enableOfflineQueue: false, connectTimeout: 2000, commandTimeout: 2000 };
  if (config.redisClusterNodes) {
    // Parsed and validated by the config; the cluster connection itself is still to come.
    throw new Error('REDIS_CLUSTER_NODES is set, but this build does not run on a Redis Cluster yet: set REDIS_URL instead');
  }
  const redis = new IORedis(config.redisUrl, {
    ...options,
    // TCP keepalives: a connection whose server vanished is noticed and re-opened.
    keepAlive: 10_000,
    lazyConnect: false,
    retryStrategy: (times) => Math.min(times * 200, 2000),
  });
  // Errors surface through commands and health checks; an unhandled 'error' event would crash the process.
  redis.on('error', () => undefined);
  return redis;
}

/**
 * BullMQ key prefix. Hash-tagged (`{...}`) so every key of a queue lands in one Redis
 * Cluster slot, which BullMQ's Lua scripts need.
 */
export function bullPrefix(config: AppConfig): string {
  return `{${config.queuePrefix}}`;
}
