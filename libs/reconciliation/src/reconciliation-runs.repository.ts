import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { CasesService } from '@app/cases';
import { isUuid } from '@app/common';
import { CustomerIdRange, CustomerMirrorRepository } from '@app/customers';
import { inTransaction, queryRows, Sql } from '@app/database';
import { WebhookEvents } from '@app/webhooks';
import { ChunkKind } from './reconciliation-chunk.entity';
import { CONFIRM_CHUNK_SIZE } from './reconciliation.constants';
import { RunPhase } from './reconciliation-run.entity';
import { FindingView, NewFinding, RunKind, RunStatus, RunTrigger, RunView } from './reconciliation.types';

/** Postgres' unique_violation. */
const UNIQUE_VIOLATION = '23505';

export class RunInProgressError extends Error {
  constructor(readonly activeRunId: string | null) {
    super('a run of this kind is already queued or running');
  }
}

export interface RunRow {
  id: string;
  kind: RunKind;
  trigger: RunTrigger;
  status: RunStatus;
  phase: RunPhase;
  progressDone: number;
  progressTotal: number;
  customersChecked: number;
  balancesChanged: number;
  findingsCount: number;
  errors: number;
  totals: { currency: string; total: string }[];
  error: string | null;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
  updatedAt: Date;
}

const RUN_COLUMNS = `id, kind, trigger, status, phase, progress_done AS "progressDone", progress_total AS "progressTotal",
  customers_checked AS "customersChecked", balances_changed AS "balancesChanged", findings_count AS "findingsCount",
  errors, totals, error, created_at AS "createdAt", started_at AS "startedAt", finished_at AS "finishedAt", updated_at AS "updatedAt"`;

export interface ChunkRow {
  runId: string;
  chunkNo: number;
  kind: ChunkKind;
  firstId: string | null;
  lastId: string | null;
  pageOffset: number | null;
  pageLimit: number | null;
  planned: number;
  status: 'pending' | 'done' | 'failed';
}

const CHUNK_COLUMNS = `run_id AS "runId", chunk_no AS "chunkNo", kind, first_id AS "firstId", last_id AS "lastId",
  page_offset AS "pageOffset", page_limit AS "pageLimit", planned, status`;

/** What a finished chunk adds to its run. */
export interface ChunkResult {
  customersDone: number;
  customersChecked: number;
  balancesChanged: number;
  findings: number;
  errors: number;
  totals?: Record<string, string>;
  error?: string | null;
}

/** What the caller must do after a run moved on: enqueue these chunks, or nothing (finished, or others still working). */
export interface Advance {
  enqueue: number[];
  finished: RunStatus | null;
}

const ACTIVE = `status IN ('queued', 'running')`;

export interface RunCount {
  kind: RunKind;
  status: RunStatus;
  runs: number;
  oldestActiveAgeSeconds: number | null;
}

