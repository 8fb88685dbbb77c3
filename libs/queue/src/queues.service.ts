import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { Job, Worker, WorkerOptions } from 'bullmq';
import { APP_CONFIG, AppConfig } from '@app/config';
import { JobHandlers, JobMap, JobOf, QueueDefinition } from './queue-definition';
import { QueueProducer, openQueue } from './queue.producer';
import { closeRedis } from '@app/common';
import { RedisConnection, createRedis, queuePrefix } from './redis';

/** BullMQ worker settings a queue's worker may choose (the connection and prefix are ours). */
export interface WorkerSettings<Jobs extends JobMap> extends Omit<WorkerOptions, 'connection' | 'prefix' | 'autorun'> {
  /** A job failed (an attempt, or for good: compare attemptsMade with opts.attempts). */
  onFailed?: (job: JobOf<Jobs>, error: Error) => void;
  /** The worker's own errors (Redis down...). */
  onError?: (error: Error) => void;
}

/** A running worker: `close()` takes no new job and waits for the jobs in hand to finish. */
export interface QueueWorker {
  readonly queue: string;
  close(): Promise<void>;
}

/**
 * The queue layer of one process: producers (on one fail-fast connection they share) and
 * workers (each on its own blocking connection), for the queues of the catalogues.
 *
 * Nothing consumes jobs until `startWorker` is called, which only the worker process does
 * (apps/worker). Shutdown order: whoever started a worker closes it in
 * beforeApplicationShutdown, letting its jobs finish while producers, Postgres and Celar
 * still work; here, in onApplicationShutdown, any worker left is closed, then the producers,
 * then the connections.
 */
@Injectable()
export class Queues implements OnApplicationShutdown {
  private readonly logger = new Logger(Queues.name);
  private connection?: RedisConnection;
  private readonly producers = new Map<string, QueueProducer<JobMap>>();
  private readonly workers = new Set<QueueWorker>();

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  /** The producer of a queue (one per queue and process). */
  producer<Jobs extends JobMap>(definition: QueueDefinition<Jobs>): QueueProducer<Jobs> {
    let producer = this.producers.get(definition.name);
    if (!producer) {
      this.connection ??= createRedis(this.config, 'producer');
      producer = new QueueProducer(definition, openQueue(this.config, definition.name, this.connection), this.config);
      this.producers.set(definition.name, producer);
    }
    return producer as QueueProducer<Jobs>;
  }

  /**
   * Starts consuming a queue: each job goes to the handler of its name (the map must cover
   * the whole catalogue). A job of a name the catalogue does not know is logged and dropped.
   */
  startWorker<Jobs extends JobMap>(definition: QueueDefinition<Jobs>, handlers: JobHandlers<Jobs>, settings: WorkerSettings<Jobs> = {}): QueueWorker {
    const { onFailed, onError, ...options } = settings;
    const connection = createRedis(this.config, 'worker');
    const dispatch = async (job: Job, token?: string): Promise<unknown> => {
      // The catalogue types each handler's job; a job's name is checked here, once, at run time.
      const byName = handlers as unknown as Record<string, (job: Job, token?: string) => Promise<unknown>>;
      const handler = Object.hasOwn(byName, job.name) ? byName[job.name] : undefined;
      if (!handler) {
        this.logger.warn(`unknown ${definition.name} job ${job.name} ignored`);
        return;
      }
      return handler(job, token);
    };
    const worker = new Worker(definition.name, dispatch, { ...options, connection, prefix: queuePrefix(this.config, definition.name) });
    // An unhandled 'error' event would crash the process.
    worker.on('error', (error) => onError?.(error));
    if (onFailed) worker.on('failed', (job, error) => job && onFailed(job as JobOf<Jobs>, error));
    let closing: Promise<void> | undefined;
    const handle: QueueWorker = {
      queue: definition.name,
      close: () =>
        (closing ??= (async () => {
          await worker.close().catch(() => undefined);
          await closeRedis(connection);
          this.workers.delete(handle);
        })()),
    };
    this.workers.add(handle);
    return handle;
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all([...this.workers].map((worker) => worker.close()));
    await Promise.all([...this.producers.values()].map((producer) => producer.close()));
    this.producers.clear();
    const connection = this.connection;
    this.connection = undefined;
    if (connection) await closeRedis(connection);
  }
}
