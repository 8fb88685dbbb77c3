export { QueueModule } from './queue.module';
export { Queues } from './queues.service';
export type { QueueWorker, WorkerSettings } from './queues.service';
export { QueueProducer, QueueUnavailableError } from './queue.producer';
export type { AddOptions, QueueJobState } from './queue.producer';
export { defineQueue } from './queue-definition';
export type { JobHandlers, JobMap, JobName, JobOf, JobSpec, QueueDefinition } from './queue-definition';
export { bullPrefix, createRedis, pingRedis, queuePrefix } from './redis';
export type { RedisConnection } from './redis';
