import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { isUuid } from '@app/common';
import { CustomerMirrorRepository } from '@app/customers';
import { inTransaction, queryRows, Sql } from '@app/database';
import { CaseListFilter } from './case-list.query';
import {
  CASE_KINDS,
  CaseAction,
  CaseCounts,
  CaseEventView,
  CaseFinding,
  CaseKind,
  CaseResolution,
  CaseStatus,
  CaseView,
} from './case.types';

export interface CaseRow {
  id: string;
  kind: CaseKind;
  status: CaseStatus;
  identity: string;
  customerId: string | null;
  celarId: string | null;
  field: string | null;
  expected: string | null;
  actual: string | null;
  delta: string | null;
  currency: string | null;
  firstSeenAt: Date;
  lastSeenAt: Date;
  occurrenceCount: number;
  firstRunId: string;
  lastRunId: string;
  resolution: CaseResolution | null;
  note: string | null;
  repushOperationId: string | null;
  repushActor: string | null;
  updatedAt: Date;
}

const CASE_COLUMNS = `id, kind, status, identity, customer_id AS "customerId", celar_id AS "celarId", field, expected, actual, delta,
  currency, first_seen_at AS "firstSeenAt", last_seen_at AS "lastSeenAt", occurrence_count AS "occurrenceCount",
  first_run_id AS "firstRunId", last_run_id AS "lastRunId", resolution, note, repush_operation_id AS "repushOperationId",
  repush_actor AS "repushActor", updated_at AS "updatedAt"`;

/** A finding ready to be matched: its identity computed, one per identity. */
export interface IdentifiedFinding extends CaseFinding {
  kind: CaseKind;
  identity: string;
}

export interface NewEvent {
  caseId: string;
  action: CaseAction;
  actor: string;
  note?: string | null;
  runId?: string | null;
}

