import { MigrationInterface, QueryRunner } from 'typeorm';

export class CustomerMirror1764000000000 implements MigrationInterface {
  name = 'CustomerMirror1764000000000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE customers (
        id uuid PRIMARY KEY,
        celar_id text UNIQUE,
        psp_id text,
        type text NOT NULL CHECK (type IN ('individual', 'business')),
        name text NOT NULL CHECK (length(name) > 0),
        email text NOT NULL CHECK (length(email) > 0),
        country char(3) NOT NULL CHECK (country ~ '^[A-Z]{3}$'),
        document_type text NOT NULL,
        address text,
        tax_id text,
        wallet_address text CHECK (wallet_address IS NULL OR wallet_address ~ '^0x[0-9a-fA-F]{40}$'),
        verification_document text,
        incorporation_certificate text,
        is_active boolean NOT NULL DEFAULT true,
        sync_status text NOT NULL DEFAULT 'pending' CHECK (sync_status IN ('pending', 'synced', 'failed')),
        sync_error jsonb,
        last_synced_at timestamptz,
        last_op_seq integer NOT NULL DEFAULT 0,
        celar_created_at timestamptz,
        celar_updated_at timestamptz,
        celar_raw jsonb,
        deactivated_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT customers_document_type_matches_type CHECK (
          (type = 'individual' AND document_type IN ('id_card', 'passport', 'driver_license'))
          OR (type = 'business' AND document_type = 'incorporation_certificate')
        )
      )`);
    // One active customer per email, compared case-insensitively.
    await q.query(`CREATE UNIQUE INDEX customers_active_email_key ON customers (lower(email)) WHERE is_active`);
    // Lists are newest first; each filter gets an index that also serves that order.
    await q.query(`CREATE INDEX customers_newest_idx ON customers (created_at DESC, id DESC)`);
    await q.query(`CREATE INDEX customers_type_newest_idx ON customers (type, created_at DESC, id DESC)`);
    await q.query(`CREATE INDEX customers_active_newest_idx ON customers (is_active, created_at DESC, id DESC)`);
    await q.query(`CREATE INDEX customers_sync_status_newest_idx ON customers (sync_status, created_at DESC, id DESC)`);
    await q.query(`CREATE INDEX customers_country_newest_idx ON customers (country, created_at DESC, id DESC)`);
    await q.query(`CREATE INDEX customers_email_idx ON customers (lower(email))`);

    await q.query(`
      CREATE TABLE customer_operations (
        id bigserial PRIMARY KEY,
        customer_id uuid NOT NULL REFERENCES customers (id),
        seq integer NOT NULL,
        kind text NOT NULL CHECK (kind IN ('create', 'update', 'deactivate')),
        payload jsonb NOT NULL,
        idempotency_key uuid NOT NULL UNIQUE,
        status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'done', 'failed')),
        attempts integer NOT NULL DEFAULT 0,
        first_attempt_at timestamptz,
        enqueued_at timestamptz,
        completed_at timestamptz,
        last_error jsonb,
        request_id text,
        created_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (customer_id, seq)
      )`);
    // The relay's scan: only unfinished operations are indexed.
    await q.query(
      `CREATE INDEX customer_operations_unfinished_idx ON customer_operations (enqueued_at NULLS FIRST, id) WHERE status <> 'done'`,
    );

    await q.query(`
      CREATE TABLE idempotency_keys (
        api_key_hash text NOT NULL,
        key text NOT NULL,
        request_hash text NOT NULL,
        state text NOT NULL CHECK (state IN ('in_progress', 'completed')),
        response_status integer,
        response_body jsonb,
        created_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL,
        PRIMARY KEY (api_key_hash, key)
      )`);
    await q.query(`CREATE INDEX idempotency_keys_expires_idx ON idempotency_keys (expires_at)`);
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE idempotency_keys`);
    await q.query(`DROP TABLE customer_operations`);
    await q.query(`DROP TABLE customers`);
  }
}
