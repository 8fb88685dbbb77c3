import { createHash } from 'node:crypto';
import { Injectable, Logger, Optional } from '@nestjs/common';
import { QueryRunner } from 'typeorm';
import { CelarApiError, CelarClient, CelarCustomer, CelarCustomerInput } from '@app/celar-client';
import { MetricsService } from '@app/observability';
import { isPermanent, mayHaveActed, maybeActedBefore, operationError, retryOutcome } from './operation-attempts';
import { CustomerSyncState, SyncOperation, SyncOperationsRepository } from './sync-operations.repository';
import { findManyCreatedUpstream } from './upstream-create.lookup';

/** Most customers in one POST /customers (issue #5: Celar takes up to 100 per bulk call). */
export const MAX_BULK_CREATE = 100;
/** Candidates tried for one bulk: other drains may hold some of them. */
const PEER_CANDIDATES = MAX_BULK_CREATE + 50;

const CREATE_FIELDS = ['type', 'name', 'email', 'country', 'document_type', 'address', 'tax_id', 'wallet_address'] as const;

/**
 * stopped: the worker is shutting down; the create was left pending for a later drain.
 * wait: it would go alone while other creates are pending (held by other drains): better sent
 * with them by a later drain.
 */
export type CreateOutcome = 'applied' | 'failed' | 'stopped' | 'wait';

export interface CreateOptions {
  stopping: () => boolean;
  /** May answer 'wait' instead of sending a create alone (the job waits at most once). */
  mayWait: boolean;
}

interface PendingCreate {
  customerId: string;
  op: SyncOperation;
  input: CelarCustomerInput;
  /** An earlier attempt may have created it upstream: look before sending again. */
  uncertain: boolean;
  /** operations.attempts, the attempt in hand included. */
  attempt: number;
  firstAttemptAt: Date;
}

/**
 * Sends creates that are pending together, for different customers, as bulk calls.
 *
 * The drain whose customer's next operation is a create also takes, under the same advisory
 * locks a drain takes, up to 99 other customers whose next operation is a pending create, and
 * sends them all in one POST /customers; Celar answers the customers in request order (each
 * checked by email). Those customers' later operations stay with their own jobs, which find the
 * create done. Every rule of a single create holds for each item: the attempt is recorded before
 * the request leaves; creates that may have taken effect are looked for upstream first (one scan
 * of the list for the whole batch); a refusal fails only the refused customer, found by sending
 * the items of a refused bulk alone (those Celar's error names, or all of them).
 */
@Injectable()
export class CreateBatchService {
  private readonly logger = new Logger(CreateBatchService.name);

  constructor(
    private readonly repository: SyncOperationsRepository,
    private readonly celar: CelarClient,
    @Optional() private readonly metrics?: MetricsService,
  ) {}

  /**
   * Applies `op`, the next operation of `customer` (locked by the caller, not yet linked to
   * Celar), with the other pending creates it can take. Resolves once `op` is done or refused
   * for good; throws the CelarApiError that left it pending otherwise.
   */
  async apply(runner: QueryRunner, customer: CustomerSyncState, op: SyncOperation, options: CreateOptions): Promise<CreateOutcome> {
    const leader = pendingCreate(customer.id, op);
    const isolated = op.lastError?.alone === true;
    const peers = isolated ? [] : await this.lockPeers(runner, leader);
    try {
      // Drains that start together each hold their own customer, so one may find every other
      // pending create held: rather than a call for one customer, it comes back shortly, when one
      // drain can take them all. Only a create never attempted, and once per job.
      if (!isolated && peers.length === 0 && options.mayWait && op.attempts === 0) {
        if (await this.repository.otherCreatesPending(runner, customer.id)) return 'wait';
      }
      const { settled, errors } = await this.applyTogether(runner, [leader, ...peers], options.stopping);
      const error = errors.get(op.id);
      if (error) throw error;
      return settled.get(op.id) ?? 'stopped';
    } finally {
      // An unlock that fails leaves the drain's connection in doubt: the drain destroys it.
      await this.repository.unlockCustomers(runner, peers.map((peer) => peer.customerId));
    }
  }

  /** Other customers' creates, locked on this connection; at most one customer per email. */
  private async lockPeers(runner: QueryRunner, leader: PendingCreate): Promise<PendingCreate[]> {
    const locked = await this.repository.lockCreatePeers(runner, leader.customerId, PEER_CANDIDATES);
    const emails = new Set([leader.input.email.toLowerCase()]);
    const peers: PendingCreate[] = [];
    const extra: string[] = [];
    for (const op of locked) {
      const email = typeof op.payload.email === 'string' ? op.payload.email.toLowerCase() : '';
      // Celar refuses a bulk that repeats an email, and answers are checked by email.
      if (peers.length < MAX_BULK_CREATE - 1 && email && !emails.has(email)) {
        emails.add(email);
        peers.push(pendingCreate(op.customerId, op));
      } else {
        extra.push(op.customerId);
      }
    }
    // Should this fail, the drain destroys its connection, which frees every lock it holds.
    await this.repository.unlockCustomers(runner, extra);
    return peers;
  }

