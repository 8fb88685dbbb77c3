import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { AppError, csvField, ErrorDetail, hasControlCharacters, isStorableText } from '@app/common';
import { CustomerOperationsRepository, CustomersService } from '@app/customers';
import { Sql } from '@app/database';
import { WebhookEvents } from '@app/webhooks';
import { CaseListFilter, parseCaseListQuery } from './case-list.query';
import {
  CASE_FIELDS,
  CaseCounts,
  CaseFinding,
  CaseList,
  CaseWithEvents,
  caseIdentity,
  EndedRun,
  isCaseKind,
  OWNED_KINDS,
  runActor,
} from './case.types';
import { CaseRow, CasesRepository, IdentifiedFinding, toCaseView } from './cases.repository';

const NOTE_MAX = 2000;

/**
 * Reconciliation cases: one break followed across runs until an operator or a later run
 * closes it. Reconciliation reports each chunk's findings (recordFindings) and each ended
 * run (runEnded) inside its own transactions; operators act through the admin API and the
 * console, which share these rules.
 */
@Injectable()
export class CasesService implements OnModuleInit {
  private readonly logger = new Logger(CasesService.name);

  constructor(
    private readonly cases: CasesRepository,
    private readonly customers: CustomersService,
    private readonly operations: CustomerOperationsRepository,
  ) {}

  /** A repush resolves its case in the sync engine's transaction that completes its operation. */
  onModuleInit(): void {
    this.operations.addListener({
      operationsDone: (sql, done) => this.resolveRepushed(sql, done.flatMap((d) => d.operationIds)),
    });
  }

  // ---- reconciliation's hooks (inside its transactions) ----

  /**
   * A chunk's findings, in the transaction that stores them: opens a case per new break,
   * updates the live one otherwise (its status kept). Kinds that are events are ignored.
   */
  async recordFindings(m: Sql, runId: string, findings: CaseFinding[]): Promise<void> {
    const byIdentity = new Map<string, IdentifiedFinding>();
    for (const f of findings) {
      if (!isCaseKind(f.kind)) continue;
      byIdentity.set(caseIdentity(f), { ...f, kind: f.kind, identity: caseIdentity(f) });
    }
    if (byIdentity.size === 0) return;
    const touched = await this.cases.upsertSeen(m, runId, [...byIdentity.values()]);
    const opened = touched.filter((t) => t.opened).map((t) => t.id);
    await this.casesOpened(m, opened, runId);
    await this.cases.addEvents(
      m,
      touched.filter((t) => !t.opened).map((t) => ({ caseId: t.id, action: 'seen' as const, actor: runActor(runId), runId })),
    );
  }

  /**
   * The one place where cases come into being (a run saw a new break). Whatever must follow an
   * opened case (its `opened` event; later, the `reconciliation.case_opened` webhook) goes here,
   * in the same transaction.
   */
  private async casesOpened(m: Sql, caseIds: string[], runId: string): Promise<void> {
    await this.cases.addEvents(
      m,
      caseIds.map((caseId) => ({ caseId, action: 'opened' as const, actor: runActor(runId), runId })),
    );
    for (const caseId of caseIds) {
      const row = await this.cases.get(caseId, m);
      if (row) await WebhookEvents.appendCaseOpened(m, toCaseView(row));
    }
  }

  /**
   * A run has ended, in the transaction that ends it. Only a `completed` run (every customer
   * checked) resolves: the live cases of the kinds it owns that it did not see. A partial
   * run never resolves anything.
   */
  async runEnded(m: Sql, run: EndedRun): Promise<void> {
    if (run.status !== 'completed') return;
    const resolved = await this.cases.resolveUnseen(m, run.id, OWNED_KINDS[run.kind], run.startedAt);
    await this.cases.addEvents(
      m,
      resolved.map((caseId) => ({ caseId, action: 'resolved' as const, actor: runActor(run.id), runId: run.id })),
    );
    if (resolved.length > 0) this.logger.log(`${run.kind} run ${run.id} resolved ${resolved.length} case(s)`);
  }

  /**
   * Operations done at Celar, in the sync engine's completion transaction: a case whose
   * repush queued one of them is resolved (`repushed`).
   */
  async resolveRepushed(m: Sql, operationIds: string[]): Promise<void> {
    if (operationIds.length === 0) return;
    const resolved = await this.cases.resolveRepushed(m, operationIds);
    await this.cases.addEvents(
      m,
      resolved.map((r) => ({ caseId: r.id, action: 'resolved' as const, actor: r.actor })),
    );
  }

  // ---- reads ----

  async list(query: Record<string, unknown>): Promise<CaseList> {
    const filter = parseCaseListQuery(query);
    const { cases, total } = await this.cases.list(filter);
    return { cases: cases.map(toCaseView), total, limit: filter.limit, offset: filter.offset };
  }

  /** Every matching case as CSV lines, header first, read in batches. */
  csv(query: Record<string, unknown>): AsyncIterable<string> {
    const filter: CaseListFilter = parseCaseListQuery(query);
    const rows = this.cases.all(filter);
    return (async function* () {
      yield `${CASE_FIELDS.join(',')}\r\n`;
      for await (const row of rows) {
        const view = toCaseView(row);
        yield `${CASE_FIELDS.map((f) => csvField(view[f])).join(',')}\r\n`;
      }
    })();
  }

  async get(id: string): Promise<CaseWithEvents> {
    const row = await this.cases.get(id);
    if (!row) throw notFound(id);
    return { ...toCaseView(row), events: await this.cases.events(row.id) };
  }

  counts(): Promise<CaseCounts> {
    return this.cases.counts();
  }

  // ---- operators' actions: `actor` comes from the caller's admin key, never from the body ----

