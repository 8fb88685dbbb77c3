import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { CelarApiError, CelarClient, CelarCustomer, CelarCustomerPatch, withCelarRetry } from '@app/celar-client';
import { APP_CONFIG, AppConfig } from '@app/config';
import { CustomerOperationsRepository, DrainCustomer, LeaseLostError, SyncOperation } from '@app/customers';
import { MetricsService } from '@app/observability';
import { bulkIdempotencyKey, CreateBatchService } from './create-batch.service';
import { isPermanent, operationError, retryOutcome, upstreamRecord } from './operation-attempts';
import { fenceMs, mustSettle, retryLater, retrySettings } from './sync-retry';

/**
 * done: the job's operation is finished (maybe by an earlier drain, or inside another's bulk);
 * held: the customer is failed, its operations wait for an admin re-sync;
 * later: come back after `afterMs` without using an attempt: another drain holds the customer
 * (busy), an earlier request of its may still act upstream (settling), or its create is better
 * sent in a bulk shortly (bulk).
 */
export type DrainOutcome =
  | { kind: 'done' }
  | { kind: 'held' }
  | { kind: 'later'; reason: 'busy' | 'settling' | 'bulk'; afterMs: number };

export interface DrainOptions {
  /** The job has not yet waited for a bulk: it may be asked to (once). */
  mayWait?: boolean;
}

/** Most consecutive pending updates merged into one PATCH. */
const MAX_MERGED_UPDATES = 50;

const PATCH_FIELDS = ['name', 'email', 'address', 'wallet_address', 'document_type'] as const;

/** Compared without case: Celar may normalise them. */
const CASELESS_FIELDS = new Set<string>(['email', 'wallet_address']);

type StepResult = 'applied' | 'failed' | 'split' | 'stopped' | 'wait' | 'blocked';

const DONE: DrainOutcome = { kind: 'done' };
const HELD: DrainOutcome = { kind: 'held' };

/**
 * Applies a customer's operations to Celar, strictly in order, exactly once in effect.
 *
 * A drain leases the customer (renewed while it works; see CustomerOperationsRepository) and
 * re-reads the next unfinished operation from Postgres after each one. Before any request it
 * records the attempt with a settle fence; after an answer it cannot trust (timeout, cut
 * connection, 5xx) nothing more is sent for that customer until the fence has passed, and an
 * operation left in doubt is first checked upstream (a lookup for a create, a read-back for an
 * update or a deactivation). So no request can be overtaken by an older one, and no create is
 * sent twice, however late Celar acts within CELAR_SETTLE_MS.
 */
@Injectable()
export class CustomerSyncService {
  private readonly logger = new Logger(CustomerSyncService.name);
  private stopping = false;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly repository: CustomerOperationsRepository,
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
    if (!state || state.status === 'done') return DONE;
    if (state.customerStatus === 'failed' || state.status === 'failed') return HELD;