/** The cases and their timelines in SQL; the only writer of reconciliation_cases and reconciliation_case_events. */
@Injectable()
export class CasesRepository {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly mirror: CustomerMirrorRepository,
  ) {}

  transaction<T>(fn: (sql: Sql) => Promise<T>): Promise<T> {
    return inTransaction(this.dataSource, fn);
  }

  /**
   * Opens a case per finding whose break has no live (unresolved) case, and updates the live
   * one otherwise, keeping its status. A case already seen by this run is left alone, so a
   * redone chunk counts nothing twice. Sorted by identity: two chunks lock in the same order.
   */
  async upsertSeen(m: Sql, runId: string, findings: IdentifiedFinding[]): Promise<{ id: string; opened: boolean }[]> {
    const sorted = [...findings].sort((a, b) => (a.identity < b.identity ? -1 : a.identity > b.identity ? 1 : 0));
    const col = <T>(f: (x: IdentifiedFinding) => T) => sorted.map(f);
    return m.rows(
      `INSERT INTO reconciliation_cases AS c (id, kind, identity, customer_id, celar_id, field, expected, actual, delta, currency, first_run_id, last_run_id)
       SELECT f.id, f.kind, f.identity, f.customer_id, f.celar_id, f.field, f.expected, f.actual, f.delta, f.currency, $1, $1
         FROM unnest($2::uuid[], $3::text[], $4::text[], $5::uuid[], $6::text[], $7::text[], $8::text[], $9::text[], $10::numeric[], $11::text[])
           WITH ORDINALITY AS f(id, kind, identity, customer_id, celar_id, field, expected, actual, delta, currency, ord)
        ORDER BY f.ord
       ON CONFLICT (identity) WHERE status <> 'resolved' DO UPDATE
          SET last_seen_at = now(), occurrence_count = c.occurrence_count + 1, last_run_id = EXCLUDED.last_run_id,
              expected = EXCLUDED.expected, actual = EXCLUDED.actual, delta = EXCLUDED.delta,
              currency = coalesce(EXCLUDED.currency, c.currency), customer_id = coalesce(c.customer_id, EXCLUDED.customer_id),
              celar_id = coalesce(c.celar_id, EXCLUDED.celar_id), updated_at = now()
        WHERE c.last_run_id IS DISTINCT FROM EXCLUDED.last_run_id
       RETURNING c.id, (c.xmax = 0) AS opened`,
      [
        runId,
        col(() => randomUUID()),
        col((f) => f.kind),
        col((f) => f.identity),
        col((f) => f.customerId),
        col((f) => f.celarId),
        col((f) => f.field ?? null),
        col((f) => f.expected ?? null),
        col((f) => f.actual ?? null),
        col((f) => f.delta ?? null),
        col((f) => f.currency ?? null),
      ],
    );
  }

  /**
   * Resolves (auto) the live cases of these kinds that no run has seen since `since`, except
   * field drift of a customer with changes still waiting to sync: the run did not compare it.
   */
  async resolveUnseen(m: Sql, runId: string, kinds: CaseKind[], since: Date): Promise<string[]> {
    const stale = `c.kind = ANY($1::text[]) AND c.status IN ('open', 'acknowledged') AND c.last_seen_at < $2 AND c.last_run_id <> $3`;
    const drifted = await m.rows<{ customerId: string }>(
      `SELECT DISTINCT c.customer_id AS "customerId" FROM reconciliation_cases c
        WHERE ${stale} AND c.kind = 'field_drift' AND c.customer_id IS NOT NULL`,
      [kinds, since, runId],
    );
    const waiting = await this.mirror.withUnfinishedOperations(m, drifted.map((d) => d.customerId));
    const rows = await m.rows<{ id: string }>(
      `WITH resolved AS (
         UPDATE reconciliation_cases c SET status = 'resolved', resolution = 'auto', updated_at = now()
          WHERE ${stale} AND NOT (c.kind = 'field_drift' AND coalesce(c.customer_id = ANY($4::uuid[]), false))
         RETURNING c.id)
       SELECT id FROM resolved`,
      [kinds, since, runId, [...waiting]],
    );
    return rows.map((r) => r.id);
  }

  /** Cases waiting for these operations (a repush) resolve with `repushed`, credited to whoever asked. */
  async resolveRepushed(m: Sql, operationIds: string[]): Promise<{ id: string; actor: string }[]> {
    return m.rows(
      `WITH resolved AS (
         UPDATE reconciliation_cases SET status = 'resolved', resolution = 'repushed', updated_at = now()
          WHERE repush_operation_id = ANY($1::bigint[]) AND status IN ('open', 'acknowledged')
         RETURNING id, repush_actor)
       SELECT id, coalesce(repush_actor, 'run:unknown') AS actor FROM resolved`,
      [operationIds],
    );
  }

  async addEvents(m: Sql, events: NewEvent[]): Promise<void> {
    if (events.length === 0) return;
    await m.rows(
      `INSERT INTO reconciliation_case_events (case_id, action, actor, note, run_id)
       SELECT e.case_id, e.action, e.actor, e.note, e.run_id
         FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::uuid[]) WITH ORDINALITY AS e(case_id, action, actor, note, run_id, ord)
        ORDER BY e.ord`,
      [events.map((e) => e.caseId), events.map((e) => e.action), events.map((e) => e.actor), events.map((e) => e.note ?? null), events.map((e) => e.runId ?? null)],
    );
  }

  async get(id: string, m?: Sql): Promise<CaseRow | null> {
    if (!isUuid(id)) return null;
    const text = `SELECT ${CASE_COLUMNS} FROM reconciliation_cases WHERE id = $1`;
    const rows = m ? await m.rows<CaseRow>(text, [id]) : await queryRows<CaseRow>(this.dataSource, text, [id]);
    return rows[0] ?? null;
  }

  async lock(m: Sql, id: string): Promise<CaseRow | null> {
    if (!isUuid(id)) return null;
    const rows: CaseRow[] = await m.rows(`SELECT ${CASE_COLUMNS} FROM reconciliation_cases WHERE id = $1 FOR UPDATE`, [id]);
    return rows[0] ?? null;
  }

  /** Sets a case's status (and what goes with it); answers the row as it now is. */
  async setStatus(
    m: Sql,
    id: string,
    change: { status: CaseStatus; resolution: CaseResolution | null; note?: string | null },
  ): Promise<CaseRow> {
    const rows: CaseRow[] = await m.rows(
      `UPDATE reconciliation_cases SET status = $2, resolution = $3, note = coalesce($4, note), updated_at = now()
        WHERE id = $1 RETURNING ${CASE_COLUMNS}`,
      [id, change.status, change.resolution, change.note ?? null],
    );
    return rows[0];
  }

  async setRepush(m: Sql, id: string, operationId: string, actor: string, note: string | null): Promise<CaseRow> {
    const rows: CaseRow[] = await m.rows(
      `UPDATE reconciliation_cases SET repush_operation_id = $2, repush_actor = $3, note = coalesce($4, note), updated_at = now()
        WHERE id = $1 RETURNING ${CASE_COLUMNS}`,
      [id, operationId, actor, note],
    );
    return rows[0];
  }

  /** The live case of the same break, other than this one (a reopen must not make two). */
  async liveWithIdentity(m: Sql, identity: string, exceptId: string): Promise<string | null> {
    const rows: { id: string }[] = await m.rows(
      `SELECT id FROM reconciliation_cases WHERE identity = $1 AND status <> 'resolved' AND id <> $2`,
      [identity, exceptId],
    );
    return rows[0]?.id ?? null;
  }

  async events(caseId: string): Promise<CaseEventView[]> {
    const rows: { at: Date; action: CaseAction; actor: string; note: string | null; runId: string | null }[] = await queryRows(this.dataSource, 
      `SELECT at, action, actor, note, run_id AS "runId" FROM reconciliation_case_events WHERE case_id = $1 ORDER BY id`,
      [caseId],
    );
    return rows.map((r) => ({ at: r.at.toISOString(), action: r.action, actor: r.actor, note: r.note, run_id: r.runId }));
  }

  async list(filter: CaseListFilter): Promise<{ cases: CaseRow[]; total: number }> {
    const { where, params } = whereOf(filter);
    const [{ total }] = await queryRows<{ total: number }>(this.dataSource, `SELECT count(*)::int AS total FROM reconciliation_cases ${where}`, params);
    const cases: CaseRow[] = await queryRows(this.dataSource, 
      `SELECT ${CASE_COLUMNS} FROM reconciliation_cases ${where} ORDER BY first_seen_at, id LIMIT $${params.length + 1} OFFSET $${params.length + 2}`,
      [...params, filter.limit, filter.offset],
    );
    return { cases, total };
  }

  /** Every matching case, a batch at a time (keyset), so a large export never sits in memory. */
  async *all(filter: CaseListFilter, batch = 1000): AsyncGenerator<CaseRow> {
    const { where, params } = whereOf(filter);
    let after: { at: Date; id: string } | null = null;
    for (;;) {
      const cursor: string = after ? `${where ? `${where} AND` : 'WHERE'} (first_seen_at, id) > ($${params.length + 2}, $${params.length + 3})` : where;
      const rows: CaseRow[] = await queryRows(this.dataSource, 
        `SELECT ${CASE_COLUMNS} FROM reconciliation_cases ${cursor} ORDER BY first_seen_at, id LIMIT $${params.length + 1}`,
        after ? [...params, batch, after.at, after.id] : [...params, batch],
      );
      for (const row of rows) yield row;
      if (rows.length < batch) return;
      const last = rows[rows.length - 1];
      after = { at: last.firstSeenAt, id: last.id };
    }
  }

  /** Open and acknowledged cases by status, kind and age. */
  async counts(): Promise<CaseCounts> {
    const [row] = await queryRows<Record<'open' | 'acknowledged' | 'underOneDay' | 'oneToThreeDays' | 'threeToSevenDays' | 'overSevenDays', number>>(this.dataSource, 
      `SELECT count(*) FILTER (WHERE status = 'open')::int AS open,
              count(*) FILTER (WHERE status = 'acknowledged')::int AS acknowledged,
              count(*) FILTER (WHERE first_seen_at > now() - interval '1 day')::int AS "underOneDay",
              count(*) FILTER (WHERE first_seen_at <= now() - interval '1 day' AND first_seen_at > now() - interval '3 days')::int AS "oneToThreeDays",
              count(*) FILTER (WHERE first_seen_at <= now() - interval '3 days' AND first_seen_at > now() - interval '7 days')::int AS "threeToSevenDays",
              count(*) FILTER (WHERE first_seen_at <= now() - interval '7 days')::int AS "overSevenDays"
         FROM reconciliation_cases WHERE status IN ('open', 'acknowledged')`,
    );
    const kinds: { kind: CaseKind; n: number }[] = await queryRows(this.dataSource, 
      `SELECT kind, count(*)::int AS n FROM reconciliation_cases WHERE status IN ('open', 'acknowledged') GROUP BY kind`,
    );
    const byKind = Object.fromEntries(CASE_KINDS.map((k) => [k, 0])) as Record<CaseKind, number>;
    for (const k of kinds) byKind[k.kind] = k.n;
    return {
      open: row.open,
      acknowledged: row.acknowledged,
      by_kind: byKind,
      by_age: { lt_1d: row.underOneDay, '1d_3d': row.oneToThreeDays, '3d_7d': row.threeToSevenDays, gt_7d: row.overSevenDays },
    };
  }
}

