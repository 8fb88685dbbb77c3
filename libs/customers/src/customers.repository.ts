import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { setTimeout as sleep } from 'node:timers/promises';
import { DataSource, QueryFailedError } from 'typeorm';
import { AppError } from '@app/common';
import { inTransaction, queryRows, Sql } from '@app/database';
import { Customer, SyncStatus } from './customer.entity';
import { OperationKind } from './customer-operation.entity';
import { outboxBacklog } from './customer-mirror.repository';
import { OUTBOX_CHANNEL } from './customer-operations.repository';
import { CUSTOMER_COLUMNS, toCustomer } from './customer-columns';
import { CUSTOMER_REF } from './customer-ref';

export interface NewCustomerRow {
  id: string;
  type: string;
  name: string;
  email: string;
  country: string;
  documentType: string;
  address: string | null;
  taxId: string | null;
  walletAddress: string | null;
}

export interface NewOperationRow {
  customerId: string;
  seq: number;
  kind: OperationKind;
  payload: Record<string, unknown>;
  idempotencyKey: string;
}

export interface CustomerListFilter {
  type?: string;
  isActive?: boolean;
  syncStatus?: SyncStatus;
  country?: string;
  email?: string;
  limit: number;
  offset: number;
}

/** Columns a PATCH may set; keys are the API's field names. */
const PATCH_COLUMNS: Record<string, string> = {
  name: 'name',
  email: 'email',
  address: 'address',
  wallet_address: 'wallet_address',
  document_type: 'document_type',
};

export interface CustomerCounts {
  total: number;
  active: number;
  pending: number;
  synced: number;
  failed: number;
}

/** One operation of a customer, as its sync history shows it. */
export interface OperationHistoryRow {
  id: string;
  seq: number;
  kind: OperationKind;
  status: string;
  attempts: number;
  createdAt: Date;
  completedAt: Date | null;
  errorCode: string | null;
  errorMessage: string | null;
}

export interface StoredIdempotentResponse {
  requestHash: string;
  status: number;
  body: string;
}

