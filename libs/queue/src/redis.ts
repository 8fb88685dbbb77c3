import IORedis, { Cluster, Redis, RedisOptions } from 'ioredis';
import { AppConfig } from '@app/config';

/** A connection to our Redis: one server (REDIS_URL) or a Redis Cluster (REDIS_CLUSTER_NODES). */
export type RedisConnection = Redis | Cluster;

/**
 * `worker`: blocking connections for BullMQ workers, which must retry forever.
 * `producer`: fail fast, so a caller sees Redis down at once instead of hanging.
 */
export function createRedis(config: AppConfig, role: 'worker' | 'producer'): RedisConnection {
  const options: RedisOptions =
    role === 'worker'
      ? { maxRetriesPerRequest: null, enableReadyCheck: false }
      : // commandTimeout: a Redis that went silent (no RST) fails the command too, it never hangs the caller.
        { maxRetriesPerRequest: 1, connectTimeout: 2000, commandTimeout: 2000 };
  // TCP keepalives: a connection whose server vanished is noticed and re-opened.
  const common = { keepAlive: 10_000 };
  const retry = (times: number) => Math.min(times * 200, 2000);
  const redis: RedisConnection = config.redisClusterNodes
    ? new Cluster(config.redisClusterNodes, {
        redisOptions: { ...options, ...common },
        // Kept on for producers too: a cluster connection passes through states with no node to
        // send to (slot refreshes, a node re-opened after a stall), where failing every command
        // would turn a blip into errors. Producers stay fail-fast through their own time limits
        // (QueueProducer, the budget, probes and scrapes each give up after a few seconds).
        enableOfflineQueue: true,
        clusterRetryStrategy: retry,
        // A master that moved (failover) is found again by a slot refresh, not by waiting on the old one.
        slotsRefreshTimeout: 2000,
      })
    : new IORedis(config.redisUrl, { ...options, enableOfflineQueue: role === 'worker', ...common, lazyConnect: false, retryStrategy: retry });
  // Errors surface through commands and health checks; an unhandled 'error' event would crash the process.
  redis.on('error', () => undefined);
  return redis;
}

/**
 * Answers when Redis can serve us: PING on one server; on a cluster, PING on every master
 * (a queue or the budget whose slot sits on an unreachable master is down, whatever the others say).
 */
export async function pingRedis(redis: RedisConnection): Promise<void> {
  if (!(redis instanceof Cluster)) {
    await redis.ping();
    return;
  }
  const masters = redis.nodes('master');
  if (masters.length === 0) throw new Error('no Redis Cluster master reachable');
  await Promise.all(masters.map((node) => node.ping()));
}

/**
 * The deployment's own key tag, `{QUEUE_PREFIX}`: the keys that are not a queue's (the Celar
 * budget, the refresh allowance) start with it. The braces make a Redis Cluster keep them in
 * one slot, which the budget's Lua scripts (several keys each) need.
 */
export function bullPrefix(config: AppConfig): string {
  return `{${config.queuePrefix}}`;
}

/**
 * BullMQ's key prefix for one queue. Each queue's keys must share a slot (BullMQ's scripts touch
 * several), so the prefix is hash-tagged. On one Redis every queue keeps `{QUEUE_PREFIX}`, as it
 * always has (keys of a running deployment stay where they are); on a cluster each queue gets its
 * own tag, `{QUEUE_PREFIX:queue}`, so the queues spread over the masters.
 */
export function queuePrefix(config: AppConfig, queueName: string): string {
  return config.redisClusterNodes ? `{${config.queuePrefix}:${queueName}}` : bullPrefix(config);
}
