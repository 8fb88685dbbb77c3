import { Column, Entity, PrimaryColumn } from 'typeorm';

/** The last balance seen per customer and currency; numeric, read as an exact decimal string. */
@Entity({ name: 'customer_balances' })
export class CustomerBalance {
  @PrimaryColumn({ name: 'customer_id', type: 'uuid' })
  customerId: string;

  @PrimaryColumn({ type: 'text' })
  currency: string;

  @Column({ type: 'numeric' })
  balance: string;

  @Column({ name: 'as_of', type: 'timestamptz' })
  asOf: Date;

  /** The run that last observed it; null when fetched by `?refresh=true`. */
  @Column({ name: 'run_id', type: 'uuid', nullable: true })
  runId: string | null;
}