  /** open -> acknowledged; a repeat answers the case and adds nothing. */
  acknowledge(id: string, body: unknown, actor: string): Promise<CaseWithEvents> {
    const note = parseNote(body, false);
    return this.act(id, async (m, row) => {
      if (row.status === 'acknowledged') return false;
      if (row.status !== 'open') throw notAllowed(row, 'acknowledged');
      await this.cases.setStatus(m, row.id, { status: 'acknowledged', resolution: null, note });
      await this.cases.addEvents(m, [{ caseId: row.id, action: 'acknowledged', actor, note }]);
      return true;
    });
  }

  /** open/acknowledged -> resolved (`fixed`). */
  resolve(id: string, body: unknown, actor: string): Promise<CaseWithEvents> {
    const note = parseNote(body, false);
    return this.act(id, async (m, row) => {
      if (row.status !== 'open' && row.status !== 'acknowledged') throw notAllowed(row, 'resolved');
      await this.cases.setStatus(m, row.id, { status: 'resolved', resolution: 'fixed', note });
      await this.cases.addEvents(m, [{ caseId: row.id, action: 'resolved', actor, note }]);
      return true;
    });
  }

  /** open/acknowledged -> accepted, with a note saying why; the evidence is kept. */
  accept(id: string, body: unknown, actor: string): Promise<CaseWithEvents> {
    const note = parseNote(body, true);
    return this.act(id, async (m, row) => {
      if (row.status !== 'open' && row.status !== 'acknowledged') throw notAllowed(row, 'accepted');
      await this.cases.setStatus(m, row.id, { status: 'accepted', resolution: null, note });
      await this.cases.addEvents(m, [{ caseId: row.id, action: 'accepted', actor, note }]);
      return true;
    });
  }

  /** resolved/accepted -> open; refused while a newer case of the same break is live (there would be two). */
  reopen(id: string, body: unknown, actor: string): Promise<CaseWithEvents> {
    const note = parseNote(body, false);
    return this.act(id, async (m, row) => {
      if (row.status !== 'resolved' && row.status !== 'accepted') throw notAllowed(row, 'open');
      const live = row.status === 'resolved' ? await this.cases.liveWithIdentity(m, row.identity, row.id) : null;
      if (live) {
        throw new AppError('invalid_transition', `A newer case of the same break is live: ${live}`, [
          { field: 'status', message: 'another case follows this break now', case_id: live },
        ]);
      }
      await this.cases.setStatus(m, row.id, { status: 'open', resolution: null, note });
      await this.cases.addEvents(m, [{ caseId: row.id, action: 'reopened', actor, note }]);
      return true;
    });
  }

  /**
   * Field drift only, open or acknowledged: queues an update carrying the mirror's value, in
   * order with the customer's other changes, in the same transaction as the case's event. The
   * case resolves (`repushed`) once the sync engine has that operation done at Celar.
   */
  repush(id: string, body: unknown, actor: string, requestId: string | null): Promise<CaseWithEvents> {
    const note = parseNote(body, false);
    return this.act(id, async (m, row) => {
      if (row.kind !== 'field_drift') throw new AppError('invalid_transition', `Only a field_drift case can be repushed; this one is ${row.kind}`);
      if (row.status !== 'open' && row.status !== 'acknowledged') throw notAllowed(row, 'repushed');
      if (!row.customerId || !row.field) throw new AppError('invalid_transition', 'This case names no customer field to repush');
      const operationId = await this.customers.queueMirrorPush(m, row.customerId, row.field, { requestId });
      await this.cases.setRepush(m, row.id, operationId, actor, note);
      await this.cases.addEvents(m, [{ caseId: row.id, action: 'repushed', actor, note }]);
      return true;
    });
  }

  /** Locks the case, applies the action, and answers the case with its events as committed. */
  private async act(
    id: string,
    apply: (m: Sql, row: CaseRow) => Promise<boolean>,
  ): Promise<CaseWithEvents> {
    await this.cases.transaction(async (m) => {
      const row = await this.cases.lock(m, id);
      if (!row) throw notFound(id);
      await apply(m, row);
    });
    return this.get(id);
  }
}

function notFound(id: string): AppError {
  return new AppError('not_found', `No case ${id}`);
}

function notAllowed(row: CaseRow, to: string): AppError {
  return new AppError('invalid_transition', `A case that is ${row.status} cannot become ${to}`, [
    { field: 'status', message: `is ${row.status}` },
  ]);
}

/** `{"note"?}` (required for accept): a non-blank line of text of at most 2000 characters, nothing else. */
function parseNote(body: unknown, required: boolean): string | null {
  const record = body === undefined || body === null ? {} : body;
  if (typeof record !== 'object' || Array.isArray(record)) {
    throw new AppError('validation_failed', 'Send a JSON object: {"note": "..."}', [{ field: 'note', message: 'body must be an object' }]);
  }
  const details: ErrorDetail[] = Object.keys(record)
    .filter((k) => k !== 'note')
    .map((field) => ({ field, message: 'is not a known field' }));
  const note = (record as Record<string, unknown>).note;
  if (note === undefined || note === null) {
    if (required) details.push({ field: 'note', message: 'is required: say why the break is accepted' });
  } else if (typeof note !== 'string' || note.trim() === '') {
    details.push({ field: 'note', message: 'must be non-blank text' });
  } else if (note.length > NOTE_MAX) {
    details.push({ field: 'note', message: `must be at most ${NOTE_MAX} characters` });
  } else if (hasControlCharacters(note, { allowLineBreaks: true }) || !isStorableText(note)) {
    details.push({ field: 'note', message: 'must not contain control characters or unpaired surrogates' });
  }
  if (details.length > 0) throw new AppError('validation_failed', 'Invalid case action', details);
  return typeof note === 'string' ? note.trim() : null;
}

