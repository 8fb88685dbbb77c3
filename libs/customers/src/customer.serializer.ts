import { Customer, SyncError, SyncStatus } from './customer.entity';

/** A customer as the API returns it: Celar's fields (with our id and timestamps) plus the sync state. */
export interface CustomerResponse {
  id: string;
  created_at: string;
  updated_at: string;
  country: string;
  email: string;
  type: string;
  wallet_address: string | null;
  address: string | null;
  is_active: boolean;
  name: string;
  psp_id: string | null;
  tax_id: string | null;
  document_type: string;
  verification_document: string | null;
  incorporation_certificate: string | null;
  celar_id: string | null;
  sync_status: SyncStatus;
  sync_error: SyncError | null;
  last_synced_at: string | null;
  kyc_status: string | null;
}

const iso = (date: Date | null): string | null => (date ? date.toISOString() : null);

/** Field order follows Celar's examples, then ours. */
export function toCustomerResponse(customer: Customer): CustomerResponse {
  return {
    id: customer.id,
    created_at: customer.createdAt.toISOString(),
    updated_at: customer.updatedAt.toISOString(),
    country: customer.country,
    email: customer.email,
    type: customer.type,
    wallet_address: customer.walletAddress,
    address: customer.address,
    is_active: customer.isActive,
    name: customer.name,
    psp_id: customer.pspId,
    tax_id: customer.taxId,
    document_type: customer.documentType,
    verification_document: customer.verificationDocument,
    incorporation_certificate: customer.incorporationCertificate,
    celar_id: customer.celarId,
    sync_status: customer.syncStatus,
    sync_error: customer.syncError,
    last_synced_at: iso(customer.lastSyncedAt),
    kyc_status: customer.kycStatus ?? null,
  };
}