  /**
   * The batch's requests: first everything not found upstream, in one call; then, if Celar
   * refused that bulk, its items again, isolated. Returns each settled operation's outcome, and
   * the error that left each unsettled one pending. Throws when nothing more should be sent now.
   */
  private async applyTogether(
    runner: QueryRunner,
    batch: PendingCreate[],
    stopping: () => boolean,
  ): Promise<{ settled: Map<string, 'applied' | 'failed'>; errors: Map<string, CelarApiError> }> {
    const settled = new Map<string, 'applied' | 'failed'>();
    const errors = new Map<string, CelarApiError>();
    await this.startAttempts(runner, batch);
    const unsent = await this.adoptCreatedEarlier(runner, batch, settled);
    const requests: PendingCreate[][] = unsent.length > 0 ? [unsent] : [];
    for (let n = 0; n < requests.length; n++) {
      const group = requests[n];
      if (n > 0) {
        if (stopping()) break;
        await this.startAttempts(runner, group);
      }
      const error = await this.send(runner, group);
      const sentBefore = group.some((item) => item.attempt > 1);
      if (!error) {
        for (const item of group) settled.set(item.op.id, 'applied');
      } else if (isPermanent(error, sentBefore) && group.length > 1) {
        requests.push(...(await this.isolateRefused(runner, group, error)));
      } else if (isPermanent(error, sentBefore)) {
        await this.refuse(runner, group[0], error);
        settled.set(group[0].op.id, 'failed');
      } else {
        // The lookup made every earlier attempt certain: only this request's outcome is in doubt.
        await this.recordErrors(runner, group, error, () => mayHaveActed(error, sentBefore));
        this.count(group, retryOutcome(error));
        for (const item of group) errors.set(item.op.id, error);
        // A 429 or a refused key concerns every request: stop here (the caller's job reacts to it).
        if (error.kind !== 'TRANSIENT') throw error;
      }
    }
    return { settled, errors };
  }

  /** Creates an earlier attempt may have made upstream: one scan of Celar's list for all of them. */
  private async adoptCreatedEarlier(
    runner: QueryRunner,
    batch: PendingCreate[],
    settled: Map<string, 'applied' | 'failed'>,
  ): Promise<PendingCreate[]> {
    const uncertain = batch.filter((item) => item.uncertain);
    if (uncertain.length === 0) return batch;
    let found: (CelarCustomer | null)[];
    try {
      found = await findManyCreatedUpstream(this.celar, {
        customers: uncertain.map((item) => ({ email: item.input.email, taxId: item.input.tax_id ?? null })),
        firstAttemptAt: new Date(Math.min(...uncertain.map((item) => item.firstAttemptAt.getTime()))),
        isLinked: (celarId) => this.repository.isLinked(runner, celarId),
      });
    } catch (error) {
      if (error instanceof CelarApiError) {
        // No create was sent: what was uncertain stays so, the rest stays certain.
        await this.recordErrors(runner, batch, error, (item) => item.uncertain);
        this.count(batch, retryOutcome(error));
      }
      throw error;
    }
    const adopted = uncertain.flatMap((item, i) => (found[i] ? [{ item, upstream: found[i] }] : []));
    if (adopted.length > 0) {
      await this.repository.completeCreates(
        runner,
        adopted.map(({ item, upstream }) => ({ customerId: item.customerId, operationId: item.op.id, upstream })),
      );
      for (const { item } of adopted) settled.set(item.op.id, 'applied');
      this.count(adopted.map(({ item }) => item), 'synced');
      const links = adopted.map(({ item, upstream }) => `${item.customerId} -> ${upstream.id}`).join(', ');
      this.logger.log(`adopted ${adopted.length} customer(s) created upstream by an earlier attempt: ${links}`);
    }
    return batch.filter((item) => !settled.has(item.op.id));
  }

  /** One POST /customers for the group; its customers completed on success. Returns Celar's error otherwise. */
  private async send(runner: QueryRunner, group: PendingCreate[]): Promise<CelarApiError | undefined> {
    let matched: CelarCustomer[];
    try {
      const created = await this.celar.createCustomers(
        group.map((item) => item.input),
        bulkIdempotencyKey(group.map((item) => item.op.idempotencyKey)),
      );
      matched = matchCreated(group.map((item) => item.input.email), created);
    } catch (error) {
      if (error instanceof CelarApiError) return error;
      throw error;
    }
    await this.repository.completeCreates(
      runner,
      group.map((item, i) => ({ customerId: item.customerId, operationId: item.op.id, upstream: matched[i] })),
    );
    this.count(group, 'synced');
    return undefined;
  }

