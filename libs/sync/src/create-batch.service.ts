import { createHash } from 'node:crypto';
import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { CelarApiError, CelarClient, CelarCustomer, CelarCustomerInput } from '@app/celar-client';
import { APP_CONFIG, AppConfig } from '@app/config';
import { AttemptOutcome, CustomerOperationsRepository, SyncOperation } from '@app/customers';
import { MetricsService } from '@app/observability';
import { createConflictError, operationError, retryOutcome, upstreamRecord } from './operation-attempts';
import { fenceMs, mustSettle, retryLater, retrySettings } from './sync-retry';
import { findCreatedUpstream } from './upstream-create.lookup';

/** Most customers in one POST /customers (Celar takes up to 100 per bulk call). */
export const MAX_BULK_CREATE = 100;
/** Candidates leased for one bulk: some may turn out to share an email. */
const PEER_CANDIDATES = MAX_BULK_CREATE + 50;

const CREATE_FIELDS = ['type', 'name', 'email', 'country', 'document_type', 'address', 'tax_id', 'wallet_address'] as const;

/**
 * stopped: the worker is shutting down; the create was left pending for a later drain.
 * wait: it would go alone while other creates are pending: better sent with them shortly.
 * blocked: another customer of ours must first give up this email at Celar (see waitingForEmail).
 */
export type CreateOutcome = 'applied' | 'failed' | 'stopped' | 'wait' | 'blocked';

export interface CreateOptions {
  stopping: () => boolean;
  /** May answer 'wait' instead of sending a create alone (the job waits at most once). */
  mayWait: boolean;
  /** Renews the drain's leases (called during long lookups). */
  keepAlive: () => void;
}

interface PendingCreate {
  customerId: string;
  op: SyncOperation;
  input: CelarCustomerInput;
  /** An earlier attempt may have made it upstream: look before sending again. */
  inDoubt: boolean;
  /** operations.attempts, the attempt in hand included. */
  attempt: number;
}

/**
 * Sends creates that are pending together, for different customers, as bulk calls.
 *
 * The drain whose customer's next operation is a create also leases other customers (up to 99 kept)
 * whose next operation is a settled pending create, and sends them in one POST /customers.
 * Every rule of a single create holds for each item: the attempt and its settle fence are
 * recorded before the request leaves; creates in doubt are looked for upstream first (one lookup
 * for the whole batch), and only once settled; a refusal fails only the refused customer.
 */
