import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Per-customer exclusion by lease rows instead of session advisory locks (they survive neither
 * a dying connection nor a transaction-mode pooler), the settle fence that keeps every send for
 * a customer behind the late effects of its earlier requests, the sticky in-doubt flag of an
 * operation, and Celar's kyc_status in the mirror.
 */
export class SyncLeasesAndSettling1765000000000 implements MigrationInterface {
  name = 'SyncLeasesAndSettling1765000000000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE customers
        ADD COLUMN kyc_status text,
        ADD COLUMN lease_token uuid,
        ADD COLUMN lease_until timestamptz,
        ADD COLUMN settle_until timestamptz`);
    await q.query(`CREATE INDEX customers_lease_token_idx ON customers (lease_token) WHERE lease_token IS NOT NULL`);
    await q.query(`
      ALTER TABLE customer_operations
        ADD COLUMN in_doubt boolean NOT NULL DEFAULT false,
        ADD COLUMN last_sent_at timestamptz`);
    // Operations already tried whose last attempt did not record a certain outcome stay in doubt,
    // and their customers wait out a request an old worker may still have in flight (the default
    // timeout and settle time, with margin) before anything is looked up or sent again.
    await q.query(`
      UPDATE customer_operations SET in_doubt = true
       WHERE status <> 'done' AND attempts > 0
         AND NOT (coalesce(last_error ->> 'uncertain', '') = 'false' AND (last_error ->> 'attempt')::int = attempts)`);
    await q.query(`
      UPDATE customers SET settle_until = now() + interval '2 minutes'
       WHERE id IN (SELECT customer_id FROM customer_operations WHERE in_doubt AND status <> 'done')`);
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE customer_operations DROP COLUMN last_sent_at, DROP COLUMN in_doubt`);
    await q.query(`DROP INDEX customers_lease_token_idx`);
    await q.query(`ALTER TABLE customers DROP COLUMN settle_until, DROP COLUMN lease_until, DROP COLUMN lease_token, DROP COLUMN kyc_status`);
  }
}