  /**
   * Celar refused a bulk as a whole (nothing was created). If its error names items, those are
   * sent alone and the others together again; otherwise every item is sent alone. Items sent
   * alone are marked so, and are never gathered into a bulk again.
   */
  private async isolateRefused(runner: QueryRunner, group: PendingCreate[], error: CelarApiError): Promise<PendingCreate[][]> {
    const named = new Set(error.itemIndexes ?? []);
    const hinted = named.size > 0 && named.size < group.length && [...named].every((i) => i < group.length);
    const alone = hinted ? group.filter((_, i) => named.has(i)) : group;
    const rest = hinted ? group.filter((_, i) => !named.has(i)) : [];
    await this.recordErrors(runner, alone, error, () => false, true);
    await this.recordErrors(runner, rest, error, () => false);
    const again = rest.length > 0 ? `, ${rest.length} together again` : '';
    this.logger.log(`Celar refused a bulk of ${group.length} creates (${error.code}): ${alone.length} sent alone${again}`);
    return [...(rest.length > 0 ? [rest] : []), ...alone.map((item) => [item])];
  }

  /** Refused on its own: only this customer is failed, with Celar's reason. */
  private async refuse(runner: QueryRunner, item: PendingCreate, error: CelarApiError): Promise<void> {
    await this.repository.fail(runner, item.customerId, [item.op.id], operationError(error, item.attempt, false));
    this.count([item], 'failed');
    this.logger.warn(`customer ${item.customerId}: Celar refused create (op ${item.op.id}, ${error.code}); held until re-sync`);
  }

  /** Recorded (committed) before the request leaves, for every operation in it. */
  private async startAttempts(runner: QueryRunner, items: PendingCreate[]): Promise<void> {
    const started = await this.repository.startAttempts(runner, items.map((item) => item.op.id));
    for (const item of items) {
      const attempt = started.get(item.op.id);
      if (!attempt) throw new Error(`operation ${item.op.id} vanished while locked`);
      item.attempt = attempt.attempts;
      item.firstAttemptAt = attempt.firstAttemptAt;
    }
  }

  private async recordErrors(
    runner: QueryRunner,
    items: PendingCreate[],
    error: CelarApiError,
    uncertain: (item: PendingCreate) => boolean,
    alone = false,
  ): Promise<void> {
    await this.repository.recordErrors(
      runner,
      items.map((item) => ({ id: item.op.id, error: operationError(error, item.attempt, uncertain(item), alone || item.op.lastError?.alone) })),
    );
  }

  /** sync_operations_total{kind="create", outcome}: one per customer. */
  private count(items: PendingCreate[], outcome: string): void {
    for (let i = 0; i < items.length; i++) this.metrics?.syncOperation('create', outcome);
  }
}

function pendingCreate(customerId: string, op: SyncOperation): PendingCreate {
  const input: Record<string, unknown> = {};
  for (const field of CREATE_FIELDS) if (op.payload[field] !== undefined) input[field] = op.payload[field];
  return {
    customerId,
    op,
    input: input as unknown as CelarCustomerInput,
    uncertain: maybeActedBefore(op),
    attempt: op.attempts,
    firstAttemptAt: op.firstAttemptAt ?? new Date(),
  };
}

/**
 * A single create goes under its operation's own key; a bulk under a key derived from its
 * operations' keys in order, so the same request (same items, same order, same body) repeats
 * its key, and a different one never does.
 */
export function bulkIdempotencyKey(keys: string[]): string {
  if (keys.length === 1) return keys[0];
  const hex = createHash('sha256').update(`customer-sync bulk create:${keys.join(',')}`).digest('hex');
  const variant = ((parseInt(hex[16], 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/**
 * Celar's created customers, one per email sent, in the order sent. Celar answers in request
 * order; each answer is checked by its email (case-insensitive), and an answer in another order
 * is matched by email (unique within a bulk). One that cannot be matched is an unreadable answer:
 * the customers may exist, so the outcome is unknown (a later attempt looks them up).
 */
export function matchCreated(emails: string[], created: CelarCustomer[]): CelarCustomer[] {
  const emailOf = (c: CelarCustomer) => (typeof c.email === 'string' ? c.email.toLowerCase() : null);
  if (created.length === emails.length && created.every((c, i) => emailOf(c) === null || emailOf(c) === emails[i].toLowerCase())) {
    return created;
  }
  const byEmail = new Map(created.map((c) => [emailOf(c), c]));
  const matched = emails.map((email) => byEmail.get(email.toLowerCase()));
  if (created.length === emails.length && byEmail.size === emails.length && matched.every((c) => c !== undefined)) {
    return matched as CelarCustomer[];
  }
  throw new CelarApiError('TRANSIENT', "Celar's answer to a create does not match the customers sent", {
    code: 'invalid_response',
    outcomeUnknown: true,
  });
}
