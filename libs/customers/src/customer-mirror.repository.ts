import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { queryRows, Sql } from '@app/database';
import { CUSTOMER_COLUMNS, toCustomer } from './customer-columns';
import { DocumentField, DOCUMENT_FIELDS } from './customer-input.dto';
import { CUSTOMER_REF } from './customer-ref';
import { CustomerResponse, toCustomerResponse } from './customer.serializer';
import type { NewCustomerRow } from './customers.repository';

/** A mirror row as reconciliation compares it with Celar's copy. */
export interface MirrorRecord extends NewCustomerRow {
  celarId: string | null;
  verificationDocument: string | null;
  incorporationCertificate: string | null;
  isActive: boolean;
  /** Some of its operations still wait to reach Celar: its fields are ours to keep. */
  pending: boolean;
  /** We asked Celar to deactivate it (a deactivate operation exists): an inactive upstream copy is expected. */
  deactivatedByUs: boolean;
}

/** A customer that exists upstream, as a balance check needs it. */
export interface LinkedCustomer {
  id: string;
  celarId: string;
  isActive: boolean;
}

/** A keyset range of customers (by id), and how many it holds. */
export interface CustomerIdRange {
  firstId: string;
  lastId: string;
  count: number;
}

/**
 * Which linked customers a query covers. `unseenByRun`: only those whose Celar id that
 * reconciliation run has not recorded as seen (reconciliation_seen), read in the same statement
 * so no list of ids travels; the one place the mirror reads a table of reconciliation's.
 */
export interface LinkedScope {
  unseenByRun?: string;
}

const MIRROR_COLUMNS = `c.id, c.celar_id AS "celarId", c.type, c.name, c.email, c.country, c.document_type AS "documentType",
  c.address, c.tax_id AS "taxId", c.wallet_address AS "walletAddress", c.verification_document AS "verificationDocument",
  c.incorporation_certificate AS "incorporationCertificate", c.is_active AS "isActive",
  EXISTS (SELECT 1 FROM customer_operations o WHERE o.customer_id = c.id AND o.status <> 'done') AS pending,
  EXISTS (SELECT 1 FROM customer_operations o WHERE o.customer_id = c.id AND o.kind = 'deactivate') AS "deactivatedByUs"`;

const UNSEEN = (runParam: string) =>
  `AND NOT EXISTS (SELECT 1 FROM reconciliation_seen s WHERE s.run_id = ${runParam} AND s.celar_id = c.celar_id)`;

/**
 * The statements other features need on the mirror (customers, customer_operations): reads for
 * reconciliation, cases and metrics, and the few changes only Celar can cause (a document
 * attached, a deactivation in Celar's Dashboard). Methods that take `Sql` join the caller's
 * transaction.
 */
