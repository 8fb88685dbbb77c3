import { Injectable, Logger, Optional } from '@nestjs/common';
import { QueryRunner } from 'typeorm';
import { CelarApiError, CelarClient, CelarCustomer, CelarCustomerPatch } from '@app/celar-client';
import { MetricsService } from '@app/observability';
import { CreateBatchService } from './create-batch.service';
import { isPermanent, mayHaveActed, maybeActedBefore, operationError, retryOutcome } from './operation-attempts';
import { CustomerSyncState, SyncOperation, SyncOperationsRepository } from './sync-operations.repository';

/**
 * done: the job's operation is finished (maybe by an earlier drain);
 * held: the customer is failed, its operations wait for an admin re-sync;
 * busy: another worker is draining this customer right now;
 * wait: the customer's create would go alone while other creates are pending: come back
 * shortly to join a bulk (only when the caller allowed it).
 */
export type DrainOutcome = 'done' | 'held' | 'busy' | 'wait';

export interface DrainOptions {
  /** The job has not yet waited for a bulk: it may be asked to (once). */
  mayWait?: boolean;
}

/** Most consecutive pending updates merged into one PATCH. */
const MAX_MERGED_UPDATES = 50;

const PATCH_FIELDS = ['name', 'email', 'address', 'wallet_address', 'document_type'] as const;

/** stopped: a create left pending because the worker is shutting down; wait: see DrainOutcome. */
type StepResult = 'applied' | 'failed' | 'split' | 'stopped' | 'wait';

/**
 * Applies a customer's operations to Celar, strictly in order, exactly once in effect.
 *
 * Order: a drain holds a Postgres advisory lock on the customer for its whole run (on its
 * own connection: it dies with the process), and re-reads the next unfinished operation
 * from Postgres after each one. Exactly once: every attempt is recorded before its request
 * leaves, and a create that may have taken effect is looked for upstream before it is sent
 * again. Creates go through CreateBatchService, which sends other customers' pending creates
 * in the same bulk call.
 */
@Injectable()
export class CustomerSyncService {
  private readonly logger = new Logger(CustomerSyncService.name);
  private stopping = false;

  constructor(
    private readonly repository: SyncOperationsRepository,
    private readonly celar: CelarClient,
    private readonly createBatch: CreateBatchService,
    @Optional() private readonly metrics?: MetricsService,
  ) {}

  /** Shutdown: drains stop after the operation in hand; their jobs come back later. */
  requestStop(): void {
    this.stopping = true;
  }

  async drain(customerId: string, operationId: string, options: DrainOptions = {}): Promise<DrainOutcome> {
    const state = await this.repository.operationState(operationId);
    if (!state || state.status === 'done') return 'done';
    if (state.customerStatus === 'failed' || state.status === 'failed') return 'held';

    const runner = await this.repository.connect();
    let broken: Error | undefined;
    try {
      if (!(await this.repository.tryLockCustomer(runner, customerId))) return 'busy';
      try {
        return await this.applyAll(runner, customerId, operationId, options.mayWait === true);
      } catch (error) {
        // A statement that failed mid-transaction leaves the session in doubt: do not reuse it.
        if (!(error instanceof CelarApiError)) broken = error as Error;
        throw error;
      } finally {
        await this.repository.unlockCustomer(runner, customerId).catch((error: Error) => {
          broken = error;
        });
      }
    } finally {
      // A connection whose unlock failed would keep the lock: it is destroyed, not pooled.
      await this.repository.releaseRunner(runner, broken);
    }
  }

  private async applyAll(runner: QueryRunner, customerId: string, operationId: string, mayWait: boolean): Promise<DrainOutcome> {
    let merge = true;
    for (;;) {
      const customer = await this.repository.customer(runner, customerId);
      if (!customer) return 'done';
      if (customer.syncStatus === 'failed') return 'held';
      const unfinished = await this.repository.unfinished(runner, customerId, MAX_MERGED_UPDATES);
      if (unfinished.length === 0) return 'done';
      if (unfinished[0].status === 'failed') return 'held';
      if (this.stopping) {
        // Unfinished operations beyond MAX_MERGED_UPDATES are not listed: only "done" when provably so.
        const targetDone = unfinished.length < MAX_MERGED_UPDATES && !unfinished.some((op) => op.id === operationId);
        return targetDone ? 'done' : 'busy';
      }
      const batch = merge ? nextBatch(unfinished) : [unfinished[0]];
      const result = await this.applyBatch(runner, customer, batch, mayWait);
      if (result === 'failed') return 'held';
      if (result === 'wait') return 'wait';
      mayWait = false;
      // A merged PATCH that Celar refused: apply the updates one by one to find the bad one.
      merge = result !== 'split';
    }
  }

