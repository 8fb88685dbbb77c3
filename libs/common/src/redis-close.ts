/** What closing needs of an ioredis connection (structural, so libs/common needs no Redis client). */
export interface ClosableRedis {
  status: string;
  quit(): Promise<unknown>;
  disconnect(): void;
}

/**
 * The one way to close a Redis connection: QUIT (replies in flight are read first) when it is
 * up, else drop it, since QUIT on a connection that is down would wait for a reconnect.
 */
export async function closeRedis(redis: ClosableRedis): Promise<void> {
  if (redis.status === 'ready') await redis.quit().catch(() => redis.disconnect());
  else redis.disconnect();
}
