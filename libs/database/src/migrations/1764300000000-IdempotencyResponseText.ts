import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A replayed idempotent response must be byte-equal to the first; jsonb reorders keys, so the
 * response is kept as the exact text that was sent.
 */
export class IdempotencyResponseText1764300000000 implements MigrationInterface {
  name = 'IdempotencyResponseText1764300000000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE idempotency_keys ADD COLUMN response_text text`);
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE idempotency_keys DROP COLUMN response_text`);
  }
}