  private async applyBatch(runner: QueryRunner, customer: CustomerSyncState, batch: SyncOperation[], mayWait: boolean): Promise<StepResult> {
    const first = batch[0];
    const ids = batch.map((op) => op.id);
    if (first.kind === 'create' && customer.celarId) {
      // Already linked (e.g. adopted by an earlier drain that stopped before marking the op).
      await this.repository.complete(runner, customer.id, ids, null);
      this.countOutcome(batch, 'synced');
      return 'applied';
    }
    if (first.kind === 'create') return this.createBatch.apply(runner, customer, first, { stopping: () => this.stopping, mayWait });
    if (!customer.celarId) {
      // Cannot happen: the create comes first in order and is done before any update.
      throw new Error(`operation ${first.id} of customer ${customer.id} has no Celar id to apply to`);
    }

    // PATCH and DELETE are safe to repeat (one customer's operations run one at a time, in order).
    const uncertain = batch.some(maybeActedBefore);
    const attemptedBefore = first.attempts > 0;
    const { attempts } = await this.repository.startAttempt(runner, ids);
    try {
      let upstream: CelarCustomer | null;
      if (first.kind === 'update') {
        // Merged updates go under the last one's key: a longer merge is a different request.
        const key = batch[batch.length - 1].idempotencyKey;
        upstream = await this.celar.updateCustomer(customer.celarId, mergePatches(batch), key);
      } else {
        upstream = await this.deactivate(customer.celarId, first.idempotencyKey, attemptedBefore);
      }
      await this.repository.complete(runner, customer.id, ids, upstream);
      this.countOutcome(batch, 'synced');
      return 'applied';
    } catch (error) {
      if (!(error instanceof CelarApiError)) throw error;
      const record = operationError(error, attempts, uncertain || mayHaveActed(error, attemptedBefore));
      const permanent = isPermanent(error, attemptedBefore);
      if (permanent && batch.length > 1) {
        await this.repository.recordError(runner, ids, record);
        return 'split';
      }
      if (permanent) {
        await this.repository.fail(runner, customer.id, ids, record);
        this.countOutcome(batch, 'failed');
        this.logger.warn(`customer ${customer.id}: Celar refused ${first.kind} (op ${first.id}, ${error.code}); held until re-sync`);
        return 'failed';
      }
      await this.repository.recordError(runner, ids, record);
      this.countOutcome(batch, retryOutcome(error));
      throw error;
    }
  }

  /** sync_operations_total{kind, outcome}: one per operation (a merged PATCH counts each update). */
  private countOutcome(batch: SyncOperation[], outcome: string): void {
    for (const op of batch) this.metrics?.syncOperation(op.kind, outcome);
  }

  /** A deactivation Celar already has (409), or a 404 after an earlier attempt, counts as done. */
  private async deactivate(celarId: string, key: string, attemptedBefore: boolean): Promise<CelarCustomer | null> {
    try {
      return await this.celar.deactivateCustomer(celarId, key);
    } catch (error) {
      if (error instanceof CelarApiError && (error.kind === 'CONFLICT' || (error.kind === 'NOT_FOUND' && attemptedBefore))) return null;
      throw error;
    }
  }
}

/** The next operation, or a run of consecutive pending updates (merged into one PATCH). */
function nextBatch(unfinished: SyncOperation[]): SyncOperation[] {
  const first = unfinished[0];
  if (first.kind !== 'update') return [first];
  const batch = [first];
  for (const op of unfinished.slice(1)) {
    if (op.kind !== 'update' || op.status !== 'pending') break;
    batch.push(op);
  }
  return batch;
}

function mergePatches(batch: SyncOperation[]): CelarCustomerPatch {
  const patch: Record<string, unknown> = {};
  for (const op of batch) {
    for (const field of PATCH_FIELDS) if (op.payload[field] !== undefined) patch[field] = op.payload[field];
  }
  return patch as CelarCustomerPatch;
}
