/** Which process this is, and what its metrics should watch. */
export interface ObservabilityOptions {
  /** `service` field of every log line. */
  service: 'api' | 'worker' | string;
  /** BullMQ queues whose depth `sync_queue_jobs` reports. */
  queues?: string[];
}

export const OBSERVABILITY_OPTIONS = Symbol('OBSERVABILITY_OPTIONS');
/** A fail-fast (producer) Redis connection for probes and queue gauges. */
export const OBSERVABILITY_REDIS = Symbol('OBSERVABILITY_REDIS');
/** The process's root pino logger. */
export const ROOT_LOGGER = Symbol('ROOT_LOGGER');
/** The process's ReadinessPolicy, for HealthController (set by OperationsHttpModule.forRoot). */
export const READINESS_POLICY = Symbol('READINESS_POLICY');
