// Celar's wire types, as customers-endpoints.txt documents them. Unknown extra fields are kept.

export type CelarCustomerType = 'individual' | 'business';

/** Fields a create may send. `verification_document`/`incorporation_certificate` never are. */
export interface CelarCustomerInput {
  type: CelarCustomerType;
  name: string;
  email: string;
  country: string;
  document_type: string;
  address?: string | null;
  tax_id?: string | null;
  wallet_address?: string | null;
}

export type CelarCustomerPatch = Partial<Pick<CelarCustomerInput, 'name' | 'email' | 'address' | 'wallet_address' | 'document_type'>>;

export interface CelarCustomer {
  id: string;
  created_at: string;
  updated_at: string;
  country: string;
  email: string;
  type: CelarCustomerType;
  wallet_address: string | null;
  address: string | null;
  is_active: boolean;
  name: string;
  psp_id: string | null;
  tax_id: string | null;
  document_type: string;
  verification_document: string | null;
  incorporation_certificate: string | null;
  /** Whatever else Celar returns. */
  [extra: string]: unknown;
}

export interface CelarBalance {
  customer_id: string;
  /** A decimal string, never a float. */
  balance: string;
  currency: string;
  [extra: string]: unknown;
}

export interface CelarCustomerPage {
  customers: CelarCustomer[];
  /** Absent when Celar does not say. */
  total: number | null;
  limit: number;
  offset: number;
}

/**
 * How a failed call should be handled; nothing outside celar-client sees a got error.
 * TRANSIENT: retry with backoff (network, timeouts, 408, 425, 5xx).
 * RATE_LIMITED: 429; wait `retryAfterMs`, do not count it as a failed attempt.
 * REJECTED: 400/422 and other 4xx: permanent for this request.
 * UNAUTHORIZED: 401/403: our key or account; stop and alert.
 * NOT_FOUND: 404. CONFLICT: 409.
 */
export type CelarErrorKind = 'TRANSIENT' | 'RATE_LIMITED' | 'REJECTED' | 'UNAUTHORIZED' | 'NOT_FOUND' | 'CONFLICT';

/** One finished call to Celar, for metrics. `route` is templated: `GET /customers/:id`. */
export interface CelarCallInfo {
  route: string;
  status: number | 'network_error';
  durationMs: number;
}

export interface CelarListQuery {
  limit: number;
  offset: number;
  /** A filter Celar's docs do not name: it may be ignored, so every item returned must be checked. */
  email?: string;
}
