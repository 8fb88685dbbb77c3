// What the webhook e2e tests share: endpoints made through the admin API, the receiver, and
// reads of the event order from Postgres.
import { Pool } from 'pg';
import { TEST_ADMIN_KEY, WebhookReceiver } from '@app/testing';
import type { Stack } from '../support/stack';
import { http, sleep } from '../sync/sync-kit';

export const ADMIN = { Authorization: `Bearer ${TEST_ADMIN_KEY}` };

/** Fast retries for tests; the contract's schedule (5 s doubling to 1 h) is the default. */
export const WEBHOOK_TEST_ENV: Record<string, string> = {
  WEBHOOK_RETRY_BASE_MS: '50',
  WEBHOOK_RETRY_MAX_MS: '400',
  WEBHOOK_TIMEOUT_MS: '2000',
};

export interface Endpoint {
  id: string;
  url: string;
  types: string[] | null;
  description: string | null;
  enabled: boolean;
  secret: string;
  created_at: string;
}

/** Subscribes the receiver's endpoint `name` and tells the receiver its secret. */
export async function subscribe(stack: Pick<Stack, 'http'>, receiver: WebhookReceiver, name: string, types?: string[] | null): Promise<Endpoint> {
  const res = await http(stack)
    .post('/api/v1/admin/webhook-endpoints')
    .set(ADMIN)
    .send({ url: receiver.endpointUrl(name), ...(types !== undefined ? { types } : {}), description: `test ${name}` })
    .expect(201);
  receiver.setSecret(name, res.body.secret);
  return res.body as Endpoint;
}

export async function waitFor<T>(what: string, probe: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 90_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

export interface EventRow {
  id: string;
  type: string;
  customer_id: string | null;
}

/** Every event in the order it was appended. */
export async function events(db: Pool): Promise<EventRow[]> {
  const { rows } = await db.query<EventRow>(`SELECT id, type, customer_id FROM webhook_events ORDER BY seq`);
  return rows;
}

/** Deliveries not yet made (pending), for one endpoint or all. */
export async function pendingDeliveries(db: Pool, endpointId?: string): Promise<number> {
  const { rows } = await db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM webhook_deliveries WHERE status = 'pending' AND ($1::uuid IS NULL OR endpoint_id = $1)`,
    [endpointId ?? null],
  );
  return rows[0].n;
}

/**
 * Order per customer, as a PSP app sees it: when the receiver accepted an event, it had already
 * accepted every earlier event of that customer. Repeats (at least once) are allowed. Returns
 * the violations found, and events never accepted.
 */
export function orderProblems(all: EventRow[], accepted: { webhookId: string }[]): string[] {
  const position = new Map(all.map((e, i) => [e.id, i]));
  const byCustomer = new Map<string, string[]>();
  for (const e of all) if (e.customer_id) byCustomer.set(e.customer_id, [...(byCustomer.get(e.customer_id) ?? []), e.id]);
  const seen = new Set<string>();
  const problems: string[] = [];
  for (const { webhookId } of accepted) {
    const event = all[position.get(webhookId) ?? -1];
    if (!event) {
      problems.push(`${webhookId}: not an event of ours`);
      continue;
    }
    if (event.customer_id) {
      for (const earlier of byCustomer.get(event.customer_id)!) {
        if (earlier === event.id) break;
        if (!seen.has(earlier)) problems.push(`${event.id} (${event.type}) accepted before earlier ${earlier} of customer ${event.customer_id}`);
      }
    }
    seen.add(event.id);
  }
  for (const e of all) if (!seen.has(e.id)) problems.push(`${e.id} (${e.type}) never accepted`);
  return problems;
}
