import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { RunKind, RunStatus, RunTrigger } from './reconciliation.types';

export type RunPhase = 'plan' | 'scan' | 'confirm' | 'done';

/**
 * One reconciliation run. Progress and counts are sums over its finished chunks, rewritten
 * in each chunk's own transaction; they are never incremented on their own.
 */
@Entity({ name: 'reconciliation_runs' })
export class ReconciliationRun {
  @PrimaryColumn('uuid')
  id: string;

  @Column({ type: 'text' })
  kind: RunKind;

  @Column({ type: 'text' })
  trigger: RunTrigger;

  @Column({ type: 'text' })
  status: RunStatus;

  /** records runs scan Celar's pages, then confirm the customers the scan did not see. */
  @Column({ type: 'text' })
  phase: RunPhase;

  @Column({ name: 'progress_done', type: 'integer' })
  progressDone: number;

  @Column({ name: 'progress_total', type: 'integer' })
  progressTotal: number;

  @Column({ name: 'customers_checked', type: 'integer' })
  customersChecked: number;

  @Column({ name: 'balances_changed', type: 'integer' })
  balancesChanged: number;

  @Column({ name: 'findings_count', type: 'integer' })
  findingsCount: number;

  @Column({ type: 'integer' })
  errors: number;

  /** `[{currency, total}]`, totals as exact decimal strings summed by Postgres. */
  @Column({ type: 'jsonb' })
  totals: { currency: string; total: string }[];

  @Column({ type: 'text', nullable: true })
  error: string | null;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column({ name: 'started_at', type: 'timestamptz', nullable: true })
  startedAt: Date | null;

  @Column({ name: 'finished_at', type: 'timestamptz', nullable: true })
  finishedAt: Date | null;

  @Column({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