/** Runs, chunks and findings in SQL; every method that changes a run's state is safe to repeat. */
@Injectable()
export class ReconciliationRunsRepository {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly cases: CasesService,
    private readonly mirror: CustomerMirrorRepository,
  ) {}

  /** A new queued run; two active runs of one kind are refused by a unique index, whatever the race. */
  async createRun(kind: RunKind, trigger: RunTrigger): Promise<RunRow> {
    // The usual case answered without a failed insert; the index still settles a race.
    const active = await this.findActive(kind);
    if (active) throw new RunInProgressError(active.id);
    try {
      const rows = await queryRows<RunRow>(
        this.dataSource,
        `INSERT INTO reconciliation_runs (id, kind, trigger) VALUES ($1, $2, $3) RETURNING ${RUN_COLUMNS}`,
        [randomUUID(), kind, trigger],
      );
      return rows[0];
    } catch (error) {
      if ((error as { code?: string }).code !== UNIQUE_VIOLATION) throw error;
      // Outside the caller's (now aborted) transaction: the active run has committed.
      const active = await this.findActive(kind);
      throw new RunInProgressError(active?.id ?? null);
    }
  }

  /** A run whose start could not be queued: it never existed for anyone. */
  async deleteUnstarted(id: string): Promise<void> {
    await queryRows(this.dataSource, `DELETE FROM reconciliation_runs WHERE id = $1 AND status = 'queued' AND started_at IS NULL`, [id]);
  }

  async findActive(kind: RunKind): Promise<RunRow | null> {
    const rows: RunRow[] = await queryRows(this.dataSource, `SELECT ${RUN_COLUMNS} FROM reconciliation_runs WHERE kind = $1 AND ${ACTIVE}`, [kind]);
    return rows[0] ?? null;
  }

  async listActive(): Promise<RunRow[]> {
    return queryRows(this.dataSource, `SELECT ${RUN_COLUMNS} FROM reconciliation_runs WHERE ${ACTIVE} ORDER BY created_at`);
  }

  async get(id: string): Promise<RunRow | null> {
    if (!isUuid(id)) return null;
    const rows: RunRow[] = await queryRows(this.dataSource, `SELECT ${RUN_COLUMNS} FROM reconciliation_runs WHERE id = $1`, [id]);
    return rows[0] ?? null;
  }

  async list(limit: number, offset: number): Promise<{ runs: RunRow[]; total: number }> {
    const runs: RunRow[] = await queryRows(this.dataSource, 
      `SELECT ${RUN_COLUMNS} FROM reconciliation_runs ORDER BY created_at DESC, id DESC LIMIT $1 OFFSET $2`,
      [limit, offset],
    );
    const [{ total }] = await queryRows<{ total: number }>(this.dataSource, `SELECT count(*)::int AS total FROM reconciliation_runs`);
    return { runs, total };
  }

  /** Runs by kind and status, each with the age of its oldest queued or running run (seconds; null when none): the run gauges. */
  async runCounts(): Promise<RunCount[]> {
    return queryRows<RunCount>(
      this.dataSource,
      `SELECT kind, status, count(*)::int AS runs,
              extract(epoch FROM now() - min(created_at) FILTER (WHERE ${ACTIVE}))::float8 AS "oldestActiveAgeSeconds"
         FROM reconciliation_runs GROUP BY kind, status`,
    );
  }

  /** The latest run of each kind, whatever its status. */
  async latestOfEachKind(): Promise<RunRow[]> {
    return queryRows(this.dataSource, `SELECT DISTINCT ON (kind) ${RUN_COLUMNS} FROM reconciliation_runs ORDER BY kind, created_at DESC, id DESC`);
  }

  /** Totals of the latest completed balance runs, oldest first: the balance totals over runs. */
  async completedBalanceTotals(limit: number): Promise<RunRow[]> {
    return queryRows(this.dataSource, 
      `SELECT ${RUN_COLUMNS} FROM reconciliation_runs
        WHERE id IN (SELECT id FROM reconciliation_runs WHERE kind = 'balances' AND status = 'completed'
                      ORDER BY created_at DESC, id DESC LIMIT $1)
        ORDER BY created_at, id`,
      [limit],
    );
  }

  /** queued -> running; answers null when the run is already over (or unknown). */
  async markRunning(id: string): Promise<RunRow | null> {
    const rows = await queryRows<RunRow>(
      this.dataSource,
      `UPDATE reconciliation_runs SET status = 'running', started_at = coalesce(started_at, now()), updated_at = now()
        WHERE id = $1 AND ${ACTIVE} RETURNING ${RUN_COLUMNS}`,
      [id],
    );
    return rows[0] ?? null;
  }

  /** A run that cannot go on at all (e.g. Celar's list cannot be read). */
  async markFailed(id: string, error: string): Promise<void> {
    await inTransaction(this.dataSource, async (sql) => {
      const ended = await sql.rows<RunRow>(
        `UPDATE reconciliation_runs SET status = 'failed', phase = 'done', error = $2, finished_at = now(), updated_at = now()
          WHERE id = $1 AND ${ACTIVE} RETURNING ${RUN_COLUMNS}`,
        [id, error],
      );
      // webhooks (issue 13): reconciliation.run_finished, committed with the run's end.
      if (ended[0]) await WebhookEvents.appendRunFinished(sql, toRunView(ended[0]));
      await sql.rows(`DELETE FROM reconciliation_seen WHERE run_id = $1`, [id]);
    });
  }

  /**
   * Locks the run (it answers null when the run is over). NO KEY UPDATE: the rows a chunk
   * inserts hold KEY SHARE locks on the run through their foreign keys, which FOR UPDATE
   * would wait for (and two chunks would deadlock).
   */
  async lockActive(sql: Sql, runId: string): Promise<RunRow | null> {
    const rows: RunRow[] = await sql.rows(`SELECT ${RUN_COLUMNS} FROM reconciliation_runs WHERE id = $1 AND ${ACTIVE} FOR NO KEY UPDATE`, [runId]);
    return rows[0] ?? null;
  }

  async setPhase(sql: Sql, runId: string, phase: RunPhase): Promise<void> {
    await sql.rows(`UPDATE reconciliation_runs SET phase = $2, updated_at = now() WHERE id = $1`, [runId, phase]);
  }

  /**
   * Balance chunks: keyset ranges of `size` customers that exist upstream, planned in SQL so
   * no customer list ever reaches this process.
   */
  async planBalanceChunks(sql: Sql, runId: string, size: number): Promise<void> {
    await this.insertRangeChunks(sql, runId, 0, 'balances', await this.mirror.linkedIdRanges(sql, size));
  }

  /**
   * The first page of a records scan. Celar's pages may be shorter than asked and its order and
   * total are not promised, so pages are read one after the other, each from where the last one
   * ended, until an empty page (see addNextPage). `expected` (Celar's total, or the first page's
   * size) only sizes the progress bar.
   */
  async planPages(sql: Sql, runId: string, expected: number, limit: number): Promise<void> {
    await sql.rows(
      `INSERT INTO reconciliation_chunks (run_id, chunk_no, kind, page_offset, page_limit, planned)
       VALUES ($1, 0, 'records_page', 0, $2, $3)
       ON CONFLICT DO NOTHING`,
      [runId, limit, Math.max(0, expected)],
    );
  }

  /** The page after one that held customers: from the offset where it ended; `planned` carries what is still expected. */
  async addNextPage(sql: Sql, runId: string, offset: number, limit: number, planned: number): Promise<boolean> {
    const rows: unknown[] = await sql.rows(
      `INSERT INTO reconciliation_chunks (run_id, chunk_no, kind, page_offset, page_limit, planned)
       SELECT $1, $2, 'records_page', $3, $4, $5
        WHERE NOT EXISTS (SELECT 1 FROM reconciliation_chunks WHERE run_id = $1 AND kind = 'records_page' AND page_offset = $3)
       ON CONFLICT DO NOTHING RETURNING chunk_no`,
      [runId, await this.nextChunkNo(sql, runId), offset, limit, Math.max(0, planned)],
    );
    return rows.length > 0;
  }

  /** After the scan: the customers it did not see, in keyset chunks, each to be confirmed one by one. */
  async planConfirmChunks(sql: Sql, runId: string, size: number): Promise<number[]> {
    const ranges = await this.mirror.linkedIdRanges(sql, size, { unseenByRun: runId });
    return this.insertRangeChunks(sql, runId, await this.nextChunkNo(sql, runId), 'records_confirm', ranges);
  }

  /** One chunk per keyset range, numbered from `first`; answers the chunk numbers inserted. */
  private async insertRangeChunks(sql: Sql, runId: string, first: number, kind: ChunkKind, ranges: CustomerIdRange[]): Promise<number[]> {
    if (ranges.length === 0) return [];
    const rows = await sql.rows<{ chunkNo: number }>(
      `INSERT INTO reconciliation_chunks (run_id, chunk_no, kind, first_id, last_id, planned)
       SELECT $1, $2 + (r.ord - 1), $3, r.first_id, r.last_id, r.planned
         FROM unnest($4::uuid[], $5::uuid[], $6::int[]) WITH ORDINALITY AS r(first_id, last_id, planned, ord)
       ON CONFLICT DO NOTHING RETURNING chunk_no AS "chunkNo"`,
      [runId, first, kind, ranges.map((r) => r.firstId), ranges.map((r) => r.lastId), ranges.map((r) => r.count)],
    );
    return rows.map((r) => r.chunkNo);
  }

  private async nextChunkNo(sql: Sql, runId: string): Promise<number> {
    const [{ next }] = await sql.rows<{ next: number }>(
      `SELECT coalesce(max(chunk_no) + 1, 0)::int AS next FROM reconciliation_chunks WHERE run_id = $1`,
      [runId],
    );
    return next;
  }

  async getChunk(runId: string, chunkNo: number): Promise<ChunkRow | null> {
    const rows: ChunkRow[] = await queryRows(this.dataSource, `SELECT ${CHUNK_COLUMNS} FROM reconciliation_chunks WHERE run_id = $1 AND chunk_no = $2`, [runId, chunkNo]);
    return rows[0] ?? null;
  }

  /** Inside the caller's transaction when `sql` is given. */
  async pendingChunks(runId: string, sql?: Sql): Promise<number[]> {
    const text = `SELECT chunk_no AS "chunkNo" FROM reconciliation_chunks WHERE run_id = $1 AND status = 'pending' ORDER BY chunk_no`;
    const rows = sql ? await sql.rows<{ chunkNo: number }>(text, [runId]) : await queryRows<{ chunkNo: number }>(this.dataSource, text, [runId]);
    return rows.map((r) => r.chunkNo);
  }

  /** Moves the run on (see advance) in a transaction of its own: the watchdog's nudge. */
  advanceNow(runId: string): Promise<Advance> {
    return inTransaction(this.dataSource, (sql) => this.advance(sql, runId));
  }

  /** Locks a chunk that is still to do; null when another attempt already finished it. */
  async lockPendingChunk(sql: Sql, runId: string, chunkNo: number): Promise<ChunkRow | null> {
    const rows: ChunkRow[] = await sql.rows(
      `SELECT ${CHUNK_COLUMNS} FROM reconciliation_chunks WHERE run_id = $1 AND chunk_no = $2 AND status = 'pending' FOR UPDATE`,
      [runId, chunkNo],
    );
    return rows[0] ?? null;
  }

  async finishChunk(sql: Sql, runId: string, chunkNo: number, status: 'done' | 'failed', r: ChunkResult): Promise<void> {
    await sql.rows(
      `UPDATE reconciliation_chunks SET status = $3, customers_done = $4, customers_checked = $5, balances_changed = $6,
              findings = $7, errors = $8, totals = $9, error = $10, finished_at = now()
        WHERE run_id = $1 AND chunk_no = $2`,
      [runId, chunkNo, status, r.customersDone, r.customersChecked, r.balancesChanged, r.findings, r.errors, JSON.stringify(r.totals ?? {}), r.error ?? null],
    );
  }

  /** A chunk whose job gave up for good: every customer of it counts as not checked. */
  async failChunk(runId: string, chunkNo: number, error: string): Promise<Advance> {
    return inTransaction(this.dataSource, async (sql) => {
      const chunk = await this.lockPendingChunk(sql, runId, chunkNo);
      if (!chunk) return { enqueue: [], finished: null };
      await this.finishChunk(sql, runId, chunkNo, 'failed', {
        customersDone: chunk.planned,
        customersChecked: 0,
        balancesChanged: 0,
        findings: 0,
        errors: chunk.planned,
        error,
      });
      return this.advance(sql, runId);
    });
  }

  /** A chunk's findings, and (same transaction) the cases they open or update. */
  async insertFindings(sql: Sql, runId: string, findings: NewFinding[]): Promise<number> {
    if (findings.length === 0) return 0;
    await this.cases.recordFindings(sql, runId, findings);
    const col = <K extends keyof NewFinding>(key: K) => findings.map((f) => (f[key] ?? null) as NewFinding[K] | null);
    const rows: unknown[] = await sql.rows(
      `INSERT INTO reconciliation_findings (run_id, kind, customer_id, celar_id, field, expected, actual, delta, message)
       SELECT $1, * FROM unnest($2::text[], $3::uuid[], $4::text[], $5::text[], $6::text[], $7::text[], $8::numeric[], $9::text[])
       ON CONFLICT DO NOTHING RETURNING id`,
      [runId, col('kind'), col('customerId'), col('celarId'), col('field'), col('expected'), col('actual'), col('delta'), col('message')],
    );
    return rows.length;
  }

  /**
   * Under the run's row lock (so concurrent chunks take turns here): rewrites the run's
   * progress, counts and totals as sums over its finished chunks, then moves it on when no
   * chunk is left: a records scan is followed by its confirm phase, anything else is final.
   */
  async advance(sql: Sql, runId: string): Promise<Advance> {
    const run = await this.lockActive(sql, runId);
    if (!run) return { enqueue: [], finished: null };
    await sql.rows(
      `UPDATE reconciliation_runs r SET
              progress_done = s.done, progress_total = s.total, customers_checked = s.checked,
              balances_changed = s.changed, findings_count = s.findings, errors = s.errors,
              totals = s.totals, updated_at = now()
         FROM (SELECT coalesce(sum(customers_done) FILTER (WHERE status <> 'pending'), 0)::int AS done,
                      coalesce(sum(CASE WHEN status = 'pending' THEN planned ELSE customers_done END), 0)::int AS total,
                      coalesce(sum(customers_checked), 0)::int AS checked,
                      coalesce(sum(balances_changed), 0)::int AS changed,
                      coalesce(sum(findings), 0)::int AS findings,
                      coalesce(sum(errors), 0)::int AS errors,
                      (SELECT coalesce(jsonb_agg(jsonb_build_object('currency', currency, 'total', total::text) ORDER BY currency), '[]'::jsonb)
                         FROM (SELECT t.key AS currency, sum(t.value::numeric) AS total
                                 FROM reconciliation_chunks c, jsonb_each_text(c.totals) t
                                WHERE c.run_id = $1 GROUP BY t.key) x) AS totals
                 FROM reconciliation_chunks WHERE run_id = $1) s
        WHERE r.id = $1`,
      [runId],
    );
    if (run.phase === 'plan') return { enqueue: [], finished: null };
    const [{ pending }] = await sql.rows<{ pending: number }>(
      `SELECT count(*)::int AS pending FROM reconciliation_chunks WHERE run_id = $1 AND status = 'pending'`,
      [runId],
    );
    if (pending > 0) return { enqueue: [], finished: null };
    if (run.kind === 'records' && run.phase === 'scan') {
      const planned = await this.planConfirmChunks(sql, runId, CONFIRM_CHUNK_SIZE);
      await this.setPhase(sql, runId, 'confirm');
      // Counted into the progress total at once.
      if (planned.length > 0) return { ...(await this.advance(sql, runId)), enqueue: planned };
    }
    return { enqueue: [], finished: await this.finalize(sql, runId) };
  }

  /** Completed only when every customer was checked; partial over any gap; failed when nothing could be. */
  private async finalize(sql: Sql, runId: string): Promise<RunStatus> {
    const [gaps] = await sql.rows<{ failedChunks: number; errorsText: string | null; chunksWithErrors: number }>(
      `SELECT count(*) FILTER (WHERE status = 'failed')::int AS "failedChunks",
              (SELECT string_agg(error, '; ' ORDER BY chunk_no) FROM (
                 SELECT chunk_no, error FROM reconciliation_chunks WHERE run_id = $1 AND error IS NOT NULL ORDER BY chunk_no LIMIT 5) e) AS "errorsText",
              count(*) FILTER (WHERE error IS NOT NULL)::int AS "chunksWithErrors"
         FROM reconciliation_chunks WHERE run_id = $1`,
      [runId],
    );
    const rows = await sql.rows<RunRow>(
      `UPDATE reconciliation_runs SET
              status = CASE WHEN errors > 0 AND customers_checked = 0 THEN 'failed'
                            WHEN errors > 0 OR $2 > 0 THEN 'partial' ELSE 'completed' END,
              phase = 'done', finished_at = now(), updated_at = now(),
              error = CASE WHEN errors = 0 AND $2 = 0 THEN NULL
                           ELSE concat_ws('; ', errors || ' customer(s) could not be checked', $3::text) END
        WHERE id = $1 RETURNING ${RUN_COLUMNS}`,
      [runId, gaps.failedChunks, gaps.chunksWithErrors > 5 ? `${gaps.errorsText}; …` : gaps.errorsText],
    );
    await sql.rows(`DELETE FROM reconciliation_seen WHERE run_id = $1`, [runId]);
    const ended = rows[0];
    // A completed run resolves the cases of its kinds that it no longer saw.
    await this.cases.runEnded(sql, { id: ended.id, kind: ended.kind, status: ended.status, startedAt: ended.startedAt ?? ended.createdAt });
    // reconciliation.run_finished, committed with the run's end.
    await WebhookEvents.appendRunFinished(sql, toRunView(ended));
    return ended.status;
  }

  /** Finding counts by finding kind, for the metrics of an ended run. */
  async findingCountsByKind(runId: string): Promise<{ kind: string; count: number }[]> {
    return queryRows(this.dataSource, 
      `SELECT kind, count(*)::int AS count FROM reconciliation_findings WHERE run_id = $1 GROUP BY kind ORDER BY kind`,
      [runId],
    );
  }

  async findingsPage(runId: string, limit: number, offset: number): Promise<{ findings: FindingView[]; total: number }> {
    const rows: FindingRow[] = await queryRows(this.dataSource, 
      `SELECT ${FINDING_COLUMNS} FROM reconciliation_findings WHERE run_id = $1 ORDER BY id LIMIT $2 OFFSET $3`,
      [runId, limit, offset],
    );
    const [{ total }] = await queryRows<{ total: number }>(this.dataSource, `SELECT count(*)::int AS total FROM reconciliation_findings WHERE run_id = $1`, [runId]);
    return { findings: rows.map(toFindingView), total };
  }

  /** Every finding of a run, a batch at a time (keyset), so a large export never sits in memory. */
  async *allFindings(runId: string, batch = 1000): AsyncGenerator<FindingView> {
    let after = '0';
    for (;;) {
      const rows: FindingRow[] = await queryRows(this.dataSource, 
        `SELECT ${FINDING_COLUMNS} FROM reconciliation_findings WHERE run_id = $1 AND id > $2 ORDER BY id LIMIT $3`,
        [runId, after, batch],
      );
      for (const row of rows) yield toFindingView(row);
      if (rows.length < batch) return;
      after = rows[rows.length - 1].id;
    }
  }
}

