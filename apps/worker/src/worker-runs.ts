import { BeforeApplicationShutdown, Inject, Injectable, OnApplicationBootstrap, Provider, Type } from '@nestjs/common';

/** Something the worker process runs: started once the application is up, stopped before it closes. */
export interface Runnable {
  start(): void;
  /** Takes no new work and waits for the work in hand to finish. */
  stop(): Promise<void>;
}

const RUNS = Symbol('WORKER_RUNS');

/**
 * Starts the runs in order once every module is initialised, and stops them all together in
 * beforeApplicationShutdown: their jobs in hand finish while the producers, Postgres and
 * Celar they use are still open (those close in onApplicationShutdown, after this).
 */
@Injectable()
class WorkerRunner implements OnApplicationBootstrap, BeforeApplicationShutdown {
  constructor(@Inject(RUNS) private readonly runs: Runnable[]) {}

  onApplicationBootstrap(): void {
    for (const run of this.runs) run.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await Promise.all(this.runs.map((run) => run.stop()));
  }
}

/** Providers that run `runs` (each a provider the module can inject) for the life of the application. */
export function workerRuns(runs: Type<Runnable>[]): Provider[] {
  return [{ provide: RUNS, useFactory: (...instances: Runnable[]) => instances, inject: runs }, WorkerRunner];
}
