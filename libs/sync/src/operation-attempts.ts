import { CelarApiError, CelarCustomer } from '@app/celar-client';
import { OperationError, UpstreamRecord } from '@app/customers';

/**
 * A refusal for good: sending the same request again cannot help. By construction no request
 * leaves while an earlier one of that customer may still act or is unaccounted for (the settle
 * fence, then a look upstream), so a 409 is never our own earlier attempt: it is Celar's word
 * (on a create: Celar already holds that email).
 */
export function isPermanent(error: CelarApiError): boolean {
  return error.kind === 'REJECTED' || error.kind === 'NOT_FOUND' || error.kind === 'CONFLICT';
}

/** What last_error records of a failed attempt. */
export function operationError(error: CelarApiError, attempt: number, alone?: boolean): OperationError {
  return {
    code: error.code,
    message: error.message,
    ...(error.status ? { status: error.status } : {}),
    at: new Date().toISOString(),
    attempt,
    ...(alone ? { alone: true } : {}),
  };
}

/** A 409 on a create: `sync_error.code` is upstream_conflict whatever Celar calls it; its text stays in the message. */
export function createConflictError(error: CelarApiError, attempt: number): OperationError {
  return { ...operationError(error, attempt), code: 'upstream_conflict' };
}

/** sync_operations_total's outcome for an error that leaves the operation pending. */
export function retryOutcome(error: CelarApiError): 'rate_limited' | 'unauthorized' | 'retry' {
  return error.kind === 'RATE_LIMITED' ? 'rate_limited' : error.kind === 'UNAUTHORIZED' ? 'unauthorized' : 'retry';
}

/** Celar's customer in the mirror's terms. */
export function upstreamRecord(customer: CelarCustomer): UpstreamRecord {
  return {
    celarId: customer.id,
    pspId: typeof customer.psp_id === 'string' ? customer.psp_id : null,
    createdAt: isoOrNull(customer.created_at),
    updatedAt: isoOrNull(customer.updated_at),
    kycStatus: typeof customer.kyc_status === 'string' && customer.kyc_status ? customer.kyc_status : null,
    raw: customer,
  };
}

function isoOrNull(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  return Number.isNaN(Date.parse(value)) ? null : value;
}
