import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Reconciliation cases (one break followed across runs) with their append-only timeline, and
 * the operators' console sessions. Owned by libs/cases and the API's console.
 */
export class ReconciliationCases1765200000000 implements MigrationInterface {
  name = 'ReconciliationCases1765200000000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE reconciliation_cases (
        id uuid PRIMARY KEY,
        kind text NOT NULL CHECK (kind IN ('balance_fetch_failed', 'missing_upstream', 'deactivated_with_balance', 'field_drift',
                                           'deactivated_upstream', 'unknown_upstream', 'duplicate_upstream')),
        status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'acknowledged', 'resolved', 'accepted')),
        -- kind | customer id (or celar_id when unknown locally) | field: what makes two findings the same break.
        identity text NOT NULL,
        customer_id uuid,
        celar_id text,
        field text,
        expected text,
        actual text,
        delta numeric,
        currency text,
        first_seen_at timestamptz NOT NULL DEFAULT now(),
        last_seen_at timestamptz NOT NULL DEFAULT now(),
        occurrence_count integer NOT NULL DEFAULT 1,
        first_run_id uuid NOT NULL,
        last_run_id uuid NOT NULL,
        resolution text CHECK (resolution IN ('auto', 'fixed', 'repushed')),
        note text,
        -- The update a repush queued, and who asked: the case resolves when that operation is done.
        repush_operation_id bigint,
        repush_actor text,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    // At most one live (not resolved) case per break, whatever the races between chunks.
    await q.query(`CREATE UNIQUE INDEX reconciliation_cases_live_identity ON reconciliation_cases (identity) WHERE status <> 'resolved'`);
    await q.query(`CREATE INDEX reconciliation_cases_oldest_idx ON reconciliation_cases (first_seen_at, id)`);
    await q.query(`CREATE INDEX reconciliation_cases_live_idx ON reconciliation_cases (kind, last_seen_at) WHERE status IN ('open', 'acknowledged')`);
    await q.query(`CREATE INDEX reconciliation_cases_customer_idx ON reconciliation_cases (customer_id)`);
    await q.query(`CREATE INDEX reconciliation_cases_celar_idx ON reconciliation_cases (celar_id)`);
    await q.query(
      `CREATE INDEX reconciliation_cases_repush_idx ON reconciliation_cases (repush_operation_id) WHERE repush_operation_id IS NOT NULL`,
    );
    await q.query(`
      CREATE TABLE reconciliation_case_events (
        id bigserial PRIMARY KEY,
        case_id uuid NOT NULL REFERENCES reconciliation_cases (id) ON DELETE CASCADE,
        at timestamptz NOT NULL DEFAULT now(),
        action text NOT NULL CHECK (action IN ('opened', 'seen', 'acknowledged', 'resolved', 'accepted', 'reopened', 'repushed')),
        actor text NOT NULL,
        note text,
        run_id uuid
      )`);
    await q.query(`CREATE INDEX reconciliation_case_events_case_idx ON reconciliation_case_events (case_id, id)`);

    // Only a digest of the cookie is stored: a leaked table opens no console.
    await q.query(`
      CREATE TABLE console_sessions (
        token_hash text PRIMARY KEY,
        actor text NOT NULL,
        csrf_token text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL
      )`);
    await q.query(`CREATE INDEX console_sessions_expiry_idx ON console_sessions (expires_at)`);
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE console_sessions`);
    await q.query(`DROP TABLE reconciliation_case_events`);
    await q.query(`DROP TABLE reconciliation_cases`);
  }
}
