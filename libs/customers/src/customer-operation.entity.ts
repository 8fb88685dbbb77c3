import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

export type OperationKind = 'create' | 'update' | 'deactivate';
export type OperationStatus = 'pending' | 'done' | 'failed';

/**
 * The outbox: one row per accepted change, written in the same transaction as the change.
 * Postgres, not Redis, is the record of what is still to do.
 */
@Entity({ name: 'customer_operations' })
export class CustomerOperation {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id: string;

  @Column({ name: 'customer_id', type: 'uuid' })
  customerId: string;

  /** Order within the customer: operations apply upstream strictly by seq. */
  @Column({ type: 'integer' })
  seq: number;

  @Column({ type: 'text' })
  kind: OperationKind;

  /** create: the Celar create body; update: the changed fields; deactivate: {}. */
  @Column({ type: 'jsonb' })
  payload: Record<string, unknown>;

  /** Fixed at creation and sent on every attempt, across crashes. */
  @Column({ name: 'idempotency_key', type: 'uuid' })
  idempotencyKey: string;

  @Column({ type: 'text', default: 'pending' })
  status: OperationStatus;

  @Column({ type: 'integer', default: 0 })
  attempts: number;

  /** Set before the first request leaves: a later attempt at a create then looks upstream first. */
  @Column({ name: 'first_attempt_at', type: 'timestamptz', nullable: true })
  firstAttemptAt: Date | null;

  /** Some attempt not yet proven absent upstream may have acted (sticky until a settled lookup or read-back). */
  @Column({ name: 'in_doubt', type: 'boolean', default: false })
  inDoubt: boolean;

  /** When the last attempt's request left (recorded just before it did). */
  @Column({ name: 'last_sent_at', type: 'timestamptz', nullable: true })
  lastSentAt: Date | null;

  @Column({ name: 'enqueued_at', type: 'timestamptz', nullable: true })
  enqueuedAt: Date | null;

  @Column({ name: 'completed_at', type: 'timestamptz', nullable: true })
  completedAt: Date | null;

  @Column({ name: 'last_error', type: 'jsonb', nullable: true })
  lastError: { code: string; message: string; status?: number; at: string } | null;

  /** The API request that caused it, carried into the job's logs. */
  @Column({ name: 'request_id', type: 'text', nullable: true })
  requestId: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
