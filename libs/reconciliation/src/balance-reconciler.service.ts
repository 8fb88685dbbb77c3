import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { CustomerMirrorRepository, LinkedCustomer } from '@app/customers';
import { inTransaction } from '@app/database';
import { asCelarError, CelarApiError, CelarClient, describeCelarError, withCelarRetry } from '@app/celar-client';
import { BalanceObservation, DECIMAL_TEXT, isZero, recordBalances, signed } from './balance-store';
import { mapLimit } from './concurrency';
import { BALANCE_CHUNK_SIZE, FETCH_CONCURRENCY } from './reconciliation.constants';
import { Advance, ChunkRow, ReconciliationRunsRepository } from './reconciliation-runs.repository';
import { NewFinding } from './reconciliation.types';

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
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly runs: ReconciliationRunsRepository,
    private readonly mirror: CustomerMirrorRepository,
    private readonly celar: CelarClient,
  ) {}

  /** Plans the chunks once; repeating it (a start job run twice) adds nothing. */
  async plan(runId: string): Promise<Advance> {
    return inTransaction(this.dataSource, async (sql) => {
      const run = await this.runs.lockActive(sql, runId);
      if (!run) return { enqueue: [], finished: null };
      if (run.phase === 'plan') {
        await this.runs.planBalanceChunks(sql, runId, BALANCE_CHUNK_SIZE);
        await this.runs.setPhase(sql, runId, 'scan');
      }
      return this.runs.advance(sql, runId);
    });
  }

  async processChunk(chunk: ChunkRow): Promise<Advance> {
    const customers = await this.mirror.linkedInRange(chunk.firstId!, chunk.lastId!);
    const fetched = await mapLimit(customers, FETCH_CONCURRENCY, (c) => this.fetch(c.celarId));

    return inTransaction(this.dataSource, async (sql) => {
      if (!(await this.runs.lockPendingChunk(sql, chunk.runId, chunk.chunkNo))) return { enqueue: [], finished: null };
      const findings: NewFinding[] = [];
      const observed: { customer: LinkedCustomer; observation: BalanceObservation }[] = [];
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
                celarId: customer.celarId,
                expected: customer.celarId,
                actual: null,
                message: `Celar does not know ${customer.celarId} (GET /customers/${customer.celarId} answered 404): its balance could not be checked`,
              }
            : {
                kind: 'balance_fetch_failed',
                customerId: customer.id,
                celarId: customer.celarId,
                message: `balance of ${customer.celarId} could not be fetched: ${result.reason}`,
              },
        );
      });

      const outcomes = await recordBalances(sql, chunk.runId, observed.map((o) => o.observation));
      let changed = 0;
      observed.forEach(({ customer, observation: o }, i) => {
        const outcome = outcomes[i];
        if (outcome.changed) {
          changed++;
          findings.push({
            kind: 'balance_changed',
            customerId: customer.id,
            celarId: customer.celarId,
            field: 'balance',
            expected: outcome.previous,
            actual: o.balance,
            delta: outcome.delta,
            message: `balance changed from ${outcome.previous} to ${o.balance} ${o.currency} (${signed(outcome.delta!)})`,
          });
        }
        if (!customer.isActive && !isZero(o.balance)) {
          findings.push({
            kind: 'deactivated_with_balance',
            customerId: customer.id,
            celarId: customer.celarId,
            field: 'balance',
            expected: '0',
            actual: o.balance,
            currency: o.currency,
            message: `deactivated customer still holds ${o.balance} ${o.currency}`,
          });
        }
      });
      const findingsWritten = await this.runs.insertFindings(sql, chunk.runId, findings);

      // The run's totals: exact numeric sums of the balances this chunk covered, as now stored.
      const totals = await sql.rows<{ currency: string; total: string }>(
        `SELECT b.currency, sum(b.balance)::text AS total
           FROM customer_balances b
           JOIN unnest($1::uuid[], $2::text[]) AS o(customer_id, currency) USING (customer_id, currency)
          GROUP BY b.currency`,
        [observed.map((o) => o.customer.id), observed.map((o) => o.observation.currency)],
      );
      await this.runs.finishChunk(sql, chunk.runId, chunk.chunkNo, 'done', {
        customersDone: customers.length,
        customersChecked: observed.length,
        balancesChanged: changed,
        findings: findingsWritten,
        errors,
        totals: Object.fromEntries(totals.map((t) => [t.currency, t.total])),
      });
      return this.runs.advance(sql, chunk.runId);
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
