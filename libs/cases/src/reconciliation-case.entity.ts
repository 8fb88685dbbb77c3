import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { CaseKind, CaseResolution, CaseStatus } from './case.types';

/**
 * One reconciliation break followed across runs. Written only by CasesRepository (SQL); the
 * entity documents the table. At most one live (not resolved) case per `identity`.
 */
@Entity({ name: 'reconciliation_cases' })
export class ReconciliationCase {
  @PrimaryColumn('uuid')
  id: string;

  @Column({ type: 'text' })
  kind: CaseKind;

  @Column({ type: 'text' })
  status: CaseStatus;

  /** kind | customer id (celar_id for customers unknown locally) | field. */
  @Column({ type: 'text' })
  identity: string;

  @Column({ name: 'customer_id', type: 'uuid', nullable: true })
  customerId: string | null;

  @Column({ name: 'celar_id', type: 'text', nullable: true })
  celarId: string | null;

  @Column({ type: 'text', nullable: true })
  field: string | null;

  @Column({ type: 'text', nullable: true })
  expected: string | null;

  @Column({ type: 'text', nullable: true })
  actual: string | null;

  @Column({ type: 'numeric', nullable: true })
  delta: string | null;

  @Column({ type: 'text', nullable: true })
  currency: string | null;

  @Column({ name: 'first_seen_at', type: 'timestamptz' })
  firstSeenAt: Date;

  @Column({ name: 'last_seen_at', type: 'timestamptz' })
  lastSeenAt: Date;

  @Column({ name: 'occurrence_count', type: 'integer' })
  occurrenceCount: number;

  @Column({ name: 'first_run_id', type: 'uuid' })
  firstRunId: string;

  @Column({ name: 'last_run_id', type: 'uuid' })
  lastRunId: string;

  @Column({ type: 'text', nullable: true })
  resolution: CaseResolution | null;

  @Column({ type: 'text', nullable: true })
  note: string | null;

  /** The operation a repush queued: when it is done at Celar, the case resolves as `repushed`. */
  @Column({ name: 'repush_operation_id', type: 'bigint', nullable: true })
  repushOperationId: string | null;

  @Column({ name: 'repush_actor', type: 'text', nullable: true })
  repushActor: string | null;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
