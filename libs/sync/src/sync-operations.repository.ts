import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, QueryRunner } from 'typeorm';
import { CasesService } from '@app/cases';
import { CelarCustomer, CelarCustomerInput, CelarCustomerPatch } from '@app/celar-client';
import { OperationKind, OperationStatus, SyncStatus } from '@app/customers';

/** What customer_operations.last_error holds once the sync engine has tried. */
export interface OperationError {
  code: string;
  message: string;
  status?: number;
  at: string;
  /** The attempt (operations.attempts) this error ended. */
  attempt: number;
  /** Some attempt so far may have taken effect upstream (timeout, cut connection, 5xx). */
  uncertain: boolean;
  /** A create isolated from a refused bulk: it is sent on its own, never gathered into a bulk again. */
  alone?: boolean;
}

export interface SyncOperation {
  id: string;
  customerId: string;
  seq: number;
  kind: OperationKind;
  payload: Record<string, unknown>;
  idempotencyKey: string;
  status: OperationStatus;
  attempts: number;
  firstAttemptAt: Date | null;
  lastError: Partial<OperationError> | null;
}

export type CreateOperation = SyncOperation & { kind: 'create'; payload: CelarCustomerInput & Record<string, unknown> };
export type UpdateOperation = SyncOperation & { kind: 'update'; payload: CelarCustomerPatch & Record<string, unknown> };

export interface CustomerSyncState {
  id: string;
  celarId: string | null;
  syncStatus: SyncStatus;
}

/** A create that Celar answered (or that was found upstream), to record in the mirror. */
export interface CreatedUpstream {
  customerId: string;
  operationId: string;
  upstream: CelarCustomer;
}

export interface ClaimedOperation {
  id: string;
  customerId: string;
  /** Enqueued before and still unfinished: its job may have been lost (e.g. a Redis that came back empty). */
  resweep: boolean;
  requestId: string | null;
}

const OPERATION_COLUMNS = `id::text AS id, customer_id AS "customerId", seq, kind, payload, idempotency_key AS "idempotencyKey",
  status, attempts, first_attempt_at AS "firstAttemptAt", last_error AS "lastError"`;

/** The advisory lock of one customer's drain: `sql` is an expression giving the customer id as text. */
const LOCK_KEY = (sql: string) => `hashtextextended('customer-sync:' || ${sql}, 0)`;

async function rows<T>(runner: QueryRunner, sql: string, params: unknown[] = []): Promise<T[]> {
  const result = (await runner.query(sql, params, true)) as { records: T[] };
  return result.records;
}

/**
 * The sync engine's SQL. Methods that take a QueryRunner run on that connection: the
 * relay's claim lives in its transaction, a drain's statements on the connection that
 * holds the customer's advisory lock.
 */