@Injectable()
export class CreateBatchService {
  private readonly logger = new Logger(CreateBatchService.name);

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly repository: CustomerOperationsRepository,
    private readonly celar: CelarClient,
    @Optional() private readonly metrics?: MetricsService,
  ) {}

  /**
   * Applies `op`, the next operation of the leased customer (not yet linked to Celar), with the
   * other pending creates it can take. Resolves once `op` is done or refused for good; throws a
   * RetryLaterError when it stays pending.
   */
  async apply(token: string, customerId: string, op: SyncOperation, options: CreateOptions): Promise<CreateOutcome> {
    const leader = pendingCreate(op);
    if ((await this.repository.waitingForEmail([emailChange(leader)])).size > 0) return 'blocked';
    const isolated = op.lastError?.alone === true;
    const peers = isolated ? [] : await this.leasePeers(token, leader);
    try {
      // Drains that start together each hold their own customer, so one may find every other
      // pending create held: rather than a call for one customer, it comes back shortly, when one
      // drain can take them all. Only a create never attempted, and once per job.
      if (!isolated && peers.length === 0 && options.mayWait && op.attempts === 0) {
        if (await this.repository.otherCreatesPending(customerId)) return 'wait';
      }
      const { settled, errors } = await this.applyTogether(token, [leader, ...peers], options);
      const error = errors.get(op.id);
      if (error) throw retryLater(error, leader.attempt, retrySettings(this.config));
      return settled.get(op.id) ?? 'stopped';
    } finally {
      // A failed release must not hide the outcome: the leases run out by themselves.
      await this.repository.releaseLeases(token, peers.map((peer) => peer.customerId)).catch(() => undefined);
    }
  }

  /** Other customers' creates, leased to this drain; at most one customer per email. */
  private async leasePeers(token: string, leader: PendingCreate): Promise<PendingCreate[]> {
    const leased = await this.repository.leaseCreatePeers(token, leader.customerId, PEER_CANDIDATES, this.config.sync.leaseMs);
    const emails = new Set([leader.input.email.toLowerCase()]);
    const peers: PendingCreate[] = [];
    const extra: string[] = [];
    const blocked = await this.repository.waitingForEmail(leased.filter((op) => op.kind === 'create').map((op) => emailChange(pendingCreate(op))));
    for (const op of leased) {
      const email = typeof op.payload.email === 'string' && !blocked.has(op.customerId) ? op.payload.email.toLowerCase() : '';
      // Celar refuses a bulk that repeats an email, and answers are matched by email.
      if (op.kind === 'create' && op.status === 'pending' && peers.length < MAX_BULK_CREATE - 1 && email && !emails.has(email)) {
        emails.add(email);
        peers.push(pendingCreate(op));
      } else {
        extra.push(op.customerId);
      }
    }
    await this.repository.releaseLeases(token, extra);
    return peers;
  }

  /**
   * The batch's requests: the whole batch first; if Celar refuses a bulk, its items again (those
   * it named alone, the rest together). Before each request, items in doubt are looked for
   * upstream. Returns each settled create's outcome and the error that left each other pending.
   */
  private async applyTogether(
    token: string,
    batch: PendingCreate[],
    options: CreateOptions,
  ): Promise<{ settled: Map<string, 'applied' | 'failed'>; errors: Map<string, CelarApiError> }> {
    const settled = new Map<string, 'applied' | 'failed'>();
    const errors = new Map<string, CelarApiError>();
    const requests: PendingCreate[][] = [batch];
    for (let n = 0; n < requests.length; n++) {
      if (n > 0 && options.stopping()) break;
      let group = requests[n];
      try {
        group = await this.adoptCreatedEarlier(token, group, settled, options.keepAlive);
      } catch (error) {
        if (!(error instanceof CelarApiError)) throw error;
        // Nothing was sent; what was in doubt stays so.
        for (const item of group) errors.set(item.op.id, error);
        this.count(group, retryOutcome(error));
        continue;
      }
      if (group.length === 0) continue;
      const error = await this.send(token, group);
      if (!error) {
        for (const item of group) settled.set(item.op.id, 'applied');
        continue;
      }
      if ((error.kind === 'REJECTED' || error.kind === 'CONFLICT') && group.length > 1) {
        try {
          requests.push(...(await this.splitRefused(token, group, error, settled, options.keepAlive)));
        } catch (lookupError) {
          if (!(lookupError instanceof CelarApiError)) throw lookupError;
          // The look for a partial bulk failed: its items stay in doubt, nothing more is sent now.
          for (const item of group) if (!settled.has(item.op.id)) errors.set(item.op.id, lookupError);
        }
      } else if (error.kind === 'REJECTED' || error.kind === 'CONFLICT' || error.kind === 'NOT_FOUND') {
        await this.refuse(token, group[0], error);
        settled.set(group[0].op.id, 'failed');
      } else {
        const outcomes = group.map((item) => this.outcome(item, error, mustSettle(error) || error.outcomeUnknown));
        await this.repository.recordAttempts(token, outcomes, mustSettle(error) ? this.config.celar.settleMs : null);
        this.count(group, retryOutcome(error));
        for (const item of group) errors.set(item.op.id, error);
        // A 429 or a refused key concerns every request: stop here (the caller's job reacts to it).
        if (error.kind !== 'TRANSIENT') break;
      }
    }
    return { settled, errors };
  }

  /**
   * Creates in doubt (settled by now): one lookup for all of them. Found ones are linked and
   * done; the others are absent for good, and go out with the rest. Throws when the lookup fails.
   */
  private async adoptCreatedEarlier(
    token: string,
    group: PendingCreate[],
    settled: Map<string, 'applied' | 'failed'>,
    keepAlive: () => void,
  ): Promise<PendingCreate[]> {
    const doubtful = group.filter((item) => item.inDoubt);
    if (doubtful.length === 0) return group;
    const found = await findCreatedUpstream(
      this.celar,
      doubtful.map((item) => ({
        email: item.input.email,
        taxId: item.input.tax_id ?? null,
        type: item.input.type,
        country: item.input.country,
        firstAttemptAt: item.op.firstAttemptAt ?? new Date(0),
      })),
      { linked: (ids) => this.repository.linkedCelarIds(ids), onPage: keepAlive },
    );
    const adopted = doubtful.flatMap((item, i) => (found[i] ? [{ item, upstream: found[i] }] : []));
    if (adopted.length > 0) {
      await this.repository.completeCreates(
        token,
        adopted.map(({ item, upstream }) => ({ customerId: item.customerId, operationId: item.op.id, upstream: upstreamRecord(upstream) })),
      );
      for (const { item } of adopted) settled.set(item.op.id, 'applied');
      this.count(adopted.map(({ item }) => item), 'synced');
      const links = adopted.map(({ item, upstream }) => `${item.customerId} -> ${upstream.id}`).join(', ');
      this.logger.log(`adopted ${adopted.length} customer(s) created upstream by an earlier attempt: ${links}`);
    }
    for (const item of doubtful) item.inDoubt = false;
    return group.filter((item) => !settled.has(item.op.id));
  }

  /** One POST /customers for the group, recorded just before it leaves; its customers completed on success. */
  private async send(token: string, group: PendingCreate[]): Promise<CelarApiError | undefined> {
    let matched: CelarCustomer[];
    try {
      const created = await this.celar.createCustomers(
        group.map((item) => item.input),
        {
          idempotencyKey: bulkIdempotencyKey(group.map((item) => item.op.idempotencyKey)),
          beforeSend: async () => {
            const started = await this.repository.startAttempts(token, group.map((item) => item.op.id), fenceMs(this.config));
            for (const item of group) item.attempt = started.get(item.op.id)?.attempts ?? item.attempt + 1;
          },
        },
      );
      matched = matchCreated(group.map((item) => item.input.email), created);
    } catch (error) {
      if (error instanceof CelarApiError) return error;
      throw error;
    }
    await this.repository.completeCreates(
      token,
      group.map((item, i) => ({ customerId: item.customerId, operationId: item.op.id, upstream: upstreamRecord(matched[i]) })),
    );
    this.count(group, 'synced');
    return undefined;
  }

  /**
   * Celar refused a bulk. A bulk refused with 409 created nothing (the contract). After another
   * refusal Celar may have created some items (a partial bulk): every item is looked for at once,
   * in one lookup, before any goes again; Celar's index hints only decide the grouping. Items its
   * error names go alone, the others together again; with no item named, every item goes alone.
   */
  private async splitRefused(
    token: string,
    group: PendingCreate[],
    error: CelarApiError,
    settled: Map<string, 'applied' | 'failed'>,
    keepAlive: () => void,
  ): Promise<PendingCreate[][]> {
    const named = new Set(error.itemIndexes ?? []);
    const hinted = named.size > 0 && named.size < group.length && [...named].every((i) => i < group.length);
    const isNamed = new Set(hinted ? group.filter((_, i) => named.has(i)) : group);
    const maybeCreated = error.kind !== 'CONFLICT';
    // Celar answered: nothing of this request acts later, so no settle wait.
    await this.repository.recordAttempts(
      token,
      group.map((item) => this.outcome(item, error, maybeCreated, isNamed.has(item))),
      null,
    );
    for (const item of group) item.inDoubt = maybeCreated;
    const left = maybeCreated ? await this.adoptCreatedEarlier(token, group, settled, keepAlive) : group;
    const alone = left.filter((item) => isNamed.has(item));
    const rest = left.filter((item) => !isNamed.has(item));
    const again = rest.length > 0 ? `, ${rest.length} together again` : '';
    this.logger.log(`Celar refused a bulk of ${group.length} creates (${error.code}): ${alone.length} sent alone${again}`);
    return [...(rest.length > 0 ? [rest] : []), ...alone.map((item) => [item])];
  }

  /** Refused on its own: only this customer is failed, with Celar's reason (409: upstream_conflict). */
  private async refuse(token: string, item: PendingCreate, error: CelarApiError): Promise<void> {
    const record = error.kind === 'CONFLICT' ? createConflictError(error, item.attempt) : operationError(error, item.attempt);
    await this.repository.fail(token, item.customerId, [item.op.id], record);
    this.count([item], 'failed');
    this.logger.warn(`customer ${item.customerId}: Celar refused create (op ${item.op.id}, ${record.code}); held until re-sync`);
  }

  private outcome(item: PendingCreate, error: CelarApiError, inDoubt: boolean, alone = false): AttemptOutcome {
    return { id: item.op.id, error: operationError(error, item.attempt, alone || item.op.lastError?.alone === true), inDoubt };
  }


  /** sync_operations_total{kind="create", outcome}: one per customer. */
  private count(items: PendingCreate[], outcome: string): void {
    for (let i = 0; i < items.length; i++) this.metrics?.syncOperation('create', outcome);
  }
}

function emailChange(item: PendingCreate): { customerId: string; email: string; operationId: string } {
  return { customerId: item.customerId, email: item.input.email, operationId: item.op.id };
}

function pendingCreate(op: SyncOperation): PendingCreate {
  const input: Record<string, unknown> = {};
  for (const field of CREATE_FIELDS) if (op.payload[field] !== undefined) input[field] = op.payload[field];
  return { customerId: op.customerId, op, input: input as unknown as CelarCustomerInput, inDoubt: op.inDoubt, attempt: op.attempts };
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
