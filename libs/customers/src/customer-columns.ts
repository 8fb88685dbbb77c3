import { Customer } from './customer.entity';

// Every column of the entity but celar_raw, aliased to the entity's property names.
export const CUSTOMER_COLUMNS = `id, celar_id AS "celarId", psp_id AS "pspId", type, name, email, country,
  document_type AS "documentType", address, tax_id AS "taxId", wallet_address AS "walletAddress",
  verification_document AS "verificationDocument", incorporation_certificate AS "incorporationCertificate",
  is_active AS "isActive", sync_status AS "syncStatus", sync_error AS "syncError", last_synced_at AS "lastSyncedAt",
  last_op_seq AS "lastOpSeq", celar_created_at AS "celarCreatedAt", celar_updated_at AS "celarUpdatedAt",
  kyc_status AS "kycStatus", deactivated_at AS "deactivatedAt", created_at AS "createdAt", updated_at AS "updatedAt"`;

export const toCustomer = (row: object): Customer => Object.assign(new Customer(), row);