@Injectable()
export class SyncOperationsRepository {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly cases: CasesService,
  ) {}

  /** A dedicated connection from the pool; release it with `releaseRunner`. */
  async connect(): Promise<QueryRunner> {
    const runner = this.dataSource.createQueryRunner();
    await runner.connect();
    return runner;
  }

  /** Returns the connection to the pool, or destroys it if its session state is in doubt (a held lock). */
  async releaseRunner(runner: QueryRunner, broken?: Error): Promise<void> {
    const postgres = runner as QueryRunner & { releasePostgresConnection?: (err?: Error) => Promise<void> };
    if (broken && postgres.releasePostgresConnection) await postgres.releasePostgresConnection(broken);
    else await runner.release();
  }

  // ---- relay ----

  /**
   * Locks up to `limit` operations that need a job: never enqueued, or enqueued long ago and
   * still pending. SKIP LOCKED lets several relays run at once without blocking each other;
   * nothing relies on ids being committed in order. Held customers (failed) are skipped.
   */
  claimForRelay(runner: QueryRunner, limit: number, resweepAfterMs: number): Promise<ClaimedOperation[]> {
    return rows<ClaimedOperation>(
      runner,
      `SELECT o.id::text AS id, o.customer_id AS "customerId", (o.enqueued_at IS NOT NULL) AS resweep,
              o.request_id AS "requestId"
         FROM customer_operations o JOIN customers c ON c.id = o.customer_id
        WHERE o.status = 'pending' AND c.sync_status <> 'failed'
          AND (o.enqueued_at IS NULL OR o.enqueued_at < now() - make_interval(secs => $2::double precision / 1000))
        ORDER BY o.id
        LIMIT $1
        FOR UPDATE OF o SKIP LOCKED`,
      [limit, resweepAfterMs],
    );
  }

  async markEnqueued(runner: QueryRunner, ids: string[]): Promise<void> {
    await runner.query(`UPDATE customer_operations SET enqueued_at = now() WHERE id = ANY($1::bigint[])`, [ids]);
  }

  /** Operations still waiting and the oldest wait, for health and metrics. */
  async backlog(): Promise<{ pending: number; oldestSeconds: number | null }> {
    const [row] = (await this.dataSource.query(
      `SELECT count(*)::int AS pending, extract(epoch FROM now() - min(created_at))::float AS oldest
         FROM customer_operations WHERE status = 'pending'`,
    )) as { pending: number; oldest: number | null }[];
    return { pending: row.pending, oldestSeconds: row.oldest };
  }

  // ---- drain ----

  /** Session-level: held until unlocked or the connection ends (also when the process dies). */
  async tryLockCustomer(runner: QueryRunner, customerId: string): Promise<boolean> {
    const [row] = await rows<{ locked: boolean }>(runner, `SELECT pg_try_advisory_lock(${LOCK_KEY('$1::text')}) AS locked`, [customerId]);
    return row.locked;
  }

  async unlockCustomer(runner: QueryRunner, customerId: string): Promise<void> {
    await runner.query(`SELECT pg_advisory_unlock(${LOCK_KEY('$1::text')})`, [customerId]);
  }

  /** Is another customer's create pending (not isolated), whoever holds it? */
  async otherCreatesPending(runner: QueryRunner, exceptCustomerId: string): Promise<boolean> {
    const found = await rows(
      runner,
      `SELECT 1 FROM customer_operations
        WHERE kind = 'create' AND status = 'pending' AND status <> 'done' AND customer_id <> $1
          AND coalesce(last_error ->> 'alone', 'false') <> 'true'
        LIMIT 1`,
      [exceptCustomerId],
    );
    return found.length > 0;
  }

  /** Releases customers' advisory locks held by this connection (locked by lockCreatePeers). */
  async unlockCustomers(runner: QueryRunner, customerIds: string[]): Promise<void> {
    if (customerIds.length === 0) return;
    await runner.query(`SELECT pg_advisory_unlock(${LOCK_KEY('id')}) FROM unnest($1::text[]) AS id`, [customerIds]);
  }

  /**
   * Other customers whose next operation is a create that may join a bulk: pending, never
   * isolated from a refused bulk, the customer neither failed nor linked to Celar yet. Each is
   * locked (the drain's advisory lock, on this connection) and its next operation re-read under
   * the lock; those locked but no longer such a create are unlocked again. Busy customers (a
   * drain holds them) are skipped. Up to `limit` candidates are tried, more than a bulk holds,
   * since some may be taken between the look and the lock: oldest enqueued first, which is the
   * order of the unfinished-operations index, so the scan stops there (history is never read).
   */
  async lockCreatePeers(runner: QueryRunner, exceptCustomerId: string, limit: number): Promise<SyncOperation[]> {
    // Customers another drain (or bulk) holds right now are left out, so drains starting together
    // gather different customers. pg_locks shows a bigint advisory key as classid (high half), objid.
    const candidates = await rows<{ customerId: string }>(
      runner,
      `WITH held AS (
         SELECT (l.classid::bigint << 32) | l.objid::bigint AS key FROM pg_locks l
          WHERE l.locktype = 'advisory' AND l.objsubid = 1 AND l.granted
            AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()))
       SELECT o.customer_id::text AS "customerId"
         FROM customer_operations o JOIN customers c ON c.id = o.customer_id
        WHERE o.kind = 'create' AND o.status = 'pending' AND o.status <> 'done' AND o.customer_id <> $1
          AND c.celar_id IS NULL AND c.sync_status <> 'failed'
          AND coalesce(o.last_error ->> 'alone', 'false') <> 'true'
          AND NOT EXISTS (SELECT 1 FROM customer_operations e WHERE e.customer_id = o.customer_id AND e.seq < o.seq AND e.status <> 'done')
          AND ${LOCK_KEY('o.customer_id::text')} NOT IN (SELECT key FROM held)
        ORDER BY o.enqueued_at NULLS FIRST, o.id
        LIMIT $2`,
      [exceptCustomerId, limit],
    );
    if (candidates.length === 0) return [];
    // Every row is evaluated (no LIMIT here), so each lock taken is one we know of, and taken once.
    const locked = await rows<{ customerId: string }>(
      runner,
      `SELECT id AS "customerId" FROM unnest($1::text[]) AS id WHERE pg_try_advisory_lock(${LOCK_KEY('id')})`,
      [[...new Set(candidates.map((c) => c.customerId))]],
    );
    if (locked.length === 0) return [];
    const lockedIds = locked.map((c) => c.customerId);
    const creates = await rows<SyncOperation>(
      runner,
      `SELECT ${OPERATION_COLUMNS} FROM (
          SELECT DISTINCT ON (customer_id) * FROM customer_operations
           WHERE customer_id = ANY($1::uuid[]) AND status <> 'done' ORDER BY customer_id, seq) next
        WHERE kind = 'create' AND status = 'pending' AND coalesce(last_error ->> 'alone', 'false') <> 'true'
          AND EXISTS (SELECT 1 FROM customers c WHERE c.id = next.customer_id AND c.celar_id IS NULL AND c.sync_status <> 'failed')
        ORDER BY next.id`,
      [lockedIds],
    );
    const kept = new Set(creates.map((op) => op.customerId));
    await this.unlockCustomers(runner, lockedIds.filter((id) => !kept.has(id)));
    return creates;
  }

  /** A cheap look before taking a connection for a drain. */
  async operationState(operationId: string): Promise<{ status: OperationStatus; customerStatus: SyncStatus } | null> {
    const [row] = (await this.dataSource.query(
      `SELECT o.status, c.sync_status AS "customerStatus"
         FROM customer_operations o JOIN customers c ON c.id = o.customer_id WHERE o.id = $1`,
      [operationId],
    )) as { status: OperationStatus; customerStatus: SyncStatus }[];
    return row ?? null;
  }

  async customer(runner: QueryRunner, customerId: string): Promise<CustomerSyncState | null> {
    const [row] = await rows<CustomerSyncState>(
      runner,
      `SELECT id, celar_id AS "celarId", sync_status AS "syncStatus" FROM customers WHERE id = $1`,
      [customerId],
    );
    return row ?? null;
  }

  /** The customer's unfinished operations in order: the first is the next to apply. */
  unfinished(runner: QueryRunner, customerId: string, limit: number): Promise<SyncOperation[]> {
    return rows<SyncOperation>(
      runner,
      `SELECT ${OPERATION_COLUMNS} FROM customer_operations
        WHERE customer_id = $1 AND status <> 'done' ORDER BY seq LIMIT $2`,
      [customerId, limit],
    );
  }

  /**
   * Committed before the request leaves, so a later attempt (even after a crash) knows a
   * request may have gone out, and when the first one did.
   */
  async startAttempt(runner: QueryRunner, ids: string[]): Promise<{ attempts: number; firstAttemptAt: Date }> {
    const updated = await rows<{ attempts: number; firstAttemptAt: Date }>(
      runner,
      `UPDATE customer_operations SET attempts = attempts + 1, first_attempt_at = coalesce(first_attempt_at, now())
        WHERE id = ANY($1::bigint[]) RETURNING attempts, first_attempt_at AS "firstAttemptAt"`,
      [ids],
    );
    return updated[updated.length - 1];
  }

  /** startAttempt for operations sent together: each one's attempt count and first attempt, by id. */
  async startAttempts(runner: QueryRunner, ids: string[]): Promise<Map<string, { attempts: number; firstAttemptAt: Date }>> {
    const updated = await rows<{ id: string; attempts: number; firstAttemptAt: Date }>(
      runner,
      `UPDATE customer_operations SET attempts = attempts + 1, first_attempt_at = coalesce(first_attempt_at, now())
        WHERE id = ANY($1::bigint[]) RETURNING id::text AS id, attempts, first_attempt_at AS "firstAttemptAt"`,
      [ids],
    );
    return new Map(updated.map((row) => [row.id, { attempts: row.attempts, firstAttemptAt: row.firstAttemptAt }]));
  }

  /** Each operation's own error (their attempt numbers differ). */
  async recordErrors(runner: QueryRunner, errors: { id: string; error: OperationError }[]): Promise<void> {
    if (errors.length === 0) return;
    await runner.query(
      `UPDATE customer_operations o SET last_error = v.error::jsonb
         FROM unnest($1::bigint[], $2::text[]) AS v(id, error) WHERE o.id = v.id`,
      [errors.map((e) => e.id), errors.map((e) => JSON.stringify(e.error))],
    );
  }

  async recordError(runner: QueryRunner, ids: string[], error: OperationError): Promise<void> {
    await runner.query(`UPDATE customer_operations SET last_error = $2 WHERE id = ANY($1::bigint[])`, [ids, JSON.stringify(error)]);
  }

  /** Is this Celar customer already some local customer's? (An adopted match must not be.) */
  async isLinked(runner: QueryRunner, celarId: string): Promise<boolean> {
    const found = await rows(runner, `SELECT 1 FROM customers WHERE celar_id = $1`, [celarId]);
    return found.length > 0;
  }

  /**
   * Operations done, and Celar's answer into the mirror, in one transaction. Local fields are
   * never overwritten with Celar's; the customer is synced only when nothing is left to do.
   */
  async complete(runner: QueryRunner, customerId: string, ids: string[], upstream: CelarCustomer | null): Promise<void> {
    await runner.startTransaction();
    try {
      await runner.query(`SELECT 1 FROM customers WHERE id = $1 FOR UPDATE`, [customerId]);
      await runner.query(
        `UPDATE customer_operations SET status = 'done', completed_at = now() WHERE id = ANY($1::bigint[]) AND status <> 'done'`,
        [ids],
      );
      // --- cases hook (libs/cases): a reconciliation case waiting for one of these operations (a repush) is resolved in this
      // same transaction. Any new completion point of the sync engine must make this call too.
      await this.cases.resolveRepushed(runner, ids);
      // --- end of cases hook
      const upstreamSql = upstream
        ? `celar_id = coalesce(celar_id, $2), psp_id = coalesce($3, psp_id),
           celar_created_at = coalesce($4::timestamptz, celar_created_at), celar_updated_at = coalesce($5::timestamptz, celar_updated_at),
           celar_raw = $6::jsonb,`
        : '';
      const params: unknown[] = [customerId];
      if (upstream) {
        params.push(
          upstream.id,
          typeof upstream.psp_id === 'string' ? upstream.psp_id : null,
          isoOrNull(upstream.created_at),
          isoOrNull(upstream.updated_at),
          JSON.stringify(upstream),
        );
      }
      await runner.query(
        `UPDATE customers SET ${upstreamSql}
           last_synced_at = now(),
           sync_status = CASE
             WHEN sync_status = 'failed' THEN 'failed'
             WHEN EXISTS (SELECT 1 FROM customer_operations WHERE customer_id = $1 AND status <> 'done') THEN 'pending'
             ELSE 'synced' END,
           sync_error = CASE WHEN sync_status = 'failed' THEN sync_error ELSE NULL END
         WHERE id = $1`,
        params,
      );
      await runner.commitTransaction();
    } catch (error) {
      await runner.rollbackTransaction().catch(() => undefined);
      throw error;
    }
  }

  /**
   * complete() for many customers' creates at once (a bulk): one transaction, customers locked
   * in id order so two such transactions cannot deadlock.
   */
  async completeCreates(runner: QueryRunner, created: CreatedUpstream[]): Promise<void> {
    if (created.length === 0) return;
    const records = created.map(({ customerId, upstream }) => ({
      customer_id: customerId,
      celar_id: upstream.id,
      psp_id: typeof upstream.psp_id === 'string' ? upstream.psp_id : null,
      created_at: isoOrNull(upstream.created_at),
      updated_at: isoOrNull(upstream.updated_at),
      raw: upstream,
    }));
    await runner.startTransaction();
    try {
      await runner.query(`SELECT 1 FROM customers WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE`, [created.map((c) => c.customerId)]);
      await runner.query(
        `UPDATE customer_operations SET status = 'done', completed_at = now() WHERE id = ANY($1::bigint[]) AND status <> 'done'`,
        [created.map((c) => c.operationId)],
      );
      await runner.query(
        `UPDATE customers c SET celar_id = coalesce(c.celar_id, v.celar_id), psp_id = coalesce(v.psp_id, c.psp_id),
           celar_created_at = coalesce(v.created_at, c.celar_created_at), celar_updated_at = coalesce(v.updated_at, c.celar_updated_at),
           celar_raw = v.raw,
           last_synced_at = now(),
           sync_status = CASE
             WHEN c.sync_status = 'failed' THEN 'failed'
             WHEN EXISTS (SELECT 1 FROM customer_operations p WHERE p.customer_id = c.id AND p.status <> 'done') THEN 'pending'
             ELSE 'synced' END,
           sync_error = CASE WHEN c.sync_status = 'failed' THEN c.sync_error ELSE NULL END
         FROM jsonb_to_recordset($1::jsonb)
           AS v(customer_id uuid, celar_id text, psp_id text, created_at timestamptz, updated_at timestamptz, raw jsonb)
         WHERE c.id = v.customer_id`,
        [JSON.stringify(records)],
      );
      await runner.commitTransaction();
    } catch (error) {
      await runner.rollbackTransaction().catch(() => undefined);
      throw error;
    }
  }

  /** Celar refused for good: the operations and the customer are failed with Celar's reason; later operations wait. */
  async fail(runner: QueryRunner, customerId: string, ids: string[], error: OperationError): Promise<void> {
    await runner.startTransaction();
    try {
      await runner.query(`SELECT 1 FROM customers WHERE id = $1 FOR UPDATE`, [customerId]);
      await runner.query(`UPDATE customer_operations SET status = 'failed', last_error = $2 WHERE id = ANY($1::bigint[])`, [
        ids,
        JSON.stringify(error),
      ]);
      await runner.query(`UPDATE customers SET sync_status = 'failed', sync_error = $2 WHERE id = $1`, [
        customerId,
        JSON.stringify({ code: error.code, message: error.message, at: error.at }),
      ]);
      await runner.commitTransaction();
    } catch (failure) {
      await runner.rollbackTransaction().catch(() => undefined);
      throw failure;
    }
  }
}

function isoOrNull(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  return Number.isNaN(Date.parse(value)) ? null : value;
}
