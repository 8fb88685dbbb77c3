import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { inTransaction, queryRows, Sql } from '@app/database';
import { OperationKind, OperationStatus } from './customer-operation.entity';
import { SyncStatus } from './customer.entity';

/** What customer_operations.last_error holds once the sync engine has tried. */
export interface OperationError {
  code: string;
  message: string;
  status?: number;
  at: string;
  /** The attempt (operations.attempts) this error ended. */
  attempt: number;
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
  /** Some attempt not yet proven absent upstream may have acted. */
  inDoubt: boolean;
  lastError: Partial<OperationError> | null;
}

/** A customer as a drain sees it, under its lease. */
export interface DrainCustomer {
  id: string;
  celarId: string | null;
  syncStatus: SyncStatus;
  /** Until then nothing may be sent for it (0: now). */
  settleMsLeft: number;
}

/**
 * Celar's view of a customer, in the mirror's terms (so this lib does not depend on the Celar
 * client): its ids, timestamps, KYC state and the raw object with every field it returned.
 */
export interface UpstreamRecord {
  celarId: string;
  pspId: string | null;
  createdAt: string | null;
  updatedAt: string | null;
  kycStatus: string | null;
  raw: Record<string, unknown>;
}

/** A create that Celar answered (or that was found upstream). */
export interface CreatedUpstream {
  customerId: string;
  operationId: string;
  upstream: UpstreamRecord;
}

/** The outcome of one attempt that leaves its operation pending. */
export interface AttemptOutcome {
  id: string;
  error: OperationError;
  /** The attempt may have acted upstream (timeout, cut connection, 5xx, unreadable 2xx) or needs a look before a re-send. */
  inDoubt: boolean;
}

export interface ClaimedOperation {
  id: string;
  customerId: string;
  requestId: string | null;
}

/**
 * Told of what the sync engine settled, inside the transaction that records it, so what a
 * listener writes (a webhook event, a case resolved) commits with it or not at all.
 */
export interface SyncOutcomeListener {
  /** Operations marked done, per customer, their kinds in order. */
  operationsDone?(sql: Sql, done: { customerId: string; operationIds: string[]; kinds: OperationKind[] }[]): Promise<void>;
  /** A customer failed (Celar refused one of its operations for good). */
  customerFailed?(sql: Sql, customerId: string, operationIds: string[]): Promise<void>;
}

/** The drain no longer holds the customer: another drain may have taken it. Nothing was written. */
export class LeaseLostError extends Error {
  constructor(customerIds: string[]) {
    super(`the drain's lease on ${customerIds.length} customer(s) has lapsed`);
    this.name = 'LeaseLostError';
  }
}

export const OUTBOX_CHANNEL = 'customer_operations';

const OPERATION_COLUMNS = `o.id::text AS id, o.customer_id AS "customerId", o.seq, o.kind, o.payload,
  o.idempotency_key AS "idempotencyKey", o.status, o.attempts, o.first_attempt_at AS "firstAttemptAt",
  o.in_doubt AS "inDoubt", o.last_error AS "lastError"`;

/** The one rule for a customer's sync_status once its operations moved: failed sticks, then pending while any is left. */
const SYNC_STATUS_AFTER = (c: string) => `CASE
  WHEN ${c}.sync_status = 'failed' THEN 'failed'
  WHEN EXISTS (SELECT 1 FROM customer_operations p WHERE p.customer_id = ${c}.id AND p.status <> 'done') THEN 'pending'
  ELSE 'synced' END`;

const SETTLE_MS_LEFT = `greatest(0, ceil(extract(epoch FROM (c.settle_until - now())) * 1000))::float8 AS "settleMsLeft"`;

/**
 * The sync engine's statements on the mirror's tables (customers and customer_operations).
 *
 * Exclusion: a drain holds a customer by a lease (lease_token, lease_until) that it renews while
 * it works, rather than a session lock: it works through any pooler and a lost holder frees the
 * customer when the lease runs out. Every write a drain makes is fenced by its token, so a drain
 * that lost its lease writes nothing. A request is sent only after its attempt is recorded with
 * a settle fence (settle_until) on each customer it carries: whoever holds the customer next sends
 * nothing, and trusts no lookup, before that time has passed.
 */
@Injectable()
export class CustomerOperationsRepository {
  private readonly listeners: SyncOutcomeListener[] = [];

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Features that act on sync outcomes register here (at module init, in the worker). */
  addListener(listener: SyncOutcomeListener): void {
    this.listeners.push(listener);
  }

  // ---- relay ----

