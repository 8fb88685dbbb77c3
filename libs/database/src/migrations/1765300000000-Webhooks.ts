import { MigrationInterface, QueryRunner } from 'typeorm';

/** Events to PSP apps: endpoints, the events (an outbox written with the change), one delivery per event and endpoint. */
export class Webhooks1765300000000 implements MigrationInterface {
  name = 'Webhooks1765300000000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE webhook_endpoints (
        id uuid PRIMARY KEY,
        url text NOT NULL,
        types text[],
        description text,
        enabled boolean NOT NULL DEFAULT true,
        secret text NOT NULL,
        failing_since timestamptz,
        disabled_reason text,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE webhook_events (
        id text PRIMARY KEY,
        seq bigserial NOT NULL UNIQUE,
        type text NOT NULL,
        customer_id uuid,
        data jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    // recover: events since a time.
    await q.query(`CREATE INDEX webhook_events_created_idx ON webhook_events (created_at)`);
    await q.query(`
      CREATE TABLE webhook_deliveries (
        id bigserial PRIMARY KEY,
        endpoint_id uuid NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
        event_id text NOT NULL REFERENCES webhook_events (id),
        event_seq bigint NOT NULL,
        order_key text NOT NULL,
        status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
        attempts integer NOT NULL DEFAULT 0,
        last_status_code integer,
        last_error text,
        last_attempt_at timestamptz,
        next_attempt_at timestamptz NOT NULL DEFAULT now(),
        lease_until timestamptz,
        delivered_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    // The dispatcher's scan of due deliveries, per endpoint.
    await q.query(`CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries (endpoint_id, next_attempt_at) WHERE status = 'pending'`);
    // Order per customer: is an earlier delivery of this endpoint and customer still pending?
    await q.query(`CREATE INDEX webhook_deliveries_order_idx ON webhook_deliveries (endpoint_id, order_key, event_seq) WHERE status = 'pending'`);
    // The lag gauge.
    await q.query(`CREATE INDEX webhook_deliveries_pending_age_idx ON webhook_deliveries (created_at) WHERE status = 'pending'`);
    // The delivery log, newest event first.
    await q.query(`CREATE INDEX webhook_deliveries_log_idx ON webhook_deliveries (endpoint_id, event_seq DESC, id DESC)`);
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE webhook_deliveries`);
    await q.query(`DROP TABLE webhook_events`);
    await q.query(`DROP TABLE webhook_endpoints`);
  }
}
