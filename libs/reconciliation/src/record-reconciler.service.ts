import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { asCelarError, CelarClient, CelarCustomer, CelarCustomerPage, describeCelarError, withCelarRetry } from '@app/celar-client';
import { mapLimit } from './concurrency';
import { classifyUnknown, compareRecord, DocumentField, MirrorRecord } from './record-compare';
import { FETCH_CONCURRENCY, RECORD_PAGE_SIZE } from './reconciliation.constants';
import { Advance, ChunkRow, ReconciliationRunsRepository } from './reconciliation-runs.repository';
import { NewFinding } from './reconciliation.types';

const MIRROR_COLUMNS = `c.id, c.celar_id, c.type, c.name, c.email, c.country, c.document_type, c.address, c.tax_id,
  c.wallet_address, c.verification_document, c.incorporation_certificate, c.is_active,
  EXISTS (SELECT 1 FROM customer_operations o WHERE o.customer_id = c.id AND o.status <> 'done') AS pending,
  EXISTS (SELECT 1 FROM customer_operations o WHERE o.customer_id = c.id AND o.kind = 'deactivate') AS deactivated_by_us`;

type Confirmed = { state: 'found'; customer: CelarCustomer } | { state: 'missing' } | { state: 'failed'; reason: string };

/**
 * Record runs: page through Celar's customers (offset pages, which shift while customers are
 * created), then confirm one by one the customers of ours the scan did not see: only a 404
 * on GET /customers/:id makes one missing upstream.
 */
@Injectable()
export class RecordReconciler {
  constructor(
    private readonly runs: ReconciliationRunsRepository,
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
    return this.runs.db.transaction(async (m) => {
      const locked = await this.runs.lockActive(m, runId);
      if (!locked) return { enqueue: [], finished: null };
      if (locked.phase === 'plan') {
        await this.runs.planPages(m, runId, total, RECORD_PAGE_SIZE);
        await this.runs.setPhase(m, runId, 'scan');
      }
      return this.runs.advance(m, runId);
    });
  }

  async processChunk(chunk: ChunkRow): Promise<Advance> {
    return chunk.kind === 'records_page' ? this.processPage(chunk) : this.processConfirm(chunk);
  }

  private async processPage(chunk: ChunkRow): Promise<Advance> {
    const limit = chunk.page_limit ?? RECORD_PAGE_SIZE;
    const offset = chunk.page_offset ?? 0;
    let page: CelarCustomerPage;
    try {
      page = await withCelarRetry(() => this.celar.listCustomers({ limit, offset }));
    } catch (error) {
      const reason = `page at offset ${offset} could not be read (${describeCelarError(asCelarError(error))})`;
      return this.runs.db.transaction(async (m) => {
        if (!(await this.runs.lockPendingChunk(m, chunk.run_id, chunk.chunk_no))) return { enqueue: [], finished: null };
        await this.runs.finishChunk(m, chunk.run_id, chunk.chunk_no, 'failed', {
          customersDone: chunk.planned,
          customersChecked: 0,
          balancesChanged: 0,
          findings: 0,
          errors: chunk.planned,
          error: reason,
        });
        return this.runs.advance(m, chunk.run_id);
      });
    }

    return this.runs.db.transaction(async (m) => {
      if (!(await this.runs.lockPendingChunk(m, chunk.run_id, chunk.chunk_no))) return { enqueue: [], finished: null };
      const fresh = await this.markSeen(m, chunk.run_id, page.customers);
      const findings = await this.reconcile(m, fresh);
      let enqueue: number[] = [];
      // Only an empty page (or offset >= total) ends the scan: a short page is not the last.
      // Under the run's lock, like every change to a run's plan.
      const next = offset + page.customers.length;
      const more = page.customers.length > 0 && (page.total === null || next < page.total);
      if (more && (await this.runs.lockActive(m, chunk.run_id)) && (await this.runs.addNextPage(m, chunk.run_id, next, limit, chunk.planned - page.customers.length))) {
        enqueue = await this.runs.pendingChunks(chunk.run_id, m);
      }
      await this.runs.finishChunk(m, chunk.run_id, chunk.chunk_no, 'done', {
        customersDone: page.customers.length,
        customersChecked: fresh.length,
        balancesChanged: 0,
        findings: await this.runs.insertFindings(m, chunk.run_id, findings),
        errors: 0,
      });
      const advance = await this.runs.advance(m, chunk.run_id);
      return { ...advance, enqueue: [...new Set([...enqueue, ...advance.enqueue])] };
    });
  }

