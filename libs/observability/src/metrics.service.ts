import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Seconds; Celar calls and API requests both sit well inside 10 s. */
const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** The states BullMQ counts per queue, as they appear in `sync_queue_jobs{state}`. */
export const QUEUE_STATES = ['waiting', 'active', 'delayed', 'prioritized', 'waiting-children', 'failed', 'completed'] as const;

const OPERATION_KINDS = ['create', 'update', 'deactivate'];
/** synced: applied at Celar; failed: refused for good (customer held); retry / rate_limited / unauthorized: tried again later. */
export const SYNC_OUTCOMES = ['synced', 'failed', 'retry', 'rate_limited', 'unauthorized'] as const;

export interface CelarCallEvent {
  /** A route template such as `GET /customers/:id`, never a raw URL. */
  route: string;
  /** HTTP status, or a word (`timeout`, `network`) when no answer came. */
  status: number | string;
  durationMs: number;
}

/**
 * One prom-client registry per app (not the global one, so two apps in one test process
 * do not mix their series). Counters move where things happen; gauges of state held elsewhere
 * (queue depth, the outbox, runs, webhook deliveries) are set on scrape by `MetricsCollector`'s sources.
 */
export class MetricsService {
  readonly registry = new Registry();

  readonly httpRequests = new Counter({
    name: 'http_requests_total',
    help: 'HTTP requests answered, by method, route template and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [this.registry],
  });

