import { randomBytes } from 'node:crypto';
import { Queue } from 'bullmq';
import IORedis from 'ioredis';
import { AppConfig } from '@app/config';
import { defineQueue } from './queue-definition';
import { QueueUnavailableError } from './queue.producer';
import { Queues } from './queues.service';
import { queuePrefix } from './redis';

// Real Redis, under a unique prefix: what the queue layer promises its users.
interface TestJobs {
  work: { id: string; sleepMs?: number };
  after: { id: string };
}
const TEST_JOBS = defineQueue<TestJobs>('queue-layer-test', {
  work: { options: { removeOnComplete: { count: 100 } }, id: ({ id }) => `work-${id}` },
  after: { options: {}, id: ({ id }) => `after-${id}` },
});

function config(redisUrl = 'redis://127.0.0.1:6379'): AppConfig {
  return { redisUrl, redisClusterNodes: null, queuePrefix: `cs-test-queue-${randomBytes(4).toString('hex')}` } as AppConfig;
}

async function until(probe: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`${what} did not happen within 10 s`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('Queues', () => {
  const settings = config();
  const redis = new IORedis(settings.redisUrl);
  let queues: Queues;

  beforeEach(() => {
    queues = new Queues(settings);
  });

  afterEach(async () => {
    await queues.onApplicationShutdown();
  });

  afterAll(async () => {
    const keys = await redis.keys(`${queuePrefix(settings, TEST_JOBS.name)}*`);
    if (keys.length) await redis.del(...keys);
    await redis.quit();
  });

  it('runs a job once per catalogue id; replaceFinished runs a finished one again', async () => {
    const seen: string[] = [];
    queues.startWorker(TEST_JOBS, {
      work: async (job) => {
        seen.push(job.data.id);
      },
      after: async () => undefined,
    });
    const producer = queues.producer(TEST_JOBS);
    await producer.addBulk('work', [{ id: 'a' }, { id: 'a' }]);
    await until(async () => (await producer.jobState('work', { id: 'a' })) === 'completed', 'job a completing');
    await producer.add('work', { id: 'a' });
    expect(await producer.jobState('work', { id: 'a' })).toBe('completed');
    expect(seen).toEqual(['a']);

    await producer.add('work', { id: 'a' }, { replaceFinished: true });
    await until(async () => seen.length === 2, 'job a running again');
    expect(seen).toEqual(['a', 'a']);
  });

  it('gives each job to the handler of its name, and drops a name the catalogue does not know', async () => {
    const seen: string[] = [];
    queues.startWorker(TEST_JOBS, {
      work: async (job) => void seen.push(`work ${job.data.id}`),
      after: async (job) => void seen.push(`after ${job.data.id}`),
    });
    const raw = new Queue(TEST_JOBS.name, { connection: redis, prefix: queuePrefix(settings, TEST_JOBS.name) });
    await raw.add('unknown', { id: 'x' }, { jobId: 'unknown-x' });
    await queues.producer(TEST_JOBS).add('after', { id: 'b' });
    await until(async () => (await raw.getJobState('unknown-x')) === 'completed' && seen.length === 1, 'both jobs ending');
    expect(seen).toEqual(['after b']);
    await raw.close();
  });

  it('closes workers first: a job in hand finishes and can still enqueue, then producers close', async () => {
    const producer = queues.producer(TEST_JOBS);
    let started = false;
    queues.startWorker(TEST_JOBS, {
      work: async (job) => {
        started = true;
        await new Promise((r) => setTimeout(r, job.data.sleepMs));
        await producer.add('after', { id: job.data.id });
      },
      after: async () => undefined,
    });
    await producer.add('work', { id: 'c', sleepMs: 500 });
    await until(async () => started, 'job c starting');
    await queues.onApplicationShutdown();

    const raw = new Queue(TEST_JOBS.name, { connection: redis, prefix: queuePrefix(settings, TEST_JOBS.name) });
    expect(await raw.getJobState('work-c')).toBe('completed');
    expect(await raw.getJobState('after-c')).toBe('waiting');
    await raw.close();
    await expect(producer.add('after', { id: 'late' })).rejects.toBeInstanceOf(QueueUnavailableError);
  });

  it('tells a producer whose Redis is down within its time limit, as QueueUnavailableError', async () => {
    const down = new Queues(config('redis://127.0.0.1:1'));
    try {
      await expect(down.producer(TEST_JOBS).add('work', { id: 'd' })).rejects.toBeInstanceOf(QueueUnavailableError);
    } finally {
      await down.onApplicationShutdown();
    }
  });
});

// Compile-time guarantees, checked by `npm run typecheck`: never called.
export function catalogueTypes(queues: Queues): void {
  // @ts-expect-error a handler map must cover every job of the catalogue
  queues.startWorker(TEST_JOBS, { work: async () => undefined });
  // @ts-expect-error a payload must have its job's type
  void queues.producer(TEST_JOBS).add('after', { id: 1 });
  // @ts-expect-error a job name must be in the catalogue
  void queues.producer(TEST_JOBS).add('other', { id: 'x' });
}