  private async processConfirm(chunk: ChunkRow): Promise<Advance> {
    const unseen: { id: string; celar_id: string }[] = await this.runs.db.query(
      `SELECT c.id, c.celar_id FROM customers c
        WHERE c.id BETWEEN $1 AND $2 AND c.celar_id IS NOT NULL
          AND NOT EXISTS (SELECT 1 FROM reconciliation_seen s WHERE s.run_id = $3 AND s.celar_id = c.celar_id)
        ORDER BY c.id`,
      [chunk.first_id, chunk.last_id, chunk.run_id],
    );
    const confirmed = await mapLimit(unseen, FETCH_CONCURRENCY, (c) => this.confirm(c.celar_id));

    return this.runs.db.transaction(async (m) => {
      if (!(await this.runs.lockPendingChunk(m, chunk.run_id, chunk.chunk_no))) return { enqueue: [], finished: null };
      const findings: NewFinding[] = [];
      const failures: string[] = [];
      const found: CelarCustomer[] = [];
      unseen.forEach((ours, i) => {
        const result = confirmed[i];
        if (result.state === 'found') found.push(result.customer);
        else if (result.state === 'failed') failures.push(`${ours.celar_id}: ${result.reason}`);
        else {
          findings.push({
            kind: 'missing_upstream',
            customerId: ours.id,
            celarId: ours.celar_id,
            expected: ours.celar_id,
            actual: null,
            message: `not in Celar's list, and GET /customers/${ours.celar_id} answered 404`,
          });
        }
      });
      const fresh = await this.markSeen(m, chunk.run_id, found);
      findings.push(...(await this.reconcile(m, fresh)));
      await this.runs.finishChunk(m, chunk.run_id, chunk.chunk_no, 'done', {
        customersDone: unseen.length,
        customersChecked: unseen.length - failures.length,
        balancesChanged: 0,
        findings: await this.runs.insertFindings(m, chunk.run_id, findings),
        errors: failures.length,
        error: failures.length ? `not confirmed: ${failures.slice(0, 5).join(', ')}${failures.length > 5 ? ', …' : ''}` : null,
      });
      return this.runs.advance(m, chunk.run_id);
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
  private async markSeen(m: EntityManager, runId: string, customers: CelarCustomer[]): Promise<CelarCustomer[]> {
    if (customers.length === 0) return [];
    const ids = [...new Set(customers.map((c) => c.id))].sort();
    const rows: { celar_id: string }[] = await m.query(
      `INSERT INTO reconciliation_seen (run_id, celar_id) SELECT $1, unnest($2::text[]) ON CONFLICT DO NOTHING RETURNING celar_id`,
      [runId, ids],
    );
    const fresh = new Set(rows.map((r) => r.celar_id));
    return customers.filter((c) => fresh.delete(c.id));
  }

  /** Compares upstream customers with the mirror, pulls what only Celar sets, and answers the findings. */
  private async reconcile(m: EntityManager, upstream: CelarCustomer[]): Promise<NewFinding[]> {
    if (upstream.length === 0) return [];
    const mirror: MirrorRecord[] = await m.query(`SELECT ${MIRROR_COLUMNS} FROM customers c WHERE c.celar_id = ANY($1::text[])`, [
      upstream.map((u) => u.id),
    ]);
    const byCelarId = new Map(mirror.map((c) => [c.celar_id!, c]));
    const unknown = upstream.filter((u) => !byCelarId.has(u.id));
    const sameEmail = await this.byEmail(m, unknown);

    const findings: NewFinding[] = [];
    for (const u of upstream) {
      const ours = byCelarId.get(u.id);
      if (!ours) {
        findings.push(classifyUnknown(u, sameEmail.get(String(u.email ?? '').toLowerCase()) ?? []));
        continue;
      }
      const comparison = compareRecord(ours, u);
      const applied = await this.apply(m, ours.id, comparison.documents, comparison.deactivate);
      // Report only what this run actually changed: a concurrent writer may have been first.
      findings.push(
        ...comparison.findings.filter(
          (f) =>
            (f.kind !== 'document_attached' || applied.documents.has(f.field as DocumentField)) &&
            (f.kind !== 'deactivated_upstream' || applied.deactivated || !ours.is_active),
        ),
      );
    }
    return findings;
  }

  private async byEmail(m: EntityManager, upstream: CelarCustomer[]): Promise<Map<string, MirrorRecord[]>> {
    const emails = [...new Set(upstream.map((u) => String(u.email ?? '').toLowerCase()).filter(Boolean))];
    const map = new Map<string, MirrorRecord[]>();
    if (emails.length === 0) return map;
    const rows: MirrorRecord[] = await m.query(`SELECT ${MIRROR_COLUMNS} FROM customers c WHERE lower(c.email) = ANY($1::text[])`, [emails]);
    for (const row of rows) {
      const key = row.email.toLowerCase();
      map.set(key, [...(map.get(key) ?? []), row]);
    }
    return map;
  }

  private async apply(
    m: EntityManager,
    customerId: string,
    documents: Partial<Record<DocumentField, string | null>>,
    deactivate: boolean,
  ): Promise<{ documents: Set<DocumentField>; deactivated: boolean }> {
    const changed = new Set<DocumentField>();
    for (const [field, value] of Object.entries(documents) as [DocumentField, string | null][]) {
      // Column names come from the fixed DOCUMENT_FIELDS list, never from input.
      const [rows] = await m.query(
        `UPDATE customers SET ${field} = $2, updated_at = now() WHERE id = $1 AND ${field} IS DISTINCT FROM $2 RETURNING id`,
        [customerId, value],
      );
      if ((rows as unknown[]).length > 0) changed.add(field);
    }
    let deactivated = false;
    if (deactivate) {
      const [rows] = await m.query(
        `UPDATE customers SET is_active = false, deactivated_at = coalesce(deactivated_at, now()), updated_at = now()
          WHERE id = $1 AND is_active RETURNING id`,
        [customerId],
      );
      deactivated = (rows as unknown[]).length > 0;
    }
    return { documents: changed, deactivated };
  }
}
