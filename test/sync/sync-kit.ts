// What the sync e2e tests share (the stack itself is test/support/stack.ts): customers made
// through the API, and helpers that read the outcome from Postgres and the sandbox.
import { setTimeout as sleep } from 'node:timers/promises';
import { Pool } from 'pg';
import request from 'supertest';
import { SandboxCustomer, TEST_ADMIN_KEY, TEST_APP_KEY } from '@app/testing';
import type { Stack } from '../support/stack';

export function customerInput(tag: string, i: number): Record<string, unknown> {
  return {
    type: 'individual',
    name: `Customer ${tag} ${i}`,
    email: `${tag}-${i}@example.com`,
    country: 'KEN',
    document_type: 'passport',
    tax_id: `T${tag.replace(/[^A-Za-z0-9]/g, '')}${i}`.toUpperCase(),
    address: `${i} Koinange Street, Nairobi`,
  };
}

export type Http = ReturnType<typeof request>;

export function http(stack: Pick<Stack, 'http'>): Http {
  return request(stack.http);
}

/** Creates customers through the API (bulk requests of up to 100); returns their ids in order. */
export async function createCustomers(stack: Pick<Stack, 'http'>, inputs: Record<string, unknown>[]): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < inputs.length; i += 100) {
    const chunk = inputs.slice(i, i + 100);
    const res = await http(stack)
      .post('/api/v1/customers')
      .set('Authorization', `Bearer ${TEST_APP_KEY}`)
      .send(chunk.length === 1 ? chunk[0] : chunk)
      .expect(202);
    ids.push(...(res.body.customers as { id: string }[]).map((c) => c.id));
  }
  return ids;
}

export async function updateCustomer(stack: Pick<Stack, 'http'>, id: string, patch: Record<string, unknown>): Promise<void> {
  await http(stack).patch(`/api/v1/customers/${id}`).set('Authorization', `Bearer ${TEST_APP_KEY}`).send(patch).expect(202);
}

export async function deactivateCustomer(stack: Pick<Stack, 'http'>, id: string): Promise<void> {
  await http(stack).delete(`/api/v1/customers/${id}`).set('Authorization', `Bearer ${TEST_APP_KEY}`).expect(202);
}

export async function resyncCustomer(stack: Pick<Stack, 'http'>, id: string): Promise<void> {
  await http(stack).post(`/api/v1/customers/${id}/sync`).set('Authorization', `Bearer ${TEST_ADMIN_KEY}`).expect(202);
}

export interface MirrorRow {
  id: string;
  celar_id: string | null;
  psp_id: string | null;
  type: string;
  name: string;
  email: string;
  country: string;
  document_type: string;
  address: string | null;
  tax_id: string | null;
  wallet_address: string | null;
  is_active: boolean;
  sync_status: 'pending' | 'synced' | 'failed';
  sync_error: { code: string; message: string; at: string } | null;
  last_synced_at: Date | null;
  celar_raw: Record<string, unknown> | null;
}

export async function mirror(db: Pool): Promise<MirrorRow[]> {
  const { rows } = await db.query<MirrorRow>(`SELECT * FROM customers ORDER BY created_at, id`);
  return rows;
}

/**
 * Polls Postgres until no customer is pending (each is synced or failed) and no operation
 * of a customer that is not failed is left. The timeout is patience, not a speed check.
 */
export async function waitUntilSettled(db: Pool, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    const { rows } = await db.query<{ pending_customers: number; pending_ops: number }>(
      `SELECT (SELECT count(*)::int FROM customers WHERE sync_status = 'pending') AS pending_customers,
              (SELECT count(*)::int FROM customer_operations o JOIN customers c ON c.id = o.customer_id
                WHERE o.status = 'pending' AND c.sync_status <> 'failed') AS pending_ops`,
    );
    const { pending_customers, pending_ops } = rows[0];
    if (pending_customers === 0 && pending_ops === 0) return;
    last = `${pending_customers} customer(s) and ${pending_ops} operation(s) still pending`;
    await sleep(250);
  }
  const { rows: errors } = await db.query(
    `SELECT kind, attempts, last_error FROM customer_operations WHERE status = 'pending' ORDER BY id LIMIT 5`,
  );
  throw new Error(`sync did not settle in ${timeoutMs} ms: ${last}; e.g. ${JSON.stringify(errors)}`);
}

export { sleep };

/** Fields the service sends to Celar: upstream must hold exactly the mirror's values. */
export const SYNCED_FIELDS = ['type', 'name', 'email', 'country', 'document_type', 'address', 'tax_id', 'wallet_address', 'is_active'] as const;

/** Compares every local customer with its upstream record; returns the differences found (empty when all agree). */
export function compareWithUpstream(local: MirrorRow[], upstream: SandboxCustomer[]): string[] {
  const byId = new Map(upstream.map((c) => [c.id, c]));
  const problems: string[] = [];
  for (const row of local) {
    if (!row.celar_id) {
      problems.push(`${row.email}: no celar_id`);
      continue;
    }
    const remote = byId.get(row.celar_id);
    if (!remote) {
      problems.push(`${row.email}: ${row.celar_id} unknown upstream`);
      continue;
    }
    for (const field of SYNCED_FIELDS) {
      const mine = (row as unknown as Record<string, unknown>)[field] ?? null;
      const theirs = remote[field] ?? null;
      if (mine !== theirs) problems.push(`${row.email}: ${field} is ${JSON.stringify(mine)} here, ${JSON.stringify(theirs)} upstream`);
    }
    if (row.psp_id !== remote.psp_id) problems.push(`${row.email}: psp_id differs`);
  }
  return problems;
}

/** Emails held by more than one upstream customer. */
export function duplicateEmails(upstream: SandboxCustomer[]): string[] {
  const counts = new Map<string, number>();
  for (const c of upstream) counts.set(c.email.toLowerCase(), (counts.get(c.email.toLowerCase()) ?? 0) + 1);
  return [...counts].filter(([, n]) => n > 1).map(([email]) => email);
}

/** Customers another client (Celar's dashboard, another app) created upstream, straight through Celar's API. */
export async function seedUpstream(stack: Pick<Stack, 'sandbox'>, count: number, tag: string): Promise<void> {
  for (let i = 0; i < count; i += 100) {
    const items = Array.from({ length: Math.min(100, count - i) }, (_, j) => customerInput(tag, i + j));
    const res = await fetch(`${stack.sandbox.baseUrl}/customers`, {
      method: 'POST',
      headers: { authorization: `Bearer ${stack.sandbox.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify(items.length === 1 ? items[0] : items),
    });
    if (res.status !== 201 && res.status !== 200) throw new Error(`seeding upstream failed: ${res.status} ${await res.text()}`);
  }
}