interface FindingRow {
  id: string;
  runId: string;
  kind: FindingView['kind'];
  customerId: string | null;
  celarId: string | null;
  field: string | null;
  expected: string | null;
  actual: string | null;
  delta: string | null;
  message: string;
  createdAt: Date;
}

const FINDING_COLUMNS = `id, run_id AS "runId", kind, customer_id AS "customerId", celar_id AS "celarId", field, expected, actual, delta,
  message, created_at AS "createdAt"`;

function toFindingView(row: FindingRow): FindingView {
  return {
    id: Number(row.id),
    run_id: row.runId,
    kind: row.kind,
    customer_id: row.customerId,
    celar_id: row.celarId,
    field: row.field,
    expected: row.expected,
    actual: row.actual,
    delta: row.delta,
    message: row.message,
    created_at: row.createdAt.toISOString(),
  };
}

export function toRunView(row: RunRow): RunView {
  return {
    id: row.id,
    kind: row.kind,
    trigger: row.trigger,
    status: row.status,
    progress: { done: row.progressDone, total: row.progressTotal },
    started_at: row.startedAt?.toISOString() ?? null,
    finished_at: row.finishedAt?.toISOString() ?? null,
    created_at: row.createdAt.toISOString(),
    counts: {
      customers_checked: row.customersChecked,
      balances_changed: row.balancesChanged,
      findings: row.findingsCount,
      errors: row.errors,
    },
    totals: row.totals,
    error: row.error,
    eta_seconds: etaSeconds(row),
  };
}

/** Seconds left at the pace so far; null unless running with some customers done. */
export function etaSeconds(row: Pick<RunRow, 'status' | 'startedAt' | 'progressDone' | 'progressTotal'>, now = Date.now()): number | null {
  if (row.status !== 'running' || !row.startedAt || row.progressDone <= 0) return null;
  const elapsedS = Math.max((now - row.startedAt.getTime()) / 1000, 0);
  const left = Math.max(row.progressTotal - row.progressDone, 0);
  return Math.ceil((left * elapsedS) / row.progressDone);
}
