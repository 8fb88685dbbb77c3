import { randomBytes } from 'node:crypto';
import { customerResponses } from '@app/customers';
import { Sql } from '@app/database';
import { customerEventFor, WebhookEventType } from './webhook-event-types';

export interface NewWebhookEvent {
  type: WebhookEventType;
  /** Events of one customer reach each endpoint in the order they were appended. */
  customerId?: string | null;
  data: Record<string, unknown>;
}

export const WEBHOOK_EVENTS_CHANNEL = 'webhook_events';

export function newEventId(): string {
  return `evt_${randomBytes(12).toString('hex')}`;
}

/**
 * The producer side of webhooks: events are written in the caller's transaction, with one
 * delivery row per subscribed endpoint, so an event exists exactly when the change it
 * reports committed (the outbox pattern). The worker's WebhookDispatcher sends them.
 */
export const WebhookEvents = {
  /** Appends events in the caller's open transaction (`sql`, from inTransaction). */
  async append(sql: Sql, events: NewWebhookEvent[]): Promise<void> {
    if (events.length === 0) return;
    // Per-customer order is the order of `seq`; a transaction-level lock per customer makes
    // seq order the commit order too, so a later event can never be visible before an earlier one.
    const customers = [...new Set(events.map((e) => e.customerId).filter((id): id is string => !!id))].sort();
    if (customers.length > 0) {
      await sql.rows(`SELECT pg_advisory_xact_lock(hashtextextended('webhook-order:' || id, 0)) FROM unnest($1::text[]) AS id ORDER BY id`, [
        customers,
      ]);
    }
    await sql.rows(
      `WITH ev AS (
         INSERT INTO webhook_events (id, type, customer_id, data)
         SELECT id, type, customer_id, data::jsonb FROM unnest($1::text[], $2::text[], $3::uuid[], $4::text[]) WITH ORDINALITY
                AS v(id, type, customer_id, data, n) ORDER BY n
         RETURNING id, seq, type, customer_id)
       INSERT INTO webhook_deliveries (endpoint_id, event_id, event_seq, order_key, next_attempt_at)
       SELECT e.id, ev.id, ev.seq, coalesce(ev.customer_id::text, ev.id),
              -- behind a customer's delivery that waits for a retry: due no earlier than it
              greatest(now(), (SELECT max(p.next_attempt_at) FROM webhook_deliveries p
                                WHERE p.endpoint_id = e.id AND p.order_key = ev.customer_id::text AND p.status = 'pending'))
         FROM ev JOIN webhook_endpoints e ON e.enabled AND (e.types IS NULL OR ev.type = ANY (e.types))`,
      [
        events.map(() => newEventId()),
        events.map((e) => e.type),
        events.map((e) => e.customerId ?? null),
        events.map((e) => JSON.stringify(e.data)),
      ],
    );
    await sql.rows(`SELECT pg_notify($1, '')`, [WEBHOOK_EVENTS_CHANNEL]);
  },

  /**
   * Events that carry `data.customer` (the customer as the API shows it, read in the caller's
   * transaction, so as this change left it), in the order given.
   */
  async appendForCustomers(sql: Sql, items: { customerId: string; type: WebhookEventType }[]): Promise<void> {
    if (items.length === 0) return;
    const found = await customerResponses(sql, items.map((i) => i.customerId));
    const byId = new Map(found.map((c) => [c.id, c]));
    await WebhookEvents.append(
      sql,
      items.filter((i) => byId.has(i.customerId)).map((i) => ({ type: i.type, customerId: i.customerId, data: { customer: byId.get(i.customerId) } })),
    );
  },

  /** customer.synced / updated / deactivated for the operation kinds a transaction completed for one customer. */
  async appendOperationsDone(sql: Sql, customerId: string, kinds: ('create' | 'update' | 'deactivate')[]): Promise<void> {
    const order = ['create', 'update', 'deactivate'] as const;
    const done = order.filter((k) => kinds.includes(k));
    await WebhookEvents.appendForCustomers(sql, done.map((kind) => ({ customerId, type: customerEventFor(kind) })));
  },

  /** reconciliation.run_finished: `run` as the admin API shows it. */
  async appendRunFinished(sql: Sql, run: object): Promise<void> {
    await WebhookEvents.append(sql, [{ type: 'reconciliation.run_finished', data: { run } }]);
  },

  /** reconciliation.case_opened: `case` as the admin API shows it; ordered with its customer's events when it has one. */
  async appendCaseOpened(sql: Sql, openedCase: { customer_id?: string | null } & object): Promise<void> {
    await WebhookEvents.append(sql, [{ type: 'reconciliation.case_opened', customerId: openedCase.customer_id ?? null, data: { case: openedCase } }]);
  },
};
