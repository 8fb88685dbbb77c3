import { Injectable } from '@nestjs/common';
import { asCelarError, CelarApiError, CelarClient, describeCelarError, withCelarRetry } from '@app/celar-client';
import { BalanceObservation, DECIMAL_TEXT, isZero, recordBalances, signed } from './balance-store';
import { mapLimit } from './concurrency';
import { BALANCE_CHUNK_SIZE, FETCH_CONCURRENCY } from './reconciliation.constants';
import { Advance, ChunkRow, ReconciliationRunsRepository } from './reconciliation-runs.repository';
import { NewFinding } from './reconciliation.types';

interface ChunkCustomer {
  id: string;
  celar_id: string;
  is_active: boolean;
}

type Fetched =
  | { ok: true; balance: string; currency: string; observedAt: Date }
  | { ok: false; missing: boolean; reason: string };

/**
 * Balance runs: every customer that exists upstream (deactivated ones included), in keyset
 * chunks. A chunk fetches its balances first, then writes everything it learnt (balances,
 * history, findings, its own `done` and the run's sums) in one transaction.
 */
@Injectable()
export class BalanceReconciler {
  constructor(
    private readonly runs: ReconciliationRunsRepository,
    private readonly celar: CelarClient,
  ) {}

  /** Plans the chunks once; repeating it (a start job run twice) adds nothing. */
  async plan(runId: string): Promise<Advance> {
    return this.runs.db.transaction(async (m) => {
      const run = await this.runs.lockActive(m, runId);
      if (!run) return { enqueue: [], finished: null };
      if (run.phase === 'plan') {
        await this.runs.planBalanceChunks(m, runId, BALANCE_CHUNK_SIZE);
        await this.runs.setPhase(m, runId, 'scan');
      }
      return this.runs.advance(m, runId);
    });
  }

  async processChunk(chunk: ChunkRow): Promise<Advance> {
    const customers: ChunkCustomer[] = await this.runs.db.query(
      `SELECT id, celar_id, is_active FROM customers
        WHERE id BETWEEN $1 AND $2 AND celar_id IS NOT NULL ORDER BY id`,
      [chunk.first_id, chunk.last_id],
    );
    const fetched = await mapLimit(customers, FETCH_CONCURRENCY, (c) => this.fetch(c.celar_id));

    return this.runs.db.transaction(async (m) => {
      if (!(await this.runs.lockPendingChunk(m, chunk.run_id, chunk.chunk_no))) return { enqueue: [], finished: null };
      const findings: NewFinding[] = [];
      const observed: { customer: ChunkCustomer; observation: BalanceObservation }[] = [];
      let errors = 0;
      customers.forEach((customer, i) => {
        const result = fetched[i];
        if (result.ok) {
          observed.push({ customer, observation: { customerId: customer.id, ...result } });
          return;
        }
        errors++;
        findings.push(
          result.missing
            ? {
                kind: 'missing_upstream',
                customerId: customer.id,
                celarId: customer.celar_id,
                expected: customer.celar_id,
                actual: null,
                message: `Celar does not know ${customer.celar_id} (GET /customers/${customer.celar_id} answered 404): its balance could not be checked`,
              }
            : {
                kind: 'balance_fetch_failed',
                customerId: customer.id,
                celarId: customer.celar_id,
                message: `balance of ${customer.celar_id} could not be fetched: ${result.reason}`,
              },
        );
      });

      const outcomes = await recordBalances(m, chunk.run_id, observed.map((o) => o.observation));
      let changed = 0;
      observed.forEach(({ customer, observation: o }, i) => {
        const outcome = outcomes[i];
        if (outcome.changed) {
          changed++;
          findings.push({
            kind: 'balance_changed',
            customerId: customer.id,
            celarId: customer.celar_id,
            field: 'balance',
            expected: outcome.previous,
            actual: o.balance,
            delta: outcome.delta,
            message: `balance changed from ${outcome.previous} to ${o.balance} ${o.currency} (${signed(outcome.delta!)})`,
          });
        }
        if (!customer.is_active && !isZero(o.balance)) {
          findings.push({
            kind: 'deactivated_with_balance',
            customerId: customer.id,
            celarId: customer.celar_id,
            field: 'balance',
            expected: '0',
            actual: o.balance,
            currency: o.currency,
            message: `deactivated customer still holds ${o.balance} ${o.currency}`,
          });
        }
      });
      const findingsWritten = await this.runs.insertFindings(m, chunk.run_id, findings);

      // The run's totals: exact numeric sums of the balances this chunk covered, as now stored.
      const totals: { currency: string; total: string }[] = await m.query(
        `SELECT b.currency, sum(b.balance)::text AS total
           FROM customer_balances b
           JOIN unnest($1::uuid[], $2::text[]) AS o(customer_id, currency) USING (customer_id, currency)
          GROUP BY b.currency`,
        [observed.map((o) => o.customer.id), observed.map((o) => o.observation.currency)],
      );
      await this.runs.finishChunk(m, chunk.run_id, chunk.chunk_no, 'done', {
        customersDone: customers.length,
        customersChecked: observed.length,
        balancesChanged: changed,
        findings: findingsWritten,
        errors,
        totals: Object.fromEntries(totals.map((t) => [t.currency, t.total])),
      });
      return this.runs.advance(m, chunk.run_id);
    });
  }

  private async fetch(celarId: string): Promise<Fetched> {
    const observedAt = new Date();
    try {
      const answer = await withCelarRetry(() => this.celar.getBalance(celarId));
      if (!DECIMAL_TEXT.test(answer.balance)) return { ok: false, missing: false, reason: 'Celar answered a balance that is not a decimal' };
      if (!answer.currency) return { ok: false, missing: false, reason: 'Celar answered a balance without a currency' };
      return { ok: true, balance: answer.balance, currency: answer.currency, observedAt };
    } catch (error) {
      const e = asCelarError(error);
      if (e.kind === 'NOT_FOUND') return this.confirmMissing(celarId, e);
      return { ok: false, missing: false, reason: describeCelarError(e) };
    }
  }

  /** A 404 on the balance is only "missing upstream" once GET /customers/:id says so too. */
  private async confirmMissing(celarId: string, balanceError: CelarApiError): Promise<Fetched> {
    try {
      await withCelarRetry(() => this.celar.getCustomer(celarId));
      return { ok: false, missing: false, reason: describeCelarError(balanceError) };
    } catch (error) {
      const e = asCelarError(error);
      if (e.kind === 'NOT_FOUND') return { ok: false, missing: true, reason: 'not found upstream' };
      return { ok: false, missing: false, reason: `${describeCelarError(balanceError)}; then ${describeCelarError(e)}` };
    }
  }
}
