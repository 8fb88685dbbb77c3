import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';
import type { FindingKind } from './reconciliation.types';

/** Something a run found changed or wrong. Never holds a tax id or a secret. */
@Entity({ name: 'reconciliation_findings' })
export class ReconciliationFinding {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id: string;

  @Column({ name: 'run_id', type: 'uuid' })
  runId: string;

  @Column({ type: 'text' })
  kind: FindingKind;

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

  /** numeric: read as an exact decimal string. */
  @Column({ type: 'numeric', nullable: true })
  delta: string | null;

  @Column({ type: 'text' })
  message: string;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
