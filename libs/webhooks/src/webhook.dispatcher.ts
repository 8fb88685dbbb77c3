import { Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import got, { Got, RequestError } from 'got';
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { APP_CONFIG, AppConfig } from '@app/config';
import { NotificationListener } from '@app/database';
import { MetricsCollector, MetricsService } from '@app/observability';
import { WebhookPayload } from './webhook-event-types';
import { WEBHOOK_EVENTS_CHANNEL } from './webhook-events';
import { DISABLE_AFTER_MS, GIVE_UP_AFTER_MS, retryDelayMs } from './webhook-retry';
import { signedHeaders } from './webhook-signer';
import { AttemptOutcome, ClaimedDelivery, EndpointRow, WebhooksRepository } from './webhooks.repository';

/** How long past the request timeout a claimed attempt stays leased before another worker may retry it. */
const LEASE_MARGIN_MS = 30_000;

interface Lane {
  endpoint: Pick<EndpointRow, 'id' | 'url' | 'secret'>;
  inFlight: number;
}

/**
 * Sends webhook deliveries from Postgres, the record of what is left to send (so a Redis wipe or
 * a killed worker loses nothing). Each enabled endpoint is a lane with its own concurrency
 * (WEBHOOK_CONCURRENCY per process): a slow or failing endpoint fills only its own lane, and
 * none of this shares the sync's queue or workers. Woken by NOTIFY when events commit, by a
 * finished attempt, and by polling (retries come due).
 */
@Injectable()
export class WebhookDispatcher implements OnModuleInit {
  private readonly logger = new Logger(WebhookDispatcher.name);
  private readonly http: Got;
  private readonly agents = { http: new HttpAgent({ keepAlive: true }), https: new HttpsAgent({ keepAlive: true }) };
  private readonly lanes = new Map<string, Lane>();
  private readonly inFlight = new Set<Promise<void>>();
  private readonly wakeup: NotificationListener;
  private running?: Promise<void>;
  private stopped = false;
  private failing = false;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly repository: WebhooksRepository,
    private readonly metrics: MetricsService,
    private readonly collector: MetricsCollector,
  ) {
    this.http = got.extend({
      timeout: { request: config.webhooks.timeoutMs },
      retry: { limit: 0 },
      throwHttpErrors: false,
      followRedirect: false,
      agent: this.agents,
      headers: { 'user-agent': 'customer-sync-webhooks/1' },
    });
    this.wakeup = new NotificationListener(config.databaseUrl, WEBHOOK_EVENTS_CHANNEL, 'customer-sync-webhooks');
  }

  /** Only adds the backlog gauges to scrapes: apps/worker starts and stops the dispatcher with its other runs. */
  onModuleInit(): void {
    this.collector.addScrapeSource('webhook_backlog', {
      dependency: 'postgres',
      refresh: async (metrics) => {
        const { pending, oldestSeconds } = await this.repository.backlog();
        metrics.webhookPending.set(pending);
        metrics.webhookLag.set(oldestSeconds);
      },
    });
  }

  start(): void {
    if (this.running) return;
    this.stopped = false;
    this.wakeup.start();
    this.running = this.loop();
  }

  /** Stops claiming; attempts in flight finish and are recorded (or their leases expire). */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.wakeup.stop();
    await this.running;
    this.running = undefined;
    await Promise.allSettled([...this.inFlight]);
    this.agents.http.destroy();
    this.agents.https.destroy();
  }

  notify(): void {
    this.wakeup.notify();
  }

  /** One pass: refreshes the lanes and claims due deliveries for every lane with room. Returns how many started. */
  async dispatchOnce(): Promise<number> {
    const endpoints = await this.repository.enabledEndpoints();
    const current = new Set(endpoints.map((e) => e.id));
    for (const [id, lane] of this.lanes) if (!current.has(id) && lane.inFlight === 0) this.lanes.delete(id);
    let started = 0;
    const leaseMs = this.config.webhooks.timeoutMs + LEASE_MARGIN_MS;
    for (const endpoint of endpoints) {
      const lane = this.lanes.get(endpoint.id) ?? { endpoint, inFlight: 0 };
      lane.endpoint = endpoint;
      this.lanes.set(endpoint.id, lane);
      const room = this.config.webhooks.concurrency - lane.inFlight;
      if (room <= 0 || this.stopped) continue;
      const claimed = await this.repository.claimDue(endpoint.id, room, leaseMs);
      for (const delivery of claimed) {
        lane.inFlight++;
        started++;
        const attempt = this.attempt(lane.endpoint, delivery).finally(() => {
          lane.inFlight--;
          this.inFlight.delete(attempt);
          this.notify();
        });
        this.inFlight.add(attempt);
      }
    }
    return started;
  }

  private async attempt(endpoint: Lane['endpoint'], delivery: ClaimedDelivery): Promise<void> {
    const payload: WebhookPayload = {
      id: delivery.eventId,
      type: delivery.type,
      created_at: new Date(delivery.eventCreatedAt).toISOString(),
      data: delivery.data,
    };
    const body = JSON.stringify(payload);
    const started = process.hrtime.bigint();
    let outcome: AttemptOutcome;
    let result: string;
    try {
      const response = await this.http.post(endpoint.url, {
        body,
        headers: { 'content-type': 'application/json', ...signedHeaders(endpoint.secret, delivery.eventId, body) },
      });
      result = `${Math.floor(response.statusCode / 100)}xx`;
      outcome =
        response.statusCode >= 200 && response.statusCode < 300
          ? { kind: 'delivered', statusCode: response.statusCode }
          : this.retry(delivery, response.statusCode, `HTTP ${response.statusCode}`);
    } catch (error) {
      const timedOut = error instanceof RequestError && error.code === 'ETIMEDOUT';
      result = timedOut ? 'timeout' : 'network';
      // Only the error's code and message: never the body or headers (the signature).
      const reason = error instanceof RequestError ? `${error.code}: ${error.message}` : (error as Error).message;
      outcome = this.retry(delivery, null, timedOut ? `no answer within ${this.config.webhooks.timeoutMs} ms` : reason);
    }
    this.metrics.webhookAttempts.inc({ result });
    this.metrics.webhookDuration.observe(Number(process.hrtime.bigint() - started) / 1e9);
    try {
      const recorded = await this.repository.recordAttempt(endpoint.id, delivery, outcome);
      if (recorded.status !== 'gone') this.metrics.webhookDeliveries.inc({ outcome: recorded.status });
      if (recorded.status === 'failed') {
        this.logger.warn(`webhook ${delivery.eventId} (${delivery.type}) to endpoint ${endpoint.id} given up after ${delivery.attempts} attempts`);
      }
      if (recorded.endpointDisabled) {
        this.metrics.webhookEndpointsDisabled.inc();
        this.logger.error(`webhook endpoint ${endpoint.id} disabled: every delivery failed for ${DISABLE_AFTER_MS / 3_600_000} h; re-enable it with PATCH {"enabled": true}`);
      }
    } catch (error) {
      // The lease expires and the delivery is attempted again: at least once.
      this.logger.warn(`webhook ${delivery.eventId}: outcome not recorded (${(error as Error).message}); it will be retried`);
    }
  }

  private retry(delivery: ClaimedDelivery, statusCode: number | null, error: string): AttemptOutcome {
    const now = Date.now();
    return {
      kind: 'retry',
      statusCode,
      error,
      delayMs: retryDelayMs(delivery.attempts, this.config.webhooks.retryBaseMs, this.config.webhooks.retryMaxMs),
      giveUpBefore: new Date(now - GIVE_UP_AFTER_MS),
      disableBefore: new Date(now - DISABLE_AFTER_MS),
    };
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      this.wakeup.clear();
      try {
        await this.dispatchOnce();
        if (this.failing) this.logger.log('webhook dispatcher is reading Postgres again');
        this.failing = false;
      } catch (error) {
        if (!this.failing) this.logger.warn(`webhook dispatcher cannot read deliveries (they stay in Postgres): ${(error as Error).message}`);
        this.failing = true;
      }
      if (this.stopped) break;
      if (this.wakeup.pending && !this.failing) continue;
      await this.wakeup.sleep(this.config.sync.pollMs);
    }
  }
}