  readonly httpDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request latency, by method, route template and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });

  readonly syncOperations = new Counter({
    name: 'sync_operations_total',
    help: 'Sync job attempts by operation kind (create, update, deactivate) and outcome',
    labelNames: ['kind', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly queueJobs = new Gauge({
    name: 'sync_queue_jobs',
    help: 'Jobs in each BullMQ queue by state (read on scrape)',
    labelNames: ['queue', 'state'] as const,
    registers: [this.registry],
  });

  readonly oldestWaitingAge = new Gauge({
    name: 'sync_oldest_waiting_operation_age_seconds',
    help: 'Age of the oldest accepted change not yet applied at Celar (0 when none)',
    registers: [this.registry],
  });

  readonly outboxBacklog = new Gauge({
    name: 'outbox_backlog',
    help: 'Accepted changes still pending in the Postgres outbox',
    registers: [this.registry],
  });

  readonly dependencyUp = new Gauge({
    name: 'dependency_up',
    help: '1 when the dependency answered during the last scrape, 0 when it did not',
    labelNames: ['dependency'] as const,
    registers: [this.registry],
  });

  readonly celarRequests = new Counter({
    name: 'celar_requests_total',
    help: 'Requests sent to Celar, by route template and status (or timeout/network)',
    labelNames: ['route', 'status'] as const,
    registers: [this.registry],
  });

  readonly celarDuration = new Histogram({
    name: 'celar_request_duration_seconds',
    help: 'Celar request latency by route template',
    labelNames: ['route'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });

  readonly reconciliationRuns = new Counter({
    name: 'reconciliation_runs_finished_total',
    help: 'Reconciliation runs ended, by kind and final status',
    labelNames: ['kind', 'status'] as const,
    registers: [this.registry],
  });

  readonly reconciliationFindings = new Counter({
    name: 'reconciliation_findings_total',
    help: 'Findings of ended reconciliation runs, by run kind and finding kind',
    labelNames: ['kind', 'finding'] as const,
    registers: [this.registry],
  });

  readonly reconciliationDuration = new Histogram({
    name: 'reconciliation_run_duration_seconds',
    help: 'Time from a reconciliation run starting to its end',
    labelNames: ['kind'] as const,
    buckets: [1, 5, 15, 60, 300, 900, 3600],
    registers: [this.registry],
  });

  readonly webhookDeliveries = new Counter({
    name: 'webhook_deliveries_total',
    help: 'Webhook delivery attempts ended, by outcome: delivered, retry (failed, tried again later), failed (given up)',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  readonly webhookAttempts = new Counter({
    name: 'webhook_delivery_attempts_total',
    help: "Webhook requests sent to PSP apps' endpoints, by result: the status class (2xx, 4xx...), timeout or network",
    labelNames: ['result'] as const,
    registers: [this.registry],
  });

  readonly webhookDuration = new Histogram({
    name: 'webhook_delivery_duration_seconds',
    help: "Time a PSP app's endpoint took to answer a delivery (or to fail)",
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });

  readonly webhookEndpointsDisabled = new Counter({
    name: 'webhook_endpoints_disabled_total',
    help: 'Webhook endpoints disabled after failing every delivery for days',
    registers: [this.registry],
  });

  readonly webhookPending = new Gauge({
    name: 'webhook_pending_deliveries',
    help: 'Webhook deliveries not yet made to enabled endpoints (read on scrape)',
    registers: [this.registry],
  });

  readonly webhookLag = new Gauge({
    name: 'webhook_oldest_undelivered_age_seconds',
    help: 'Age of the oldest event not yet delivered to an enabled endpoint (0 when none; read on scrape)',
    registers: [this.registry],
  });

  readonly reconciliationRunsByStatus = new Gauge({
    name: 'reconciliation_runs',
    help: 'Reconciliation runs in the database, by kind and status (queued/running ones are active)',
    labelNames: ['kind', 'status'] as const,
    registers: [this.registry],
  });

  readonly oldestActiveRunAge = new Gauge({
    name: 'reconciliation_oldest_active_run_age_seconds',
    help: 'Age of the oldest queued or running reconciliation run (0 when none): a run that never ends shows here',
    registers: [this.registry],
  });

  readonly celarBudgetSlots = new Counter({
    name: 'celar_budget_slots_total',
    help: 'Slots of the shared Celar request budget taken by this process, by purpose (sync, reconcile, refresh)',
    labelNames: ['purpose'] as const,
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
    // Known label sets start at 0, so a rate() works from the first event on.
    for (const purpose of ['sync', 'reconcile', 'refresh']) this.celarBudgetSlots.inc({ purpose }, 0);
    for (const kind of OPERATION_KINDS) {
      for (const outcome of SYNC_OUTCOMES) this.syncOperations.inc({ kind, outcome }, 0);
    }
    for (const outcome of ['delivered', 'retry', 'failed']) this.webhookDeliveries.inc({ outcome }, 0);
  }

  /** Matches CelarRequestBudget's `onSlot` hook. */
  celarBudgetSlot(purpose: string): void {
    this.celarBudgetSlots.inc({ purpose });
  }

  observeHttp(method: string, route: string, status: number, seconds: number): void {
    const labels = { method, route, status: String(status) };
    this.httpRequests.inc(labels);
    this.httpDuration.observe(labels, seconds);
  }

  /** Called by the sync processor once an attempt's outcome is known. */
  syncOperation(kind: string, outcome: string): void {
    this.syncOperations.inc({ kind, outcome });
  }

  /** Called once a reconciliation run has ended. */
  reconciliationRunFinished(
    run: { kind: string; status: string; startedAt: Date | null; finishedAt: Date | null },
    findingCounts: { kind: string; count: number }[],
  ): void {
    this.reconciliationRuns.inc({ kind: run.kind, status: run.status });
    for (const { kind, count } of findingCounts) this.reconciliationFindings.inc({ kind: run.kind, finding: kind }, count);
    if (run.startedAt && run.finishedAt) {
      this.reconciliationDuration.observe({ kind: run.kind }, (run.finishedAt.getTime() - run.startedAt.getTime()) / 1000);
    }
  }

  /** Matches CelarClient's `onCall` hook. */
  celarCall(event: CelarCallEvent): void {
    const status = String(event.status);
    this.celarRequests.inc({ route: event.route, status });
    this.celarDuration.observe({ route: event.route }, event.durationMs / 1000);
  }
}
