import { Job, JobsOptions } from 'bullmq';
import { AppConfig } from '@app/config';

/** A queue's jobs: an interface naming each job with its payload type. */
export type JobMap = object;
export type JobName<Jobs extends JobMap> = keyof Jobs & string;

/** A job of `name` as its handler receives it, payload typed. */
export type JobOf<Jobs extends JobMap, N extends JobName<Jobs> = JobName<Jobs>> = {
  [K in N]: Job<Jobs[K], unknown, K>;
}[N];

/** What the catalogue says about one job. */
export interface JobSpec<Data> {
  /** Options of every job of this name (attempts, backoff, retention); may depend on the settings. */
  options: JobsOptions | ((config: AppConfig) => JobsOptions);
  /**
   * The job's id from its payload: adding a job whose id exists is a no-op, so producers
   * may repeat themselves. Without it BullMQ numbers jobs itself.
   */
  id?: (data: Data) => string;
}

/** One queue: its BullMQ name and, for every job name, its payload type (Jobs) and spec. */
export interface QueueDefinition<Jobs extends JobMap> {
  readonly name: string;
  readonly jobs: { readonly [N in JobName<Jobs>]: JobSpec<Jobs[N]> };
}

/**
 * Declares a queue's job catalogue, shared by its producers and its worker, so a payload
 * change breaks the build rather than a running queue. Every job name needs a spec.
 */
export function defineQueue<Jobs extends JobMap>(name: string, jobs: QueueDefinition<Jobs>['jobs']): QueueDefinition<Jobs> {
  return { name, jobs };
}

/** A handler for each job of the queue: a missing one does not compile. */
export type JobHandlers<Jobs extends JobMap> = {
  readonly [N in JobName<Jobs>]: (job: JobOf<Jobs, N>, token?: string) => Promise<unknown>;
};
