import { MigrationInterface, QueryRunner } from 'typeorm';

export class Reconciliation1764200000000 implements MigrationInterface {
  name = 'Reconciliation1764200000000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE reconciliation_runs (
        id uuid PRIMARY KEY,
        kind text NOT NULL CHECK (kind IN ('balances', 'records')),
        trigger text NOT NULL CHECK (trigger IN ('schedule', 'manual')),
        status text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'running', 'completed', 'partial', 'failed')),
        phase text NOT NULL DEFAULT 'plan' CHECK (phase IN ('plan', 'scan', 'confirm', 'done')),
        progress_done integer NOT NULL DEFAULT 0,
        progress_total integer NOT NULL DEFAULT 0,
        customers_checked integer NOT NULL DEFAULT 0,
        balances_changed integer NOT NULL DEFAULT 0,
        findings_count integer NOT NULL DEFAULT 0,
        errors integer NOT NULL DEFAULT 0,
        totals jsonb NOT NULL DEFAULT '[]',
        error text,
        created_at timestamptz NOT NULL DEFAULT now(),
        started_at timestamptz,
        finished_at timestamptz,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    // Two active runs of one kind are impossible, whatever races the triggers run into.
    await q.query(
      `CREATE UNIQUE INDEX reconciliation_runs_one_active_per_kind ON reconciliation_runs (kind) WHERE status IN ('queued', 'running')`,
    );
    await q.query(`CREATE INDEX reconciliation_runs_newest_idx ON reconciliation_runs (created_at DESC, id DESC)`);

    // A run's work units. Counts of a run are sums over its done chunks, written in the chunk's own transaction.
    await q.query(`
      CREATE TABLE reconciliation_chunks (
        run_id uuid NOT NULL REFERENCES reconciliation_runs (id) ON DELETE CASCADE,
        chunk_no integer NOT NULL,
        kind text NOT NULL CHECK (kind IN ('balances', 'records_page', 'records_confirm')),
        first_id uuid,
        last_id uuid,
        page_offset integer,
        page_limit integer,
        planned integer NOT NULL,
        status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'done', 'failed')),
        customers_done integer NOT NULL DEFAULT 0,
        customers_checked integer NOT NULL DEFAULT 0,
        balances_changed integer NOT NULL DEFAULT 0,
        findings integer NOT NULL DEFAULT 0,
        errors integer NOT NULL DEFAULT 0,
        totals jsonb NOT NULL DEFAULT '{}',
        error text,
        finished_at timestamptz,
        PRIMARY KEY (run_id, chunk_no)
      )`);
    await q.query(`CREATE INDEX reconciliation_chunks_unfinished_idx ON reconciliation_chunks (run_id) WHERE status = 'pending'`);

    await q.query(`
      CREATE TABLE reconciliation_findings (
        id bigserial PRIMARY KEY,
        run_id uuid NOT NULL REFERENCES reconciliation_runs (id) ON DELETE CASCADE,
        kind text NOT NULL CHECK (kind IN (
          'balance_changed', 'balance_fetch_failed', 'missing_upstream', 'deactivated_with_balance', 'field_drift',
          'deactivated_upstream', 'document_attached', 'unknown_upstream', 'duplicate_upstream'
        )),
        customer_id uuid,
        celar_id text,
        field text,
        expected text,
        actual text,
        delta numeric,
        message text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX reconciliation_findings_run_idx ON reconciliation_findings (run_id, id)`);
    // A record scan may see one upstream customer twice (offset pages shift): one finding per subject.
    await q.query(`
      CREATE UNIQUE INDEX reconciliation_findings_once_idx ON reconciliation_findings
        (run_id, kind, coalesce(customer_id::text, ''), coalesce(celar_id, ''), coalesce(field, ''))`);

    // Which upstream ids a record scan has seen; emptied when the run ends.
    await q.query(`
      CREATE TABLE reconciliation_seen (
        run_id uuid NOT NULL REFERENCES reconciliation_runs (id) ON DELETE CASCADE,
        celar_id text NOT NULL,
        PRIMARY KEY (run_id, celar_id)
      )`);

    await q.query(`
      CREATE TABLE customer_balances (
        customer_id uuid NOT NULL REFERENCES customers (id),
        currency text NOT NULL,
        balance numeric NOT NULL,
        as_of timestamptz NOT NULL,
        run_id uuid REFERENCES reconciliation_runs (id) ON DELETE SET NULL,
        PRIMARY KEY (customer_id, currency)
      )`);

    await q.query(`
      CREATE TABLE balance_history (
        id bigserial PRIMARY KEY,
        customer_id uuid NOT NULL REFERENCES customers (id),
        currency text NOT NULL,
        balance numeric NOT NULL,
        previous_balance numeric,
        delta numeric,
        run_id uuid REFERENCES reconciliation_runs (id) ON DELETE SET NULL,
        observed_at timestamptz NOT NULL
      )`);
    await q.query(`CREATE INDEX balance_history_customer_idx ON balance_history (customer_id, observed_at DESC)`);
    await q.query(`CREATE INDEX balance_history_run_idx ON balance_history (run_id) WHERE run_id IS NOT NULL`);
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE balance_history`);
    await q.query(`DROP TABLE customer_balances`);
    await q.query(`DROP TABLE reconciliation_seen`);
    await q.query(`DROP TABLE reconciliation_findings`);
    await q.query(`DROP TABLE reconciliation_chunks`);
    await q.query(`DROP TABLE reconciliation_runs`);
  }
}
