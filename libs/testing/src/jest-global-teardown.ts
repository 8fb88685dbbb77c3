import IORedis from 'ioredis';
import { belongsToRun, runKeyPattern, TEST_DB_PREFIX, withServer } from './test-database';

/** Deletes the BullMQ keys of every queue prefix this run made. */
async function deleteRunKeys(template: string): Promise<void> {
  const redis = new IORedis(process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379', { maxRetriesPerRequest: 1, lazyConnect: true });
  try {
    await redis.connect();
    const stream = redis.scanStream({ match: runKeyPattern(template), count: 1000 });
    for await (const keys of stream as AsyncIterable<string[]>) if (keys.length) await redis.unlink(...keys);
  } catch {
    // Redis down at the end of a run: nothing to clean that matters (it keeps nothing on disk here).
  } finally {
    redis.disconnect();
  }
}

export default async function globalTeardown(): Promise<void> {
  const template = process.env.TEST_TEMPLATE_DB;
  if (!template || process.env.KEEP_TEST_DATABASES) return;
  await deleteRunKeys(template);
  const run = template.replace(/_tpl$/, '');
  await withServer(async (c) => {
    const { rows } = await c.query<{ datname: string }>(`SELECT datname FROM pg_database WHERE starts_with(datname, $1)`, [TEST_DB_PREFIX]);
    for (const { datname } of rows) {
      if (belongsToRun(datname, run)) await c.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
    }
  });
}
