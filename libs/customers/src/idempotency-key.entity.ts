import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

/** A POST's `Idempotency-Key`, kept 24 h per API key, with the first response. */
@Entity({ name: 'idempotency_keys' })
export class IdempotencyKey {
  /** SHA-256 of the caller's API key: the key itself is never stored. */
  @PrimaryColumn({ name: 'api_key_hash', type: 'text' })
  apiKeyHash: string;

  @PrimaryColumn({ type: 'text' })
  key: string;

  @Column({ name: 'request_hash', type: 'text' })
  requestHash: string;

  @Column({ type: 'text' })
  state: 'in_progress' | 'completed';

  @Column({ name: 'response_status', type: 'integer', nullable: true })
  responseStatus: number | null;

  @Column({ name: 'response_body', type: 'jsonb', nullable: true })
  responseBody: unknown;

  /** The response exactly as first sent (jsonb would reorder its keys); replays send this. */
  @Column({ name: 'response_text', type: 'text', nullable: true })
  responseText: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt: Date;
}