  /**
   * One relay pass in one transaction: locks up to `limit` operations that need a job (never
   * enqueued, or enqueued long ago and still pending), hands them to `enqueue`, marks them and
   * commits. A failure anywhere rolls back: they stay for the next pass. SKIP LOCKED lets
   * relays run side by side. Held customers (failed) are skipped.
   */
  async relay(limit: number, resweepAfterMs: number, enqueue: (claimed: ClaimedOperation[]) => Promise<void>): Promise<number> {
    return inTransaction(this.dataSource, async (sql) => {
      const claimed = await sql.rows<ClaimedOperation>(
        `SELECT o.id::text AS id, o.customer_id AS "customerId", o.request_id AS "requestId"
           FROM customer_operations o JOIN customers c ON c.id = o.customer_id
          WHERE o.status = 'pending' AND c.sync_status <> 'failed'
            AND (o.enqueued_at IS NULL OR o.enqueued_at < now() - make_interval(secs => $2::double precision / 1000))
          ORDER BY o.enqueued_at NULLS FIRST, o.id
          LIMIT $1
          FOR UPDATE OF o SKIP LOCKED`,
        [limit, resweepAfterMs],
      );
      if (claimed.length === 0) return 0;
      await enqueue(claimed);
      await sql.rows(`UPDATE customer_operations SET enqueued_at = now() WHERE id = ANY($1::bigint[])`, [claimed.map((op) => op.id)]);
      return claimed.length;
    });
  }

  // ---- leases ----

  /** A cheap look before a drain: the operation's status and its customer's. */
  async operationState(operationId: string): Promise<{ status: OperationStatus; customerStatus: SyncStatus } | null> {
    const [row] = await queryRows<{ status: OperationStatus; customerStatus: SyncStatus }>(
      this.dataSource,
      `SELECT o.status, c.sync_status AS "customerStatus"
         FROM customer_operations o JOIN customers c ON c.id = o.customer_id WHERE o.id = $1`,
      [operationId],
    );
    return row ?? null;
  }

  /** Takes (or renews) the customer for the drain holding `token`; null while another drain holds it. */
  async takeLease(customerId: string, token: string, leaseMs: number): Promise<DrainCustomer | null> {
    const [row] = await queryRows<DrainCustomer>(
      this.dataSource,
      `UPDATE customers c SET lease_token = $2, lease_until = now() + make_interval(secs => $3::double precision / 1000)
        WHERE c.id = $1 AND (c.lease_token IS NULL OR c.lease_until < now() OR c.lease_token = $2)
        RETURNING c.id, c.celar_id AS "celarId", c.sync_status AS "syncStatus", ${SETTLE_MS_LEFT}`,
      [customerId, token, leaseMs],
    );
    return row ?? null;
  }

  /** How long another drain's lease on the customer still runs (0 when it is free or gone). */
  async leaseMsLeft(customerId: string): Promise<number> {
    const [row] = await queryRows<{ left: number }>(
      this.dataSource,
      `SELECT greatest(0, ceil(extract(epoch FROM (lease_until - now())) * 1000))::float8 AS left FROM customers WHERE id = $1`,
      [customerId],
    );
    return row?.left ?? 0;
  }

  /** The customer as the drain holding `token` sees it now; LeaseLostError when that drain no longer holds it. */
  async drainCustomer(customerId: string, token: string): Promise<DrainCustomer> {
    const [row] = await queryRows<DrainCustomer>(
      this.dataSource,
      `SELECT c.id, c.celar_id AS "celarId", c.sync_status AS "syncStatus", ${SETTLE_MS_LEFT}
         FROM customers c WHERE c.id = $1 AND c.lease_token = $2 AND c.lease_until > now()`,
      [customerId, token],
    );
    if (!row) throw new LeaseLostError([customerId]);
    return row;
  }

  /** Extends every lease the drain holds; how many it still holds. */
  async renewLeases(token: string, leaseMs: number): Promise<number> {
    const rows = await queryRows(
      this.dataSource,
      `UPDATE customers SET lease_until = greatest(lease_until, now() + make_interval(secs => $2::double precision / 1000))
        WHERE lease_token = $1 AND lease_until > now() RETURNING id`,
      [token, leaseMs],
    );
    return rows.length;
  }

  /** Frees the customers (all the drain holds when `customerIds` is absent). */
  async releaseLeases(token: string, customerIds?: string[]): Promise<void> {
    if (customerIds && customerIds.length === 0) return;
    await queryRows(
      this.dataSource,
      `UPDATE customers SET lease_token = NULL, lease_until = NULL
        WHERE lease_token = $1 AND ($2::uuid[] IS NULL OR id = ANY($2::uuid[]))`,
      [token, customerIds ?? null],
    );
  }

