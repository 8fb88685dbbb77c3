import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';
import type { CaseAction } from './case.types';

/** A case's timeline, append-only: nothing ever updates or deletes a row. */
@Entity({ name: 'reconciliation_case_events' })
export class ReconciliationCaseEvent {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id: string;

  @Column({ name: 'case_id', type: 'uuid' })
  caseId: string;

  @Column({ type: 'timestamptz' })
  at: Date;

  @Column({ type: 'text' })
  action: CaseAction;

  /** `run:<run id>` or `key:<first 12 hex of sha256 of the admin key>`. */
  @Column({ type: 'text' })
  actor: string;

  @Column({ type: 'text', nullable: true })
  note: string | null;

  @Column({ name: 'run_id', type: 'uuid', nullable: true })
  runId: string | null;
}