@Injectable()
export class CustomerMirrorRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Our id and Celar's for a reference (our uuid or Celar's `cr_` id); null when none matches. */
  async resolveRef(ref: string): Promise<{ id: string; celarId: string | null } | null> {
    const where = CUSTOMER_REF.where(ref);
    if (!where) return null;
    const [row] = await queryRows<{ id: string; celarId: string | null }>(
      this.dataSource,
      `SELECT id, celar_id AS "celarId" FROM customers WHERE ${where.column} = $1`,
      [where.value],
    );
    return row ?? null;
  }

  /** Keyset ranges of `size` customers that exist upstream, computed in SQL so no customer list reaches this process. */
  linkedIdRanges(sql: Sql, size: number, scope: LinkedScope = {}): Promise<CustomerIdRange[]> {
    return sql.rows<CustomerIdRange>(
      `SELECT min(id::text COLLATE "C") AS "firstId", max(id::text COLLATE "C") AS "lastId", count(*)::int AS count
         FROM (SELECT c.id, (row_number() OVER (ORDER BY c.id) - 1) / $1 AS g
                 FROM customers c WHERE c.celar_id IS NOT NULL ${scope.unseenByRun ? UNSEEN('$2') : ''}) x
        GROUP BY g ORDER BY g`,
      scope.unseenByRun ? [size, scope.unseenByRun] : [size],
    );
  }

  /** The customers of one keyset range that exist upstream, in id order. */
  linkedInRange(firstId: string, lastId: string, scope: LinkedScope = {}): Promise<LinkedCustomer[]> {
    return queryRows<LinkedCustomer>(
      this.dataSource,
      `SELECT c.id, c.celar_id AS "celarId", c.is_active AS "isActive" FROM customers c
        WHERE c.id BETWEEN $1 AND $2 AND c.celar_id IS NOT NULL ${scope.unseenByRun ? UNSEEN('$3') : ''}
        ORDER BY c.id`,
      scope.unseenByRun ? [firstId, lastId, scope.unseenByRun] : [firstId, lastId],
    );
  }

  /** The mirror's records for these Celar ids, or for these emails (lower case). */
  mirrorRecords(sql: Sql, by: { celarIds: string[] } | { emails: string[] }): Promise<MirrorRecord[]> {
    return 'celarIds' in by
      ? sql.rows<MirrorRecord>(`SELECT ${MIRROR_COLUMNS} FROM customers c WHERE c.celar_id = ANY($1::text[])`, [by.celarIds])
      : sql.rows<MirrorRecord>(`SELECT ${MIRROR_COLUMNS} FROM customers c WHERE lower(c.email) = ANY($1::text[])`, [by.emails]);
  }

  /** Pulls a document Celar's Dashboard set into the mirror; false when it already held that value. */
  async attachDocument(sql: Sql, customerId: string, field: DocumentField, value: string | null): Promise<boolean> {
    if (!DOCUMENT_FIELDS.includes(field)) throw new Error(`not a document field: ${field}`);
    const rows = await sql.rows(
      `UPDATE customers SET ${field} = $2, updated_at = now() WHERE id = $1 AND ${field} IS DISTINCT FROM $2 RETURNING id`,
      [customerId, value],
    );
    return rows.length > 0;
  }

  /** Celar's KYC state as a run read it: the mirror keeps what Celar reports (no finding needed). */
  async recordKycStatuses(sql: Sql, statuses: { customerId: string; kycStatus: string }[]): Promise<void> {
    if (statuses.length === 0) return;
    await sql.rows(
      `UPDATE customers c SET kyc_status = v.kyc_status
         FROM unnest($1::uuid[], $2::text[]) AS v(id, kyc_status)
        WHERE c.id = v.id AND c.kyc_status IS DISTINCT FROM v.kyc_status`,
      [statuses.map((s) => s.customerId), statuses.map((s) => s.kycStatus)],
    );
  }

  /** Celar deactivated the customer (not us): the mirror follows; false when it was already inactive. */
  async applyRemoteDeactivation(sql: Sql, customerId: string): Promise<boolean> {
    const rows = await sql.rows(
      `UPDATE customers SET is_active = false, deactivated_at = coalesce(deactivated_at, now()), updated_at = now()
        WHERE id = $1 AND is_active RETURNING id`,
      [customerId],
    );
    return rows.length > 0;
  }

  /** Which of these customers still have operations waiting to reach Celar. */
  async withUnfinishedOperations(sql: Sql, customerIds: string[]): Promise<Set<string>> {
    if (customerIds.length === 0) return new Set();
    const rows = await sql.rows<{ id: string }>(
      `SELECT DISTINCT customer_id::text AS id FROM customer_operations WHERE customer_id = ANY($1::uuid[]) AND status <> 'done'`,
      [customerIds],
    );
    return new Set(rows.map((row) => row.id));
  }
}

/**
 * These customers as the API shows them, read in the caller's transaction (so as its changes left
 * them); ids that match none are left out. A function of the transaction, so that webhook events
 * written inside it can carry the customer without a module of their own.
 */
export async function customerResponses(sql: Sql, customerIds: string[]): Promise<CustomerResponse[]> {
  if (customerIds.length === 0) return [];
  const rows = await sql.rows(`SELECT ${CUSTOMER_COLUMNS} FROM customers WHERE id = ANY($1::uuid[])`, [[...new Set(customerIds)]]);
  return rows.map((row) => toCustomerResponse(toCustomer(row)));
}

/**
 * Operations not yet sent to Celar, and how long the oldest has waited (seconds, fractional;
 * null when none). A function of the data source, so the outbox gauges (libs/sync) can ask it
 * without this module; one scan of the partial index on unfinished operations.
 */
export async function outboxBacklog(dataSource: DataSource): Promise<{ pending: number; oldestAgeSeconds: number | null }> {
  const [row] = await queryRows<{ pending: number; oldest: number | null }>(
    dataSource,
    `SELECT count(*)::int AS pending, extract(epoch FROM now() - min(created_at))::float8 AS oldest
       FROM customer_operations WHERE status = 'pending'`,
  );
  return { pending: row.pending, oldestAgeSeconds: row.oldest };
}
