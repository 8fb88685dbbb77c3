import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { CustomerMirrorRepository, DocumentField, MirrorRecord } from '@app/customers';
import { inTransaction, Sql } from '@app/database';
import { asCelarError, CelarClient, CelarCustomer, CelarCustomerPage, describeCelarError, withCelarRetry } from '@app/celar-client';
import { mapLimit } from './concurrency';
import { classifyUnknown, compareRecord } from './record-compare';
import { FETCH_CONCURRENCY, RECORD_PAGE_SIZE } from './reconciliation.constants';
import { Advance, ChunkRow, ReconciliationRunsRepository } from './reconciliation-runs.repository';
import { NewFinding } from './reconciliation.types';

type Confirmed = { state: 'found'; customer: CelarCustomer } | { state: 'missing' } | { state: 'failed'; reason: string };

/**
 * Record runs: page through Celar's customers (offset pages, which shift while customers are
 * created), then confirm one by one the customers of ours the scan did not see: only a 404
 * on GET /customers/:id makes one missing upstream.
 */
@Injectable()
export class RecordReconciler {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly runs: ReconciliationRunsRepository,
    private readonly mirror: CustomerMirrorRepository,
    private readonly celar: CelarClient,
  ) {}

  /** Reads the first page (Celar's list must be readable, and its total sizes the progress) and plans the scan; repeating it adds nothing. */
  async plan(runId: string): Promise<Advance> {
    const run = await this.runs.get(runId);
    if (!run) return { enqueue: [], finished: null };
    let total = 0;
    if (run.phase === 'plan') {
      let first: CelarCustomerPage;
      try {
        first = await withCelarRetry(() => this.celar.listCustomers({ limit: RECORD_PAGE_SIZE, offset: 0 }));
      } catch (error) {
        await this.runs.markFailed(runId, `Celar's customer list could not be read: ${describeCelarError(asCelarError(error))}`);
        return { enqueue: [], finished: 'failed' };
      }
      // Only sizes the progress bar: the scan itself goes on until an empty page.
      total = first.total ?? first.customers.length;
    }
    return inTransaction(this.dataSource, async (sql) => {
      const locked = await this.runs.lockActive(sql, runId);
      if (!locked) return { enqueue: [], finished: null };
      if (locked.phase === 'plan') {
        await this.runs.planPages(sql, runId, total, RECORD_PAGE_SIZE);
        await this.runs.setPhase(sql, runId, 'scan');
      }
      return this.runs.advance(sql, runId);
    });
  }

  async processChunk(chunk: ChunkRow): Promise<Advance> {
    return chunk.kind === 'records_page' ? this.processPage(chunk) : this.processConfirm(chunk);
  }

  private async processPage(chunk: ChunkRow): Promise<Advance> {
    const limit = chunk.pageLimit ?? RECORD_PAGE_SIZE;
    const offset = chunk.pageOffset ?? 0;
    let page: CelarCustomerPage;
    try {
      page = await withCelarRetry(() => this.celar.listCustomers({ limit, offset }));
    } catch (error) {
      const reason = `page at offset ${offset} could not be read (${describeCelarError(asCelarError(error))})`;
      return inTransaction(this.dataSource, async (sql) => {
        if (!(await this.runs.lockPendingChunk(sql, chunk.runId, chunk.chunkNo))) return { enqueue: [], finished: null };
        await this.runs.finishChunk(sql, chunk.runId, chunk.chunkNo, 'failed', {
          customersDone: chunk.planned,
          customersChecked: 0,
          balancesChanged: 0,
          findings: 0,
          errors: chunk.planned,
          error: reason,
        });
        return this.runs.advance(sql, chunk.runId);
      });
    }

    return inTransaction(this.dataSource, async (sql) => {
      if (!(await this.runs.lockPendingChunk(sql, chunk.runId, chunk.chunkNo))) return { enqueue: [], finished: null };
      const fresh = await this.markSeen(sql, chunk.runId, page.customers);
      const findings = await this.reconcile(sql, fresh);
      let enqueue: number[] = [];
      // Only an empty page (or offset >= total) ends the scan: a short page is not the last.
      // Under the run's lock, like every change to a run's plan.
      const next = offset + page.customers.length;
      const more = page.customers.length > 0 && (page.total === null || next < page.total);
      if (more && (await this.runs.lockActive(sql, chunk.runId)) && (await this.runs.addNextPage(sql, chunk.runId, next, limit, chunk.planned - page.customers.length))) {
        enqueue = await this.runs.pendingChunks(chunk.runId, sql);
      }
      await this.runs.finishChunk(sql, chunk.runId, chunk.chunkNo, 'done', {
        customersDone: page.customers.length,
        customersChecked: fresh.length,
        balancesChanged: 0,
        findings: await this.runs.insertFindings(sql, chunk.runId, findings),
        errors: 0,
      });
      const advance = await this.runs.advance(sql, chunk.runId);
      return { ...advance, enqueue: [...new Set([...enqueue, ...advance.enqueue])] };
    });
  }

  private async processConfirm(chunk: ChunkRow): Promise<Advance> {
    const unseen = await this.mirror.linkedInRange(chunk.firstId!, chunk.lastId!, { unseenByRun: chunk.runId });
    const confirmed = await mapLimit(unseen, FETCH_CONCURRENCY, (c) => this.confirm(c.celarId));

    return inTransaction(this.dataSource, async (sql) => {
      if (!(await this.runs.lockPendingChunk(sql, chunk.runId, chunk.chunkNo))) return { enqueue: [], finished: null };
      const findings: NewFinding[] = [];
      const failures: string[] = [];
      const found: CelarCustomer[] = [];
      unseen.forEach((ours, i) => {
        const result = confirmed[i];
        if (result.state === 'found') found.push(result.customer);
        else if (result.state === 'failed') failures.push(`${ours.celarId}: ${result.reason}`);
        else {
          findings.push({
            kind: 'missing_upstream',
            customerId: ours.id,
            celarId: ours.celarId,
            expected: ours.celarId,
            actual: null,
            message: `not in Celar's list, and GET /customers/${ours.celarId} answered 404`,
          });
        }
      });
      const fresh = await this.markSeen(sql, chunk.runId, found);
      findings.push(...(await this.reconcile(sql, fresh)));
      await this.runs.finishChunk(sql, chunk.runId, chunk.chunkNo, 'done', {
        customersDone: unseen.length,
        customersChecked: unseen.length - failures.length,
        balancesChanged: 0,
        findings: await this.runs.insertFindings(sql, chunk.runId, findings),
        errors: failures.length,
        error: failures.length ? `not confirmed: ${failures.slice(0, 5).join(', ')}${failures.length > 5 ? ', …' : ''}` : null,
      });
      return this.runs.advance(sql, chunk.runId);
    });
  }

  private async confirm(celarId: string): Promise<Confirmed> {
    try {
      return { state: 'found', customer: await withCelarRetry(() => this.celar.getCustomer(celarId)) };
    } catch (error) {
      const e = asCelarError(error);
      return e.kind === 'NOT_FOUND' ? { state: 'missing' } : { state: 'failed', reason: describeCelarError(e) };
    }
  }

  /**
   * Records the upstream ids this run has now seen and answers the customers seen for the
   * first time: a customer shifted onto two pages is reconciled once. Sorted, so two
   * overlapping pages take the same locks in the same order.
   */
  private async markSeen(sql: Sql, runId: string, customers: CelarCustomer[]): Promise<CelarCustomer[]> {
    if (customers.length === 0) return [];
    const ids = [...new Set(customers.map((c) => c.id))].sort();
    const rows = await sql.rows<{ celarId: string }>(
      `INSERT INTO reconciliation_seen (run_id, celar_id) SELECT $1, unnest($2::text[]) ON CONFLICT DO NOTHING RETURNING celar_id AS "celarId"`,
      [runId, ids],
    );
    const fresh = new Set(rows.map((r) => r.celarId));
    return customers.filter((c) => fresh.delete(c.id));
  }

  /** Compares upstream customers with the mirror, pulls what only Celar sets, and answers the findings. */
  private async reconcile(sql: Sql, upstream: CelarCustomer[]): Promise<NewFinding[]> {
    if (upstream.length === 0) return [];
    const mirror = await this.mirror.mirrorRecords(sql, { celarIds: upstream.map((u) => u.id) });
    const byCelarId = new Map(mirror.map((c) => [c.celarId!, c]));
    const unknown = upstream.filter((u) => !byCelarId.has(u.id));
    const sameEmail = await this.byEmail(sql, unknown);

    const findings: NewFinding[] = [];
    const kyc: { customerId: string; kycStatus: string }[] = [];
    for (const u of upstream) {
      const ours = byCelarId.get(u.id);
      if (!ours) {
        findings.push(classifyUnknown(u, sameEmail.get(String(u.email ?? '').toLowerCase()) ?? []));
        continue;
      }
      if (typeof u.kyc_status === 'string' && u.kyc_status) kyc.push({ customerId: ours.id, kycStatus: u.kyc_status });
      const comparison = compareRecord(ours, u);
      const applied = await this.apply(sql, ours.id, comparison.documents, comparison.deactivate);
      // Report only what this run actually changed: a concurrent writer may have been first.
      findings.push(
        ...comparison.findings.filter(
          (f) =>
            (f.kind !== 'document_attached' || applied.documents.has(f.field as DocumentField)) &&
            (f.kind !== 'deactivated_upstream' || applied.deactivated || !ours.isActive),
        ),
      );
    }
    await this.mirror.recordKycStatuses(sql, kyc);
    return findings;
  }

  private async byEmail(sql: Sql, upstream: CelarCustomer[]): Promise<Map<string, MirrorRecord[]>> {
    const emails = [...new Set(upstream.map((u) => String(u.email ?? '').toLowerCase()).filter(Boolean))];
    const map = new Map<string, MirrorRecord[]>();
    if (emails.length === 0) return map;
    const rows = await this.mirror.mirrorRecords(sql, { emails });
    for (const row of rows) {
      const key = row.email.toLowerCase();
      map.set(key, [...(map.get(key) ?? []), row]);
    }
    return map;
  }

  private async apply(
    sql: Sql,
    customerId: string,
    documents: Partial<Record<DocumentField, string | null>>,
    deactivate: boolean,
  ): Promise<{ documents: Set<DocumentField>; deactivated: boolean }> {
    const changed = new Set<DocumentField>();
    for (const [field, value] of Object.entries(documents) as [DocumentField, string | null][]) {
      if (await this.mirror.attachDocument(sql, customerId, field, value)) changed.add(field);
    }
    const deactivated = deactivate && (await this.mirror.applyRemoteDeactivation(sql, customerId));
    return { documents: changed, deactivated };
  }
}
