import { Column, CreateDateColumn, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';

export type CustomerType = 'individual' | 'business';
export type SyncStatus = 'pending' | 'synced' | 'failed';

export interface SyncError {
  code: string;
  message: string;
  at: string;
}

/** The local mirror of one Celar customer. `id` is ours and exists before Celar knows the customer. */
@Entity({ name: 'customers' })
export class Customer {
  @PrimaryColumn('uuid')
  id: string;

  @Column({ name: 'celar_id', type: 'text', nullable: true })
  celarId: string | null;

  @Column({ name: 'psp_id', type: 'text', nullable: true })
  pspId: string | null;

  @Column({ type: 'text' })
  type: CustomerType;

  @Column({ type: 'text' })
  name: string;

  @Column({ type: 'text' })
  email: string;

  @Column({ type: 'char', length: 3 })
  country: string;

  @Column({ name: 'document_type', type: 'text' })
  documentType: string;

  @Column({ type: 'text', nullable: true })
  address: string | null;

  @Column({ name: 'tax_id', type: 'text', nullable: true })
  taxId: string | null;

  @Column({ name: 'wallet_address', type: 'text', nullable: true })
  walletAddress: string | null;

  /** Set only by uploads in Celar's dashboard; pulled in by record reconciliation. */
  @Column({ name: 'verification_document', type: 'text', nullable: true })
  verificationDocument: string | null;

  @Column({ name: 'incorporation_certificate', type: 'text', nullable: true })
  incorporationCertificate: string | null;

  @Column({ name: 'is_active', type: 'boolean', default: true })
  isActive: boolean;

  @Column({ name: 'sync_status', type: 'text', default: 'pending' })
  syncStatus: SyncStatus;

  @Column({ name: 'sync_error', type: 'jsonb', nullable: true })
  syncError: SyncError | null;

  @Column({ name: 'last_synced_at', type: 'timestamptz', nullable: true })
  lastSyncedAt: Date | null;

  /** Highest operation sequence number issued for this customer; bumping it locks the row. */
  @Column({ name: 'last_op_seq', type: 'integer', default: 0 })
  lastOpSeq: number;

  @Column({ name: 'celar_created_at', type: 'timestamptz', nullable: true })
  celarCreatedAt: Date | null;

  @Column({ name: 'celar_updated_at', type: 'timestamptz', nullable: true })
  celarUpdatedAt: Date | null;

  /** Celar's last answer for this customer, unknown fields included. */
  @Column({ name: 'celar_raw', type: 'jsonb', nullable: true })
  celarRaw: Record<string, unknown> | null;

  /** Celar's KYC state as last seen (e.g. pending, approved, pending_update); read-only for clients. */
  @Column({ name: 'kyc_status', type: 'text', nullable: true })
  kycStatus: string | null;

  /** The drain holding this customer (a lease, renewed while it works; see CustomerOperationsRepository). */
  @Column({ name: 'lease_token', type: 'uuid', nullable: true })
  leaseToken: string | null;

  @Column({ name: 'lease_until', type: 'timestamptz', nullable: true })
  leaseUntil: Date | null;

  /** Nothing for this customer is sent to Celar before then: an earlier request may still act upstream. */
  @Column({ name: 'settle_until', type: 'timestamptz', nullable: true })
  settleUntil: Date | null;

  @Column({ name: 'deactivated_at', type: 'timestamptz', nullable: true })
  deactivatedAt: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
