import { CelarApiError } from '@app/celar-client';
import { OperationError, SyncOperation } from './sync-operations.repository';

/**
 * Could an earlier attempt have acted upstream? Yes unless the last attempt recorded its
 * outcome and every attempt so far was known not to act (the flag is sticky). An attempt
 * with no record at all (a crash mid-request) counts as uncertain.
 */
export function maybeActedBefore(op: SyncOperation): boolean {
  if (op.attempts === 0) return false;
  return !(op.lastError && op.lastError.attempt === op.attempts && op.lastError.uncertain === false);
}

/**
 * A refusal for good: retrying the same request cannot help. A 409 answering a repeat is not
 * one: it may be our own earlier attempt, still running or already done (the contract's
 * "409 on repeat"); the next attempt looks upstream first.
 */
export function isPermanent(error: CelarApiError, sentBefore: boolean): boolean {
  if (error.kind === 'CONFLICT') return !sentBefore;
  return error.kind === 'REJECTED' || error.kind === 'NOT_FOUND';
}

/** Whether this failed attempt may have acted upstream. */
export function mayHaveActed(error: CelarApiError, sentBefore: boolean): boolean {
  return error.outcomeUnknown || (error.kind === 'CONFLICT' && sentBefore);
}

/** What last_error records of a failed attempt. */
export function operationError(error: CelarApiError, attempt: number, uncertain: boolean, alone?: boolean): OperationError {
  return {
    code: error.code,
    message: error.message,
    ...(error.status ? { status: error.status } : {}),
    at: new Date().toISOString(),
    attempt,
    uncertain,
    ...(alone ? { alone: true } : {}),
  };
}

/** sync_operations_total's outcome for an error that leaves the operation pending. */
export function retryOutcome(error: CelarApiError): 'rate_limited' | 'unauthorized' | 'retry' {
  return error.kind === 'RATE_LIMITED' ? 'rate_limited' : error.kind === 'UNAUTHORIZED' ? 'unauthorized' : 'retry';
}
