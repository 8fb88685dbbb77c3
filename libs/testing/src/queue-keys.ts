import IORedis from 'ioredis';
import { closeRedis } from '@app/common';

/** Deletes one test's Redis keys (BullMQ and budget, all under `{prefix}`), never the whole Redis: other runs share it. */
export async function deleteQueueKeys(config: { redisUrl: string; queuePrefix: string }): Promise<void> {
  const redis = new IORedis(config.redisUrl, { maxRetriesPerRequest: 1 });
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `{${config.queuePrefix}}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await redis.unlink(...keys);
    } while (cursor !== '0');
  } finally {
    await closeRedis(redis);
  }
}