  /** The customer's unfinished operations in order: the first is the next to apply. */
  unfinished(customerId: string, limit: number): Promise<SyncOperation[]> {
    return queryRows<SyncOperation>(
      this.dataSource,
      `SELECT ${OPERATION_COLUMNS} FROM customer_operations o
        WHERE o.customer_id = $1 AND o.status <> 'done' ORDER BY o.seq LIMIT $2`,
      [customerId, limit],
    );
  }

  /**
   * Which of these changes must wait for another customer's earlier change to the same email: a
   * customer created with (or renamed to) an email that another of ours still holds at Celar, or
   * is about to give up (a deactivation or an email change accepted before, not yet sent). Only
   * earlier operations count, so nothing ever waits in a circle; failed customers are not waited for.
   */
  async waitingForEmail(changes: { customerId: string; email: string; operationId: string }[]): Promise<Set<string>> {
    if (changes.length === 0) return new Set();
    const rows = await queryRows<{ customerId: string }>(
      this.dataSource,
      `SELECT DISTINCT w.customer_id AS "customerId"
         FROM unnest($1::uuid[], $2::text[], $3::bigint[]) AS w(customer_id, email, op_id)
         JOIN customer_operations o ON o.status = 'pending' AND o.id < w.op_id AND o.customer_id <> w.customer_id
         JOIN customers c ON c.id = o.customer_id AND c.sync_status <> 'failed'
        WHERE lower(c.email) = lower(w.email) OR lower(c.celar_raw ->> 'email') = lower(w.email)`,
      [changes.map((c) => c.customerId), changes.map((c) => c.email), changes.map((c) => c.operationId)],
    );
    return new Set(rows.map((row) => row.customerId));
  }

  /** Is another customer's create pending and free to join a bulk, whoever holds it? */
  async otherCreatesPending(exceptCustomerId: string): Promise<boolean> {
    const found = await queryRows(
      this.dataSource,
      `SELECT 1 FROM customer_operations o JOIN customers c ON c.id = o.customer_id
        WHERE o.kind = 'create' AND o.status = 'pending' AND o.customer_id <> $1 AND c.sync_status <> 'failed'
          AND coalesce(o.last_error ->> 'alone', 'false') <> 'true'
        LIMIT 1`,
      [exceptCustomerId],
    );
    return found.length > 0;
  }

  /**
   * Other customers whose next operation is a create that may join a bulk now: pending, never
   * isolated from a refused bulk, the customer neither failed nor linked, free (no live lease) and
   * settled (no earlier request of theirs can still act). Each is leased to `token` in the same
   * statement (row locks with SKIP LOCKED keep two gatherers apart); at most one per email.
   */
  async leaseCreatePeers(token: string, leaderId: string, limit: number, leaseMs: number): Promise<SyncOperation[]> {
    return inTransaction(this.dataSource, async (sql) => {
      const leased = await sql.rows<{ id: string }>(
        `WITH candidates AS (
           SELECT c.id FROM customer_operations o JOIN customers c ON c.id = o.customer_id
            WHERE o.kind = 'create' AND o.status = 'pending' AND o.customer_id <> $2
              AND c.celar_id IS NULL AND c.sync_status <> 'failed'
              AND (c.lease_token IS NULL OR c.lease_until < now())
              AND (c.settle_until IS NULL OR c.settle_until <= now())
              AND coalesce(o.last_error ->> 'alone', 'false') <> 'true'
              AND NOT EXISTS (SELECT 1 FROM customer_operations e WHERE e.customer_id = o.customer_id AND e.seq < o.seq AND e.status <> 'done')
            ORDER BY o.enqueued_at NULLS FIRST, o.id
            LIMIT $3
            FOR UPDATE OF c SKIP LOCKED)
         UPDATE customers c SET lease_token = $1, lease_until = now() + make_interval(secs => $4::double precision / 1000)
           FROM candidates WHERE c.id = candidates.id
         RETURNING c.id`,
        [token, leaderId, limit, leaseMs],
      );
      if (leased.length === 0) return [];
      return sql.rows<SyncOperation>(
        `SELECT DISTINCT ON (o.customer_id) ${OPERATION_COLUMNS} FROM customer_operations o
          WHERE o.customer_id = ANY($1::uuid[]) AND o.status <> 'done' ORDER BY o.customer_id, o.seq`,
        [leased.map((row) => row.id)],
      );
    });
  }

  // ---- attempts ----

