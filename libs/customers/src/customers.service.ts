import { Injectable, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { AppError, ErrorDetail } from '@app/common';
import { Sql } from '@app/database';
import { requestHash } from './canonical-json';
import { documentTypeFits, DOCUMENT_TYPES } from './customer-input.dto';
import { parseListQuery } from './customer-list.query';
import { CustomerResponse, toCustomerResponse } from './customer.serializer';
import { validateCreateBody, validatePatchBody } from './customer-validation';
import { Customer } from './customer.entity';
import { CustomerCounts, CustomersRepository, isUniqueViolation, OperationHistoryRow } from './customers.repository';

const ACTIVE_EMAIL_INDEX = 'customers_active_email_key';

export interface WriteContext {
  /** The API request that caused the change; stored with its operations. */
  requestId: string | null;
}

export interface IdempotencyContext {
  /** SHA-256 of the caller's API key: keys are per API key. */
  apiKeyHash: string;
  key: string;
}

/** A create's answer as sent: kept verbatim for idempotent replays. */
export interface CreateResult {
  status: number;
  body: string;
  replayed: boolean;
}

export interface CustomerChangeResponse {
  message: string;
  customer: CustomerResponse;
}

export interface CustomerListResponse {
  customers: CustomerResponse[];
  total: number;
  limit: number;
  offset: number;
}

/**
 * The rules of creating, changing, deactivating and re-syncing customers. Every accepted
 * change is written with its operation (the sync engine's outbox) in one transaction.
 */
@Injectable()
export class CustomersService {
  private readonly logger = new Logger(CustomersService.name);

  constructor(private readonly repository: CustomersRepository) {}

  async create(body: unknown, ctx: WriteContext & { idempotency?: IdempotencyContext }): Promise<CreateResult> {
    const { items, bulk } = validateCreateBody(body);
    const hash = ctx.idempotency ? requestHash(body) : '';
    const result = await this.repository.transaction(async (tx): Promise<CreateResult> => {
      if (ctx.idempotency) {
        const { apiKeyHash, key } = ctx.idempotency;
        if (!(await this.repository.tryLockIdempotencyKey(tx, apiKeyHash, key))) {
          throw new AppError('idempotency_key_in_use', 'A request with this Idempotency-Key is still being processed; retry later');
        }
        const stored = await this.repository.findIdempotentResponse(tx, apiKeyHash, key);
        if (stored) {
          if (stored.requestHash !== hash) {
            throw new AppError('idempotency_key_reused', 'This Idempotency-Key was used with a different request body');
          }
          return { status: stored.status, body: stored.body, replayed: true };
        }
      }

      const customers = await this.insertNew(tx, items, bulk, ctx.requestId);
      const response = {
        message: `${customers.length} customer(s) created successfully`,
        customers: customers.map(toCustomerResponse),
      };
      const created: CreateResult = { status: 202, body: JSON.stringify(response), replayed: false };
      if (ctx.idempotency) {
        await this.repository.saveIdempotentResponse(tx, ctx.idempotency.apiKeyHash, ctx.idempotency.key, {
          requestHash: hash,
          status: created.status,
          body: created.body,
        });
      }
      return created;
    });
    if (ctx.idempotency && !result.replayed && Math.random() < 0.05) {
      this.repository.purgeExpiredIdempotencyKeys().catch((error: Error) => this.logger.warn(`idempotency key purge failed: ${error.message}`));
    }
    return result;
  }

  private async insertNew(
    tx: Sql,
    items: ReturnType<typeof validateCreateBody>['items'],
    bulk: boolean,
    requestId: string | null,
  ): Promise<Customer[]> {
    const rows = items.map((item) => ({
      id: randomUUID(),
      type: item.type,
      name: item.name,
      email: item.email,
      country: item.country,
      documentType: item.document_type,
      address: item.address ?? null,
      taxId: item.tax_id ?? null,
      walletAddress: item.wallet_address ?? null,
    }));
    // No separate look-up of taken emails first: the insert skips a row whose email an active
    // customer holds (ON CONFLICT), which is the same test in one round trip less. Anything
    // skipped fails the whole request, and the transaction rolls back what was inserted.
    const inserted = await this.repository.insertCustomers(tx, rows);
    if (inserted.length < rows.length) {
      const insertedIds = new Set(inserted.map((c) => c.id));
      const lost = new Set(rows.filter((r) => !insertedIds.has(r.id)).map((r) => r.email));
      throw emailTaken(items, bulk, (email) => lost.has(email));
    }
    await this.repository.insertOperations(
      tx,
      rows.map((row, index) => ({ customerId: row.id, seq: 1, kind: 'create', payload: { ...items[index] }, idempotencyKey: randomUUID() })),
      requestId,
    );
    const byId = new Map(inserted.map((c) => [c.id, c]));
    return rows.map((row) => byId.get(row.id) as Customer);
  }

  async list(query: Record<string, unknown>): Promise<CustomerListResponse> {
    const filter = parseListQuery(query);
    const { customers, total } = await this.repository.list(filter);
    return { customers: customers.map(toCustomerResponse), total, limit: filter.limit, offset: filter.offset };
  }

  /** Customers by sync status, and the outbox backlog: for the admin summary. */
  async syncOverview(): Promise<{ customers: CustomerCounts; outbox: { pending: number; oldest_pending_age_s: number | null } }> {
    const [customers, outbox] = await Promise.all([this.repository.countsBySyncStatus(), this.repository.outboxBacklog()]);
    return { customers, outbox: { pending: outbox.pending, oldest_pending_age_s: outbox.oldestAgeSeconds } };
  }

  /** The customer's operations, newest first (its sync history). */
  async syncHistory(ref: string, limit = 50): Promise<OperationHistoryRow[]> {
    const customer = await this.getByRef(ref);
    return this.repository.operationsOf(customer.id, limit);
  }

  /** By our id or Celar's `cr_` id; null when it is neither or unknown. */
  findByRef(ref: string): Promise<Customer | null> {
    return this.repository.findByRef(ref);
  }

  async getByRef(ref: string): Promise<Customer> {
    const customer = await this.repository.findByRef(ref);
    if (!customer) throw notFound();
    return customer;
  }

  async get(ref: string): Promise<CustomerResponse> {
    return toCustomerResponse(await this.getByRef(ref));
  }

  async update(ref: string, body: unknown, ctx: WriteContext): Promise<CustomerChangeResponse> {
    const patch = validatePatchBody(body);
    const customer = await this.repository.transaction(async (tx) => {
      const current = await this.repository.lockByRef(tx, ref);
      if (!current) throw notFound();
      if (!current.isActive) throw new AppError('customer_deactivated', 'The customer is deactivated and can no longer change');
      if (patch.document_type !== undefined && !documentTypeFits(current.type, patch.document_type)) {
        throw new AppError('validation_failed', 'The update is invalid', [
          {
            field: 'document_type',
            message: `document_type of a ${current.type} customer must be one of ${DOCUMENT_TYPES[current.type].join(', ')}`,
          },
        ]);
      }
      if (patch.email !== undefined && (await this.repository.emailHeldByAnother(tx, patch.email, current.id))) {
        throw emailTakenSingle();
      }
      const updated = await this.repository.applyChange(tx, current.id, patch);
      await this.repository.insertOperations(
        tx,
        [{ customerId: current.id, seq: updated.lastOpSeq, kind: 'update', payload: { ...patch }, idempotencyKey: randomUUID() }],
        ctx.requestId,
      );
      return updated;
    }).catch((error: unknown) => {
      if (isUniqueViolation(error, ACTIVE_EMAIL_INDEX)) throw emailTakenSingle();
      throw error;
    });
    return { message: 'Customer updated successfully', customer: toCustomerResponse(customer) };
  }

  /** Irreversible, and idempotent: deactivating an inactive customer changes nothing and answers the same. */
  async deactivate(ref: string, ctx: WriteContext): Promise<CustomerChangeResponse> {
    const customer = await this.repository.transaction(async (tx) => {
      const current = await this.repository.lockByRef(tx, ref);
      if (!current) throw notFound();
      if (!current.isActive) return current;
      const updated = await this.repository.deactivate(tx, current.id);
      await this.repository.insertOperations(
        tx,
        [{ customerId: current.id, seq: updated.lastOpSeq, kind: 'deactivate', payload: {}, idempotencyKey: randomUUID() }],
        ctx.requestId,
      );
      return updated;
    });
    return { message: 'Customer deactivated successfully', customer: toCustomerResponse(customer) };
  }

  /**
   * Queues an operation that sends the mirror's value of `field` to Celar again (a repush of
   * drift), in order behind the customer's other operations, inside the caller's transaction.
   * `is_active` (deactivated here, active at Celar) is sent as a deactivation. Answers the
   * operation's id; a field Celar cannot be told, or a deactivated customer: 409.
   */
  async queueMirrorPush(tx: Sql, customerId: string, field: string, ctx: WriteContext): Promise<string> {
    const current = await this.repository.lockByRef(tx, customerId);
    if (!current) throw notFound();
    if (field === 'is_active') {
      if (current.isActive) throw new AppError('invalid_transition', 'The customer is active here: there is no deactivation to send');
      const updated = await this.repository.applyChange(tx, current.id, {});
      const [id] = await this.repository.insertOperations(
        tx,
        [{ customerId: current.id, seq: updated.lastOpSeq, kind: 'deactivate', payload: {}, idempotencyKey: randomUUID() }],
        ctx.requestId,
      );
      return id;
    }
    if (!CustomersRepository.PUSHABLE_FIELDS.includes(field)) {
      throw new AppError('invalid_transition', `Celar does not take ${field} in an update: this drift cannot be repushed`);
    }
    if (!current.isActive) throw new AppError('customer_deactivated', 'The customer is deactivated and can no longer change');
    const value = mirrorValue(current, field);
    const updated = await this.repository.applyChange(tx, current.id, { [field]: value });
    const [id] = await this.repository.insertOperations(
      tx,
      [{ customerId: current.id, seq: updated.lastOpSeq, kind: 'update', payload: { [field]: value }, idempotencyKey: randomUUID() }],
      ctx.requestId,
    );
    return id;
  }

  /** Admin: a failed customer's held operations go back in line, in their order. */
  async resync(ref: string): Promise<CustomerChangeResponse> {
    const customer = await this.repository.transaction(async (tx) => {
      const current = await this.repository.lockByRef(tx, ref);
      if (!current) throw notFound();
      if (current.syncStatus !== 'failed') {
        throw new AppError('not_failed', `Only a failed customer can be re-synced; this one is ${current.syncStatus}`);
      }
      const requeued = await this.repository.requeueFailed(tx, current.id);
      await this.repository.notifyOperations(tx);
      return requeued;
    });
    return { message: 'Customer sync re-queued', customer: toCustomerResponse(customer) };
  }
}

/** The mirror's value of a pushable field (API names). */
function mirrorValue(customer: Customer, field: string): unknown {
  const byField: Record<string, unknown> = {
    name: customer.name,
    email: customer.email,
    address: customer.address,
    wallet_address: customer.walletAddress,
    document_type: customer.documentType,
  };
  return byField[field];
}

function notFound(): AppError {
  return new AppError('not_found', 'Customer not found');
}

function emailTakenSingle(): AppError {
  return new AppError('email_taken', 'An active customer already has this email', [
    { field: 'email', message: 'email is held by another active customer' },
  ]);
}

function emailTaken(items: { email: string }[], bulk: boolean, isTaken: (email: string) => boolean): AppError {
  const details: ErrorDetail[] = [];
  items.forEach((item, index) => {
    if (isTaken(item.email)) {
      const detail = { field: 'email', message: 'email is held by an active customer' };
      details.push(bulk ? { index, ...detail } : detail);
    }
  });
  return new AppError(
    'email_taken',
    bulk ? `${details.length} email(s) already held by active customers; nothing was created` : 'An active customer already has this email',
    details,
  );
}