    const token = randomUUID();
    const lease = this.config.sync.leaseMs;
    if (!(await this.repository.takeLease(customerId, token, lease))) {
      return { kind: 'later', reason: 'busy', afterMs: await this.repository.leaseMsLeft(customerId) };
    }
    // Renewed while the drain works; a drain that stalls past its lease writes nothing more.
    let renewing: Promise<unknown> = Promise.resolve();
    let renewedAt = Date.now();
    const keepAlive = () => {
      // Called by the timer and after every page of a long lookup: a renewal an eighth of a lease apart is plenty.
      if (Date.now() - renewedAt < lease / 8) return;
      renewedAt = Date.now();
      renewing = this.repository.renewLeases(token, lease).catch(() => undefined);
    };
    const timer = setInterval(keepAlive, lease / 4);
    try {
      return await this.applyAll(token, customerId, operationId, options.mayWait === true, keepAlive);
    } catch (error) {
      if (error instanceof LeaseLostError) return { kind: 'later', reason: 'busy', afterMs: 0 };
      throw error;
    } finally {
      clearInterval(timer);
      await renewing;
      // Should this fail (Postgres down), the lease runs out by itself.
      await this.repository.releaseLeases(token).catch(() => undefined);
    }
  }

  private async applyAll(token: string, customerId: string, operationId: string, mayWait: boolean, keepAlive: () => void): Promise<DrainOutcome> {
    let merge = true;
    for (;;) {
      const customer = await this.repository.drainCustomer(customerId, token);
      if (customer.syncStatus === 'failed') return HELD;
      const unfinished = await this.repository.unfinished(customerId, MAX_MERGED_UPDATES);
      if (unfinished.length === 0) return DONE;
      if (unfinished[0].status === 'failed') return HELD;
      const targetDone = unfinished.length < MAX_MERGED_UPDATES && !unfinished.some((op) => op.id === operationId);
      if (this.stopping) return targetDone ? DONE : { kind: 'later', reason: 'busy', afterMs: 0 };
      if (customer.settleMsLeft > 0) {
        // An earlier request may still act upstream: nothing is sent, nothing looked up, before then.
        return targetDone ? DONE : { kind: 'later', reason: 'settling', afterMs: customer.settleMsLeft };
      }
      const batch = merge ? nextBatch(unfinished) : [unfinished[0]];
      const result = await this.applyBatch(token, customer, batch, mayWait, keepAlive);
      if (result === 'failed') return HELD;
      if (result === 'wait') return { kind: 'later', reason: 'bulk', afterMs: 0 };
      // Another customer of ours must first give up this email at Celar: poll until it has.
      if (result === 'blocked') return targetDone ? DONE : { kind: 'later', reason: 'busy', afterMs: 0 };
      if (result === 'stopped') return targetDone ? DONE : { kind: 'later', reason: 'busy', afterMs: 0 };
      mayWait = false;
      // A merged PATCH that Celar refused: apply the updates one by one to find the bad one.
      merge = result !== 'split';
    }
  }

  private async applyBatch(token: string, customer: DrainCustomer, batch: SyncOperation[], mayWait: boolean, keepAlive: () => void): Promise<StepResult> {
    const first = batch[0];
    const ids = batch.map((op) => op.id);
    if (first.kind === 'create' && customer.celarId) {
      // Already linked (e.g. adopted by an earlier drain that stopped before marking the op).
      await this.repository.complete(token, customer.id, ids, null);
      this.countOutcome(batch, 'synced');
      return 'applied';
    }
    if (first.kind === 'create') {
      return this.createBatch.apply(token, customer.id, first, { stopping: () => this.stopping, mayWait, keepAlive });
    }
    if (!customer.celarId) {
      // Cannot happen: the create comes first in order and is done before any update.
      throw new Error(`operation ${first.id} of customer ${customer.id} has no Celar id to apply to`);
    }
    const celarId = customer.celarId;
    const patch = first.kind === 'update' ? mergePatches(batch) : null;
    if (typeof patch?.email === 'string') {
      const waiting = await this.repository.waitingForEmail([{ customerId: customer.id, email: patch.email, operationId: first.id }]);
      if (waiting.size > 0) return 'blocked';
    }

    // In doubt (and settled by now): what Celar holds says whether the earlier request took effect.
    if (batch.some((op) => op.inDoubt)) {
      let current: CelarCustomer | null;
      try {
        current = await withCelarRetry(() => this.celar.getCustomer(celarId));
      } catch (error) {
        if (!(error instanceof CelarApiError)) throw error;
        // Unknown upstream: the request below gets Celar's own answer for it.
        if (error.kind !== 'NOT_FOUND') {
          this.countOutcome(batch, retryOutcome(error));
          throw retryLater(error, first.attempts, retrySettings(this.config));
        }
        current = null;
      }
      if (current && (patch ? holdsPatch(current, patch) : current.is_active === false)) {
        await this.repository.complete(token, customer.id, ids, upstreamRecord(current));
        this.countOutcome(batch, 'synced');
        return 'applied';
      }
    }

    const attemptedBefore = first.attempts > 0;
    let attempt = first.attempts + 1;
    const options = {
      // A merge goes under a key derived from its updates' keys: another merge is another request.
      idempotencyKey: bulkIdempotencyKey(batch.map((op) => op.idempotencyKey)),
      beforeSend: async () => {
        const started = await this.repository.startAttempts(token, ids, fenceMs(this.config));
        attempt = started.get(first.id)?.attempts ?? attempt;
      },
    };
    try {
      const upstream = patch ? await this.celar.updateCustomer(celarId, patch, options) : await this.deactivate(celarId, options, attemptedBefore);
      await this.repository.complete(token, customer.id, ids, upstream ? upstreamRecord(upstream) : null);
      this.countOutcome(batch, 'synced');
      return 'applied';
    } catch (error) {
      if (!(error instanceof CelarApiError)) throw error;
      if (isPermanent(error) && batch.length > 1) {
        await this.repository.recordAttempts(token, ids.map((id) => ({ id, error: operationError(error, attempt), inDoubt: false })), null);
        return 'split';
      }
      if (isPermanent(error)) {
        await this.repository.fail(token, customer.id, ids, operationError(error, attempt));
        this.countOutcome(batch, 'failed');
        this.logger.warn(`customer ${customer.id}: Celar refused ${first.kind} (op ${first.id}, ${error.code}); held until re-sync`);
        return 'failed';
      }
      const settle = mustSettle(error);
      await this.repository.recordAttempts(
        token,
        ids.map((id) => ({ id, error: operationError(error, attempt), inDoubt: error.outcomeUnknown })),
        settle ? this.config.celar.settleMs : null,
      );
      this.countOutcome(batch, retryOutcome(error));
      throw retryLater(error, attempt, retrySettings(this.config));
    }
  }

  /** A deactivation Celar already has (409), or a 404 after an earlier attempt, counts as done. */
  private async deactivate(celarId: string, options: { idempotencyKey: string; beforeSend: () => Promise<void> }, attemptedBefore: boolean) {
    try {
      return await this.celar.deactivateCustomer(celarId, options);
    } catch (error) {
      if (error instanceof CelarApiError && (error.kind === 'CONFLICT' || (error.kind === 'NOT_FOUND' && attemptedBefore))) return null;
      throw error;
    }
  }


  /** sync_operations_total{kind, outcome}: one per operation (a merged PATCH counts each update). */
  private countOutcome(batch: SyncOperation[], outcome: string): void {
    for (const op of batch) this.metrics?.syncOperation(op.kind, outcome);
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

/** Does Celar's customer already hold every value of the patch? */
export function holdsPatch(current: CelarCustomer, patch: CelarCustomerPatch): boolean {
  return Object.entries(patch).every(([field, value]) => {
    const theirs: unknown = current[field];
    const mine: unknown = value;
    if ((mine ?? '') === '' || (theirs ?? '') === '') return (mine ?? '') === (theirs ?? '');
    if (typeof mine === 'string' && typeof theirs === 'string' && CASELESS_FIELDS.has(field)) return mine.toLowerCase() === theirs.toLowerCase();
    return mine === theirs;
  });
}
