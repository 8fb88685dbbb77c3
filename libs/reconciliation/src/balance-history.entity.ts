import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** One row whenever a stored balance changes (the first observation included, with no previous). */
@Entity({ name: 'balance_history' })
export class BalanceHistory {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id: string;

  @Column({ name: 'customer_id', type: 'uuid' })
  customerId: string;

  @Column({ type: 'text' })
  currency: string;

  @Column({ type: 'numeric' })
  balance: string;

  @Column({ name: 'previous_balance', type: 'numeric', nullable: true })
  previousBalance: string | null;

  @Column({ type: 'numeric', nullable: true })
  delta: string | null;

  @Column({ name: 'run_id', type: 'uuid', nullable: true })
  runId: string | null;

  @Column({ name: 'observed_at', type: 'timestamptz' })
  observedAt: Date;
}