  /**
   * Records an attempt just before its request leaves (committed first, so even a crash mid-request
   * leaves the record): attempts + 1, sent now, in doubt until answered; and on each customer it
   * carries, a settle fence `fenceMs` ahead, which covers the request's timeout and the time Celar
   * may act after it. Throws LeaseLostError (nothing recorded) unless the drain holds them all.
   */
  async startAttempts(token: string, operationIds: string[], fenceMs: number): Promise<Map<string, { attempts: number; firstAttemptAt: Date }>> {
    return inTransaction(this.dataSource, async (sql) => {
      const held = await sql.rows<{ id: string }>(
        `SELECT c.id FROM customers c
          WHERE c.id IN (SELECT customer_id FROM customer_operations WHERE id = ANY($1::bigint[]))
            AND c.lease_token = $2 AND c.lease_until > now()
          ORDER BY c.id FOR UPDATE`,
        [operationIds, token],
      );
      const started = await sql.rows<{ id: string; customerId: string; attempts: number; firstAttemptAt: Date }>(
        `UPDATE customer_operations SET attempts = attempts + 1, first_attempt_at = coalesce(first_attempt_at, now()),
                last_sent_at = now(), in_doubt = true
          WHERE id = ANY($1::bigint[]) AND customer_id = ANY($2::uuid[])
          RETURNING id::text AS id, customer_id AS "customerId", attempts, first_attempt_at AS "firstAttemptAt"`,
        [operationIds, held.map((row) => row.id)],
      );
      if (started.length !== operationIds.length) {
        const missing = operationIds.filter((id) => !started.some((row) => row.id === id));
        throw new LeaseLostError(missing);
      }
      await sql.rows(
        // clock_timestamp(), not now() (the transaction's start): the fence counts from as late as can be.
        `UPDATE customers SET settle_until = clock_timestamp() + make_interval(secs => $2::double precision / 1000),
                lease_until = greatest(lease_until, clock_timestamp() + make_interval(secs => $2::double precision / 1000))
          WHERE id = ANY($1::uuid[])`,
        [held.map((row) => row.id), fenceMs],
      );
      return new Map(started.map((row) => [row.id, { attempts: row.attempts, firstAttemptAt: row.firstAttemptAt }]));
    });
  }

  /**
   * Attempts that left their operations pending. Their customers' fence becomes `settleMs` from
   * now when any of their requests may still act (the client gave up on it), and is lifted
   * otherwise (Celar answered: nothing of that request can act later).
   */
  async recordAttempts(token: string, outcomes: AttemptOutcome[], settleMs: number | null): Promise<void> {
    if (outcomes.length === 0) return;
    await inTransaction(this.dataSource, async (sql) => {
      const customers = await this.lockHeld(sql, token, outcomes.map((o) => o.id));
      await sql.rows(
        `UPDATE customer_operations o SET last_error = v.error::jsonb, in_doubt = v.in_doubt
           FROM unnest($1::bigint[], $2::text[], $3::boolean[]) AS v(id, error, in_doubt) WHERE o.id = v.id`,
        [outcomes.map((o) => o.id), outcomes.map((o) => JSON.stringify(o.error)), outcomes.map((o) => o.inDoubt)],
      );
      await sql.rows(
        `UPDATE customers SET settle_until = CASE WHEN $2::float8 IS NULL THEN NULL
                ELSE clock_timestamp() + make_interval(secs => $2::float8 / 1000) END
          WHERE id = ANY($1::uuid[])`,
        [customers, settleMs],
      );
    });
  }

  /** Which of these Celar ids are already some local customer's (an adopted match must not be). */
  async linkedCelarIds(celarIds: string[]): Promise<Set<string>> {
    if (celarIds.length === 0) return new Set();
    const rows = await queryRows<{ celarId: string }>(
      this.dataSource,
      `SELECT celar_id AS "celarId" FROM customers WHERE celar_id = ANY($1::text[])`,
      [celarIds],
    );
    return new Set(rows.map((row) => row.celarId));
  }

  // ---- outcomes ----

  /**
   * Operations done, and Celar's answer into the mirror, in one transaction (null: Celar's
   * answer did not carry the customer, so only the sync state moves). Local fields are never
   * overwritten with Celar's; the customer is synced only when nothing is left to do.
   */
  async complete(token: string, customerId: string, operationIds: string[], upstream: UpstreamRecord | null): Promise<void> {
    await this.completeMany(token, [{ customerId, operationIds, upstream }]);
  }

  /** complete() for many customers' creates at once (a bulk). */
  async completeCreates(token: string, created: CreatedUpstream[]): Promise<void> {
    await this.completeMany(
      token,
      created.map(({ customerId, operationId, upstream }) => ({ customerId, operationIds: [operationId], upstream })),
    );
  }

