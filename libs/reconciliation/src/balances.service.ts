import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AppError } from '@app/common';
import { CustomerMirrorRepository } from '@app/customers';
import { inTransaction, queryRows } from '@app/database';
import { asCelarError, CelarClient, describeCelarError, withCelarRetry } from '@app/celar-client';
import { DECIMAL_TEXT, recordBalances } from './balance-store';
import { BalanceView } from './reconciliation.types';

/** GET /customers/:id/balance: the stored balance, or (refresh) Celar's, fetched now and stored. */
@Injectable()
export class BalancesService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly mirror: CustomerMirrorRepository,
    private readonly celar: CelarClient,
  ) {}

  /** `ref`: our id or Celar's. The last reconciled value; never fetched: balance and as_of null. */
  async get(ref: string): Promise<BalanceView> {
    const customer = await this.customer(ref);
    return this.stored(customer.id);
  }

  async refresh(ref: string): Promise<BalanceView> {
    const customer = await this.customer(ref);
    if (!customer.celarId) {
      throw new AppError('not_created_upstream', 'This customer is not created in Celar yet: there is no balance to fetch');
    }
    const celarId = customer.celarId;
    const observedAt = new Date();
    let answer;
    try {
      // One quick retry only: a caller is waiting.
      answer = await withCelarRetry(() => this.celar.getBalance(celarId), { transientAttempts: 2, rateLimitedWaits: 1 });
    } catch (error) {
      const e = asCelarError(error);
      if (e.kind === 'NOT_FOUND') throw new AppError('conflict', `Celar does not know this customer (${celarId})`);
      throw new AppError('celar_unavailable', `Celar could not be asked for the balance (${describeCelarError(e)})`);
    }
    if (!DECIMAL_TEXT.test(answer.balance) || !answer.currency) {
      throw new AppError('celar_unavailable', "Celar's balance answer could not be read");
    }
    await inTransaction(this.dataSource, (sql) =>
      recordBalances(sql, null, [{ customerId: customer.id, balance: answer.balance, currency: answer.currency, observedAt }]),
    );
    return this.stored(customer.id);
  }

  /** Every stored change of a customer's balance (its first value included), oldest first, at most `limit`. */
  async history(ref: string, limit = 500): Promise<{ currency: string; balance: string; observed_at: string; run_id: string | null }[]> {
    const customer = await this.customer(ref);
    const rows = await queryRows<{ currency: string; balance: string; observedAt: Date; runId: string | null }>(
      this.dataSource,
      `SELECT currency, balance, "observedAt", "runId" FROM (SELECT currency, balance::text AS balance, observed_at AS "observedAt", run_id AS "runId" FROM balance_history
                       WHERE customer_id = $1 ORDER BY observed_at DESC, id DESC LIMIT $2) h ORDER BY "observedAt"`,
      [customer.id, limit],
    );
    return rows.map((r) => ({ currency: r.currency, balance: r.balance, observed_at: r.observedAt.toISOString(), run_id: r.runId }));
  }

  private async stored(customerId: string): Promise<BalanceView> {
    const rows = await queryRows<{ currency: string; balance: string; asOf: Date }>(
      this.dataSource,
      `SELECT currency, balance::text AS balance, as_of AS "asOf" FROM customer_balances WHERE customer_id = $1 ORDER BY as_of DESC, currency LIMIT 1`,
      [customerId],
    );
    const row = rows[0];
    return { customer_id: customerId, balance: row?.balance ?? null, currency: row?.currency ?? null, as_of: row?.asOf.toISOString() ?? null };
  }

  private async customer(ref: string): Promise<{ id: string; celarId: string | null }> {
    const customer = await this.mirror.resolveRef(ref);
    if (!customer) throw new AppError('not_found', `No customer ${ref}`);
    return customer;
  }
}
