import { Injectable, Optional } from '@nestjs/common';
import { DelayedError, RateLimitError, WaitingChildrenError, WaitingError } from 'bullmq';
import { PinoLogger } from 'nestjs-pino';
// nestjs-pino 4 (the last line for Node 20) keeps its request context here; it has no runInContext helper.
import { Store, storage } from 'nestjs-pino/storage';

/** What identifies a job in its log lines. `request_id` is the API request that caused it, if any. */
export interface JobLogFields {
  queue: string;
  job_id: string | undefined;
  request_id?: string | null;
  [field: string]: unknown;
}

/**
 * One JSON line per job: `run` binds the job's fields to every log made inside it
 * (through nestjs-pino's context, so a plain Nest `Logger` picks them up) and logs
 * one line when the job ends, with its duration and outcome. Only an error's name,
 * code and message are logged: upstream errors can carry request options and bodies.
 */
@Injectable()
export class JobLogger {
  constructor(@Optional() private readonly pino?: PinoLogger) {}

  async run<T>(fields: JobLogFields, fn: () => Promise<T>, outcomeOf?: (result: T) => Record<string, unknown>): Promise<T> {
    const pino = this.pino;
    if (!pino) return fn();
    const bindings = Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined && v !== null));
    return storage.run(
      new Store(pino.logger.child(bindings)),
      async () => {
        const started = performance.now();
        const duration = () => Math.round(performance.now() - started);
        try {
          const result = await fn();
          pino.logger.info({ duration_ms: duration(), ...(outcomeOf?.(result) ?? {}) }, 'job completed');
          return result;
        } catch (error) {
          if (isPostponed(error)) {
            // BullMQ's control flow (moved to delayed, queue rate-limited): not a failure.
            pino.logger.info({ duration_ms: duration(), reason: (error as Error).name }, 'job postponed');
          } else {
            pino.logger.warn({ duration_ms: duration(), err: describeError(error) }, 'job failed');
          }
          throw error;
        }
      },
    );
  }
}

export function describeError(error: unknown): { type: string; code?: unknown; message: string } {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return { type: error.name, ...(code !== undefined ? { code } : {}), message: error.message };
  }
  return { type: typeof error, message: String(error) };
}

function isPostponed(error: unknown): boolean {
  return (
    error instanceof DelayedError ||
    error instanceof RateLimitError ||
    error instanceof WaitingChildrenError ||
    error instanceof WaitingError
  );
}