  /** Celar refused for good: the operations and the customer are failed with Celar's reason; later operations wait. */
  async fail(token: string, customerId: string, operationIds: string[], error: OperationError): Promise<void> {
    await inTransaction(this.dataSource, async (sql) => {
      await this.lockHeld(sql, token, operationIds);
      await sql.rows(
        `UPDATE customer_operations SET status = 'failed', in_doubt = false, last_error = $2 WHERE id = ANY($1::bigint[])`,
        [operationIds, JSON.stringify(error)],
      );
      await sql.rows(`UPDATE customers SET sync_status = 'failed', sync_error = $2, settle_until = NULL WHERE id = $1`, [
        customerId,
        JSON.stringify({ code: error.code, message: error.message, at: error.at }),
      ]);
      for (const listener of this.listeners) await listener.customerFailed?.(sql, customerId, operationIds);
    });
  }

  private async completeMany(
    token: string,
    done: { customerId: string; operationIds: string[]; upstream: UpstreamRecord | null }[],
  ): Promise<void> {
    if (done.length === 0) return;
    await inTransaction(this.dataSource, async (sql) => {
      await this.lockHeld(sql, token, done.flatMap((d) => d.operationIds));
      const moved = await sql.rows<{ id: string; customerId: string; kind: OperationKind }>(
        `UPDATE customer_operations SET status = 'done', in_doubt = false, completed_at = now()
          WHERE id = ANY($1::bigint[]) AND status <> 'done'
          RETURNING id::text AS id, customer_id AS "customerId", kind, seq`,
        [done.flatMap((d) => d.operationIds)],
      );
      const records = done.map(({ customerId, upstream }) => ({
        customer_id: customerId,
        known: upstream !== null,
        celar_id: upstream?.celarId ?? null,
        psp_id: upstream?.pspId ?? null,
        created_at: upstream?.createdAt ?? null,
        updated_at: upstream?.updatedAt ?? null,
        kyc_status: upstream?.kycStatus ?? null,
        raw: upstream?.raw ?? null,
      }));
      await sql.rows(
        `UPDATE customers c SET
           celar_id = coalesce(c.celar_id, v.celar_id),
           psp_id = coalesce(v.psp_id, c.psp_id),
           celar_created_at = coalesce(v.created_at, c.celar_created_at),
           celar_updated_at = coalesce(v.updated_at, c.celar_updated_at),
           kyc_status = coalesce(v.kyc_status, c.kyc_status),
           celar_raw = CASE WHEN v.known THEN v.raw ELSE c.celar_raw END,
           settle_until = NULL,
           last_synced_at = now(),
           sync_status = ${SYNC_STATUS_AFTER('c')},
           sync_error = CASE WHEN c.sync_status = 'failed' THEN c.sync_error ELSE NULL END
         FROM jsonb_to_recordset($1::jsonb) AS v(customer_id uuid, known boolean, celar_id text, psp_id text,
           created_at timestamptz, updated_at timestamptz, kyc_status text, raw jsonb)
         WHERE c.id = v.customer_id`,
        [JSON.stringify(records)],
      );
      if (moved.length > 0 && this.listeners.length > 0) {
        const byCustomer = new Map<string, { customerId: string; operationIds: string[]; kinds: OperationKind[] }>();
        for (const op of [...moved].sort((a, b) => Number(a.id) - Number(b.id))) {
          const entry = byCustomer.get(op.customerId) ?? { customerId: op.customerId, operationIds: [], kinds: [] };
          entry.operationIds.push(op.id);
          entry.kinds.push(op.kind);
          byCustomer.set(op.customerId, entry);
        }
        for (const listener of this.listeners) await listener.operationsDone?.(sql, [...byCustomer.values()]);
      }
    });
  }

  /**
   * Locks (in id order, so two such transactions cannot deadlock) the customers of these
   * operations, checking the drain still holds every one; returns their ids.
   */
  private async lockHeld(sql: Sql, token: string, operationIds: string[]): Promise<string[]> {
    const rows = await sql.rows<{ id: string; held: boolean }>(
      `SELECT c.id, (c.lease_token = $2 AND c.lease_until > now()) AS held FROM customers c
        WHERE c.id IN (SELECT customer_id FROM customer_operations WHERE id = ANY($1::bigint[]))
        ORDER BY c.id FOR UPDATE`,
      [operationIds, token],
    );
    const lost = rows.filter((row) => !row.held).map((row) => row.id);
    if (lost.length > 0) throw new LeaseLostError(lost);
    return rows.map((row) => row.id);
  }
}
