import { JobsOptions, JobState, Queue } from 'bullmq';
import { withTimeout } from '@app/common';
import { AppConfig } from '@app/config';
import { JobMap, JobName, QueueDefinition } from './queue-definition';
import { RedisConnection, queuePrefix } from './redis';

/** How long a producer waits for Redis before telling its caller Redis is down. */
const REDIS_WAIT_MS = 3000;

/** Redis did not answer a producer (down, or silent for REDIS_WAIT_MS). */
export class QueueUnavailableError extends Error {}

/** A job's state; `unknown` when no job holds the id (never added, lost, or removed). */
export type QueueJobState = JobState | 'unknown';

/** Finished jobs keep their id, so an add with that id does nothing until they are removed. */
const FINISHED: QueueJobState[] = ['completed', 'failed'];

export interface AddOptions {
  /** Removes first a finished job holding the id, so the job runs again (a re-sweep, a restart). */
  replaceFinished?: boolean;
}

/**
 * The one way to put jobs on a queue: names, payloads, ids and options come from the queue's
 * catalogue, and every call either answers within REDIS_WAIT_MS or fails with
 * QueueUnavailableError (the API answers 503, the relay leaves operations in Postgres).
 * Made and closed by Queues.
 */
export class QueueProducer<Jobs extends JobMap> {
  private readonly options: { [N in JobName<Jobs>]?: JobsOptions } = {};

  constructor(
    private readonly definition: QueueDefinition<Jobs>,
    private readonly queue: Queue,
    config: AppConfig,
  ) {
    for (const name of Object.keys(definition.jobs) as JobName<Jobs>[]) {
      const { options } = definition.jobs[name];
      this.options[name] = typeof options === 'function' ? options(config) : options;
    }
  }

  get name(): string {
    return this.definition.name;
  }

  /** Adds one job; with an id in the catalogue, adding it again while it exists does nothing. */
  async add<N extends JobName<Jobs>>(name: N, data: Jobs[N], options: AddOptions = {}): Promise<void> {
    await this.addBulk(name, [data], options);
  }

  /** Adds jobs of one name in one round trip. */
  async addBulk<N extends JobName<Jobs>>(name: N, items: Jobs[N][], options: AddOptions = {}): Promise<void> {
    if (items.length === 0) return;
    const jobs = items.map((data) => ({ name, data, opts: { ...this.options[name], jobId: this.idOf(name, data) } }));
    await this.guard(async () => {
      if (options.replaceFinished) await this.removeFinished(jobs.map((job) => job.opts.jobId));
      await this.queue.addBulk(jobs);
    });
  }

  /** The state of the job of `name` for `data` (by its catalogue id). */
  jobState<N extends JobName<Jobs>>(name: N, data: Jobs[N]): Promise<QueueJobState> {
    return this.guard(() => this.queue.getJobState(this.requireId(name, data)));
  }

  /** Why the job of `name` for `data` failed, if it did and is still kept. */
  failedReason<N extends JobName<Jobs>>(name: N, data: Jobs[N]): Promise<string | undefined> {
    return this.guard(async () => (await this.queue.getJob(this.requireId(name, data)))?.failedReason || undefined);
  }

  /** Holds every worker of the queue back for `ms` (the upstream said slow down). */
  rateLimit(ms: number): Promise<void> {
    return this.guard(() => this.queue.rateLimit(ms));
  }

  /** Adds a job of `name` every `everyMs` (a BullMQ job scheduler; upserting keeps its next time). */
  async schedule<N extends JobName<Jobs>>(schedulerId: string, everyMs: number, name: N, data: Jobs[N]): Promise<void> {
    await this.guard(() => this.queue.upsertJobScheduler(schedulerId, { every: everyMs }, { name, data, opts: this.options[name] }));
  }

  async unschedule(schedulerId: string): Promise<void> {
    await this.guard(() => this.queue.removeJobScheduler(schedulerId));
  }

  /** Closes the queue; its connection belongs to Queues. */
  async close(): Promise<void> {
    await this.queue.close().catch(() => undefined);
  }

  private async removeFinished(jobIds: (string | undefined)[]): Promise<void> {
    const ids = jobIds.filter((id): id is string => id !== undefined);
    const states = await Promise.all(ids.map((id) => this.queue.getJobState(id)));
    await Promise.all(ids.filter((_, i) => FINISHED.includes(states[i])).map((id) => this.queue.remove(id)));
  }

  private idOf<N extends JobName<Jobs>>(name: N, data: Jobs[N]): string | undefined {
    return this.definition.jobs[name].id?.(data);
  }

  private requireId<N extends JobName<Jobs>>(name: N, data: Jobs[N]): string {
    const id = this.idOf(name, data);
    if (id === undefined) throw new Error(`jobs '${name}' of queue ${this.name} have no id in the catalogue`);
    return id;
  }

  private async guard<T>(command: () => Promise<T>): Promise<T> {
    try {
      return await withTimeout(command(), REDIS_WAIT_MS, 'Redis');
    } catch (error) {
      throw new QueueUnavailableError((error as Error).message);
    }
  }
}

/** The BullMQ queue behind a producer, on `connection` with the queue's own prefix. */
export function openQueue(config: AppConfig, name: string, connection: RedisConnection): Queue {
  const queue = new Queue(name, { connection, prefix: queuePrefix(config, name) });
  // Errors surface through the calls (and health checks); an unhandled 'error' event would crash the process.
  queue.on('error', () => undefined);
  return queue;
}