function whereOf(filter: CaseListFilter): { where: string; params: unknown[] } {
  const conditions: string[] = [];
  const params: unknown[] = [];
  const add = (sql: string, value: unknown) => {
    params.push(value);
    conditions.push(sql.replace('?', `$${params.length}`));
  };
  if (filter.statuses) add('status = ANY(?::text[])', filter.statuses);
  if (filter.kinds) add('kind = ANY(?::text[])', filter.kinds);
  // Column names come from the parser's fixed choice, never from input.
  if (filter.customer) add(`${filter.customer.column} = ?`, filter.customer.value);
  if (filter.minAgeHours !== undefined) add(`first_seen_at <= now() - ?::numeric * interval '1 hour'`, filter.minAgeHours);
  return { where: conditions.length ? `WHERE ${conditions.join(' AND ')}` : '', params };
}


export function toCaseView(row: CaseRow): CaseView {
  return {
    id: row.id,
    kind: row.kind,
    status: row.status,
    customer_id: row.customerId,
    celar_id: row.celarId,
    field: row.field,
    expected: row.expected,
    actual: row.actual,
    delta: row.delta,
    currency: row.currency,
    first_seen_at: row.firstSeenAt.toISOString(),
    last_seen_at: row.lastSeenAt.toISOString(),
    occurrence_count: row.occurrenceCount,
    first_run_id: row.firstRunId,
    last_run_id: row.lastRunId,
    resolution: row.resolution,
    note: row.note,
    updated_at: row.updatedAt.toISOString(),
  };
}