@Injectable()
export class CustomersRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * Runs `fn` in a transaction. Concurrent requests on the same customers or emails can still
   * meet in a deadlock (40P01) or a serialization failure (40001) in ways no lock order rules
   * out (a bulk against a PATCH taking one of its emails): Postgres rolled the loser back, so
   * the whole transaction is run again, a few times, before the caller gets a 409.
   */
  async transaction<T>(fn: (tx: Sql) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await inTransaction(this.dataSource, fn);
      } catch (error) {
        if (!isConcurrencyFailure(error)) throw error;
        if (attempt >= TRANSACTION_TRIES) {
          throw new AppError('conflict', 'Concurrent requests changed the same customers at the same moment; retry the request');
        }
        await sleep(Math.random() * 20 * attempt);
      }
    }
  }

  async findByRef(ref: string): Promise<Customer | null> {
    const where = CUSTOMER_REF.where(ref);
    if (!where) return null;
    const rows = await queryRows(this.dataSource, `SELECT ${CUSTOMER_COLUMNS} FROM customers WHERE ${where.column} = $1`, [where.value]);
    return rows.length ? toCustomer(rows[0]) : null;
  }

  /** Locks the customer's row until the transaction ends. */
  async lockByRef(tx: Sql, ref: string): Promise<Customer | null> {
    const where = CUSTOMER_REF.where(ref);
    if (!where) return null;
    const rows = await tx.rows(`SELECT ${CUSTOMER_COLUMNS} FROM customers WHERE ${where.column} = $1 FOR UPDATE`, [where.value]);
    return rows.length ? toCustomer(rows[0]) : null;
  }

  async list(filter: CustomerListFilter): Promise<{ customers: Customer[]; total: number }> {
    const conditions: string[] = [];
    const params: unknown[] = [];
    const add = (sql: string, value: unknown) => {
      params.push(value);
      conditions.push(sql.replace('?', `$${params.length}`));
    };
    if (filter.type !== undefined) add('type = ?', filter.type);
    if (filter.isActive !== undefined) add('is_active = ?', filter.isActive);
    if (filter.syncStatus !== undefined) add('sync_status = ?', filter.syncStatus);
    if (filter.country !== undefined) add('country = ?', filter.country);
    if (filter.email !== undefined) add('lower(email) = lower(?)', filter.email);
    const where = conditions.length ? `WHERE ${conditions.join(' AND ')}` : '';
    // One statement, so the total and the page come from one snapshot in one round trip; the
    // count's row is there even when the page is empty (an offset past the end).
    const rows = await queryRows<Record<string, unknown> & { total: string }>(
      this.dataSource,
      `SELECT matches.total, page.* FROM (SELECT count(*) AS total FROM customers ${where}) matches
       LEFT JOIN LATERAL (SELECT ${CUSTOMER_COLUMNS} FROM customers ${where}
                          ORDER BY created_at DESC, id DESC LIMIT $${params.length + 1} OFFSET $${params.length + 2}) page ON true
       ORDER BY page."createdAt" DESC, page.id DESC`,
      [...params, filter.limit, filter.offset],
    );
    const customers = rows.filter((row) => row.id !== null).map(({ total: _total, ...row }) => toCustomer(row));
    return { customers, total: Number(rows[0].total) };
  }

  /** Customers by sync status, for the admin summary. */
  async countsBySyncStatus(): Promise<CustomerCounts> {
    const [row] = await queryRows<CustomerCounts>(
      this.dataSource,
      `SELECT count(*)::int AS total, count(*) FILTER (WHERE is_active)::int AS active,
              count(*) FILTER (WHERE sync_status = 'pending')::int AS pending,
              count(*) FILTER (WHERE sync_status = 'synced')::int AS synced,
              count(*) FILTER (WHERE sync_status = 'failed')::int AS failed
         FROM customers`,
    );
    return row;
  }

  /** Operations not yet sent to Celar, and how long the oldest has waited (whole seconds; null when none). */
  async outboxBacklog(): Promise<{ pending: number; oldestAgeSeconds: number | null }> {
    const { pending, oldestAgeSeconds } = await outboxBacklog(this.dataSource);
    return { pending, oldestAgeSeconds: oldestAgeSeconds === null ? null : Math.floor(oldestAgeSeconds) };
  }

  /** A customer's operations, newest first: its sync history. */
  operationsOf(customerId: string, limit: number): Promise<OperationHistoryRow[]> {
    return queryRows<OperationHistoryRow>(
      this.dataSource,
      `SELECT id::text AS id, seq, kind, status, attempts, created_at AS "createdAt", completed_at AS "completedAt",
              last_error->>'code' AS "errorCode", last_error->>'message' AS "errorMessage"
         FROM customer_operations WHERE customer_id = $1 ORDER BY seq DESC, id DESC LIMIT $2`,
      [customerId, limit],
    );
  }

  async emailHeldByAnother(tx: Sql, email: string, customerId: string): Promise<boolean> {
    const rows = await tx.rows(`SELECT 1 FROM customers WHERE is_active AND lower(email) = lower($1) AND id <> $2 LIMIT 1`, [
      email,
      customerId,
    ]);
    return rows.length > 0;
  }

  /**
   * One multi-row INSERT, each with its first operation already counted (last_op_seq 1).
   * created_at grows by a microsecond per item so a bulk lists in a stable order, the last item
   * newest. A row whose email an active customer took meanwhile is skipped, not inserted: the
   * caller compares what came back.
   */
  async insertCustomers(tx: Sql, rows: NewCustomerRow[]): Promise<Customer[]> {
    const inserted = await tx.rows(
      `INSERT INTO customers (id, type, name, email, country, document_type, address, tax_id, wallet_address, last_op_seq, created_at, updated_at)
       SELECT x.id, x.type, x.name, x.email, x.country, x."documentType", x.address, x."taxId", x."walletAddress", 1,
              now() + x.ord * interval '1 microsecond', now() + x.ord * interval '1 microsecond'
       FROM jsonb_to_recordset($1::jsonb) AS x(ord int, id uuid, type text, name text, email text, country text,
            "documentType" text, address text, "taxId" text, "walletAddress" text)
       -- Index entries are taken in email order, the same in every request: two bulks holding the
       -- same emails in opposite orders wait for each other instead of deadlocking (review demo 7).
       ORDER BY lower(x.email), x.ord
       ON CONFLICT (lower(email)) WHERE is_active DO NOTHING
       RETURNING ${CUSTOMER_COLUMNS}`,
      [JSON.stringify(rows.map((row, ord) => ({ ord, ...row })))],
    );
    return inserted.map(toCustomer);
  }

  /** Stores the operations and wakes the sync engine's relay at commit, in one round trip; answers their ids. */
  async insertOperations(tx: Sql, operations: NewOperationRow[], requestId: string | null): Promise<string[]> {
    const [row] = await tx.rows<{ ids: string[] }>(
      `WITH inserted AS (
         INSERT INTO customer_operations (customer_id, seq, kind, payload, idempotency_key, request_id)
         SELECT x."customerId", x.seq, x.kind, x.payload, x."idempotencyKey", $2
         FROM jsonb_to_recordset($1::jsonb) AS x(ord int, "customerId" uuid, seq int, kind text, payload jsonb, "idempotencyKey" uuid)
         ORDER BY x.ord
         RETURNING id
       )
       SELECT pg_notify('${OUTBOX_CHANNEL}', ''), ARRAY(SELECT id::text FROM inserted ORDER BY id) AS ids`,
      [JSON.stringify(operations.map((op, ord) => ({ ord, ...op }))), requestId],
    );
    return row.ids;
  }

  /** Fields an update (PATCH) can send to Celar again: what a repush may carry. */
  static readonly PUSHABLE_FIELDS = Object.keys(PATCH_COLUMNS);

  /**
   * Applies a change and issues the next operation seq in one statement (which also locks the
   * row). A failed customer stays failed: its operations wait for an admin re-sync.
   */
  async applyChange(tx: Sql, customerId: string, set: Record<string, unknown>, extraSql = ''): Promise<Customer> {
    const params: unknown[] = [customerId];
    const assignments = Object.entries(set).map(([field, value]) => {
      const column = PATCH_COLUMNS[field];
      if (!column) throw new Error(`not an updatable field: ${field}`);
      params.push(value);
      return `${column} = $${params.length}`;
    });
    const rows = await tx.rows(
      `UPDATE customers SET last_op_seq = last_op_seq + 1, updated_at = now(),
         sync_status = CASE WHEN sync_status = 'failed' THEN 'failed' ELSE 'pending' END
         ${assignments.map((a) => `, ${a}`).join('')} ${extraSql}
       WHERE id = $1 RETURNING ${CUSTOMER_COLUMNS}`,
      params,
    );
    return toCustomer(rows[0]);
  }

  async deactivate(tx: Sql, customerId: string): Promise<Customer> {
    return this.applyChange(tx, customerId, {}, `, is_active = false, deactivated_at = now()`);
  }

  /**
   * Puts a failed customer's failed operations back in line (last_error kept). Its held ones
   * lose their enqueued mark too, so the relay takes every unfinished one up again, in order.
   */
  async requeueFailed(tx: Sql, customerId: string): Promise<Customer> {
    await tx.rows(
      `UPDATE customer_operations SET status = CASE WHEN status = 'failed' THEN 'pending' ELSE status END, enqueued_at = NULL
       WHERE customer_id = $1 AND status <> 'done'`,
      [customerId],
    );
    const rows = await tx.rows(
      `UPDATE customers SET sync_status = 'pending', sync_error = NULL, updated_at = now() WHERE id = $1 RETURNING ${CUSTOMER_COLUMNS}`,
      [customerId],
    );
    return toCustomer(rows[0]);
  }

  /** Wakes the sync engine's relay at commit (it also polls); insertOperations does it too. */
  async notifyOperations(tx: Sql): Promise<void> {
    await tx.rows(`SELECT pg_notify('${OUTBOX_CHANNEL}', '')`);
  }

  /** Held until the transaction ends: a second request with the same key finds it taken. */
  async tryLockIdempotencyKey(tx: Sql, apiKeyHash: string, key: string): Promise<boolean> {
    const [row] = await tx.rows<{ locked: boolean }>(`SELECT pg_try_advisory_xact_lock(hashtextextended($1, 0)) AS locked`, [
      `${apiKeyHash}:${key}`,
    ]);
    return row.locked;
  }

  async findIdempotentResponse(tx: Sql, apiKeyHash: string, key: string): Promise<StoredIdempotentResponse | null> {
    const rows = await tx.rows<StoredIdempotentResponse>(
      `SELECT request_hash AS "requestHash", response_status AS status, response_text AS body
       FROM idempotency_keys WHERE api_key_hash = $1 AND key = $2 AND expires_at > now() AND state = 'completed'`,
      [apiKeyHash, key],
    );
    return rows[0] ?? null;
  }

  async saveIdempotentResponse(tx: Sql, apiKeyHash: string, key: string, response: StoredIdempotentResponse): Promise<void> {
    // An expired row of the same key is replaced.
    await tx.rows(
      `INSERT INTO idempotency_keys (api_key_hash, key, request_hash, state, response_status, response_text, created_at, expires_at)
       VALUES ($1, $2, $3, 'completed', $4, $5, now(), now() + interval '24 hours')
       ON CONFLICT (api_key_hash, key) DO UPDATE SET request_hash = EXCLUDED.request_hash, state = EXCLUDED.state,
         response_status = EXCLUDED.response_status, response_body = NULL, response_text = EXCLUDED.response_text,
         created_at = EXCLUDED.created_at, expires_at = EXCLUDED.expires_at`,
      [apiKeyHash, key, response.requestHash, response.status, response.body],
    );
  }

  /** A bounded sweep, so no caller ever waits on a big delete. */
  async purgeExpiredIdempotencyKeys(): Promise<void> {
    await queryRows(
      this.dataSource,
      `DELETE FROM idempotency_keys WHERE ctid = ANY(ARRAY(SELECT ctid FROM idempotency_keys WHERE expires_at < now() LIMIT 500))`,
    );
  }
}

const TRANSACTION_TRIES = 4;

/** Deadlock detected, or a serialization failure: the transaction was rolled back and may simply run again. */
function isConcurrencyFailure(error: unknown): boolean {
  if (!(error instanceof QueryFailedError)) return false;
  const code = (error.driverError as { code?: string }).code;
  return code === '40P01' || code === '40001';
}

export function isUniqueViolation(error: unknown, constraint?: string): boolean {
  if (!(error instanceof QueryFailedError)) return false;
  const driverError = error.driverError as { code?: string; constraint?: string };
  return driverError.code === '23505' && (constraint === undefined || driverError.constraint === constraint);
}
