import { Column, Entity, PrimaryColumn } from 'typeorm';

export type ChunkKind = 'balances' | 'records_page' | 'records_confirm';
export type ChunkStatus = 'pending' | 'done' | 'failed';

/**
 * A unit of a run any worker may take. Its effects and its `done` commit in one transaction,
 * and a finished chunk is skipped, so a chunk re-run after a crash counts nothing twice.
 */
@Entity({ name: 'reconciliation_chunks' })
export class ReconciliationChunk {
  @PrimaryColumn({ name: 'run_id', type: 'uuid' })
  runId: string;

  @PrimaryColumn({ name: 'chunk_no', type: 'integer' })
  chunkNo: number;

  @Column({ type: 'text' })
  kind: ChunkKind;

  /** Key range (inclusive) over customers.id, for balances and records_confirm chunks. */
  @Column({ name: 'first_id', type: 'uuid', nullable: true })
  firstId: string | null;

  @Column({ name: 'last_id', type: 'uuid', nullable: true })
  lastId: string | null;

  /** Offset page of Celar's list, for records_page chunks. */
  @Column({ name: 'page_offset', type: 'integer', nullable: true })
  pageOffset: number | null;

  @Column({ name: 'page_limit', type: 'integer', nullable: true })
  pageLimit: number | null;

  /** Customers expected when planned; the run's progress total until the chunk is finished. */
  @Column({ type: 'integer' })
  planned: number;

  @Column({ type: 'text' })
  status: ChunkStatus;

  @Column({ name: 'customers_done', type: 'integer' })
  customersDone: number;

  @Column({ name: 'customers_checked', type: 'integer' })
  customersChecked: number;

  @Column({ name: 'balances_changed', type: 'integer' })
  balancesChanged: number;

  @Column({ type: 'integer' })
  findings: number;

  @Column({ type: 'integer' })
  errors: number;

  /** `{currency: total}` over the customers this chunk checked, exact decimal strings. */
  @Column({ type: 'jsonb' })
  totals: Record<string, string>;

  @Column({ type: 'text', nullable: true })
  error: string | null;

  @Column({ name: 'finished_at', type: 'timestamptz', nullable: true })
  finishedAt: Date | null;
}
