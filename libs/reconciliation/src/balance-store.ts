import Decimal from 'decimal.js';
import { Sql } from '@app/database';

/** decimal.js rounds to 20 significant digits by default; balances may have 30. */
const Exact = Decimal.clone({ precision: 1000, toExpNeg: -1000, toExpPos: 1000 });

export const DECIMAL_TEXT = /^-?\d+(\.\d+)?$/;

function scale(text: string): number {
  const dot = text.indexOf('.');
  return dot < 0 ? 0 : text.length - dot - 1;
}

/** a - b exactly, with the larger of their scales (as Postgres numeric does): "12.50" - "10" = "2.50". */
export function decimalDelta(actual: string, expected: string): string {
  return new Exact(actual).minus(expected).toFixed(Math.max(scale(actual), scale(expected)));
}

export function decimalEquals(a: string, b: string): boolean {
  return new Exact(a).eq(b);
}

export function isZero(text: string): boolean {
  return new Exact(text).isZero();
}

/** "+2.50" / "-1.25": for messages. */
export function signed(delta: string): string {
  return delta.startsWith('-') ? delta : `+${delta}`;
}

export interface BalanceObservation {
  customerId: string;
  balance: string;
  currency: string;
  /** When the answer was asked for: a newer stored value (a refresh meanwhile) is kept. */
  observedAt: Date;
}

export interface ObservationOutcome {
  /** The stored value before, or null for a customer's first balance (the baseline). */
  previous: string | null;
  changed: boolean;
  /** actual - previous, when changed. */
  delta: string | null;
  /** A newer observation was already stored; nothing written. */
  superseded: boolean;
}

/**
 * Stores observed balances: the current value per customer and currency, and a history row
 * whenever it changes (the first one included). Runs inside the caller's transaction and
 * locks the rows it compares, so a concurrent refresh cannot slip between compare and write.
 */
export async function recordBalances(sql: Sql, runId: string | null, observations: BalanceObservation[]): Promise<ObservationOutcome[]> {
  if (observations.length === 0) return [];
  const stored = await sql.rows<{ customerId: string; currency: string; balance: string; asOf: Date }>(
    `SELECT customer_id AS "customerId", currency, balance::text AS balance, as_of AS "asOf" FROM customer_balances
      WHERE customer_id = ANY($1::uuid[]) ORDER BY customer_id, currency FOR UPDATE`,
    [[...new Set(observations.map((o) => o.customerId))]],
  );
  const byKey = new Map(stored.map((s) => [`${s.customerId}|${s.currency}`, s]));

  const outcomes = observations.map((o): ObservationOutcome => {
    const prev = byKey.get(`${o.customerId}|${o.currency}`);
    if (!prev) return { previous: null, changed: false, delta: null, superseded: false };
    if (prev.asOf.getTime() > o.observedAt.getTime()) return { previous: prev.balance, changed: false, delta: null, superseded: true };
    const changed = !decimalEquals(prev.balance, o.balance);
    return { previous: prev.balance, changed, delta: changed ? decimalDelta(o.balance, prev.balance) : null, superseded: false };
  });

  const writes = observations.filter((_, i) => !outcomes[i].superseded);
  if (writes.length > 0) {
    await sql.rows(
      `INSERT INTO customer_balances (customer_id, currency, balance, as_of, run_id)
       SELECT o.customer_id, o.currency, o.balance, o.as_of, $5
         FROM unnest($1::uuid[], $2::text[], $3::numeric[], $4::timestamptz[]) AS o(customer_id, currency, balance, as_of)
       ON CONFLICT (customer_id, currency) DO UPDATE
          SET balance = EXCLUDED.balance, as_of = EXCLUDED.as_of, run_id = EXCLUDED.run_id`,
      [writes.map((o) => o.customerId), writes.map((o) => o.currency), writes.map((o) => o.balance), writes.map((o) => o.observedAt), runId],
    );
  }

  const history = observations
    .map((o, i) => ({ o, outcome: outcomes[i] }))
    .filter(({ outcome }) => !outcome.superseded && (outcome.previous === null || outcome.changed));
  if (history.length > 0) {
    await sql.rows(
      `INSERT INTO balance_history (customer_id, currency, balance, previous_balance, delta, run_id, observed_at)
       SELECT h.customer_id, h.currency, h.balance, h.previous, h.balance - h.previous, $6, h.observed_at
         FROM unnest($1::uuid[], $2::text[], $3::numeric[], $4::numeric[], $5::timestamptz[])
           AS h(customer_id, currency, balance, previous, observed_at)`,
      [
        history.map(({ o }) => o.customerId),
        history.map(({ o }) => o.currency),
        history.map(({ o }) => o.balance),
        history.map(({ outcome }) => outcome.previous),
        history.map(({ o }) => o.observedAt),
        runId,
      ],
    );
  }
  return outcomes;
}
