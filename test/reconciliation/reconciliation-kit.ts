// What the reconciliation e2e tests share (the stack itself is test/support/stack.ts): customers
// that exist upstream and in the mirror, and the run routes.
import { randomBytes, randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import request from 'supertest';
import { ADMIN_AUTH, waitUntil } from '@app/testing';
import type { Stack } from '../support/stack';

// Runs go through real queues, Postgres and the sandbox on a machine other test runs share:
// generous limits, so a busy machine slows these tests down without failing them.
jest.setTimeout(180_000);

export interface RunBody {
  id: string;
  kind: string;
  trigger: string;
  status: string;
  progress: { done: number; total: number };
  started_at: string | null;
  finished_at: string | null;
  created_at: string;
  counts: { customers_checked: number; balances_changed: number; findings: number; errors: number };
  totals: { currency: string; total: string }[];
  error: string | null;
  eta_seconds: number | null;
  findings?: FindingBody[];
  findings_total?: number;
}

export interface FindingBody {
  id: number;
  run_id: string;
  kind: string;
  customer_id: string | null;
  celar_id: string | null;
  field: string | null;
  expected: string | null;
  actual: string | null;
  delta: string | null;
  message: string;
  created_at: string;
}

export interface Seeded {
  /** Our id. */
  id: string;
  celarId: string;
  email: string;
}

let serial = 0;

/**
 * `n` customers created in the sandbox through Celar's bulk create, and the same customers in
 * our mirror with their celar_id (as the sync engine would have left them), in creation order.
 */
export async function seedCustomers(
  stack: Pick<Stack, 'sandbox' | 'db'>,
  n: number,
  fields: (i: number) => Record<string, unknown> = () => ({}),
): Promise<Seeded[]> {
  const tag = randomBytes(3).toString('hex');
  const inputs = Array.from({ length: n }, (_, i) => ({
    type: 'individual',
    name: `Customer ${i}`,
    email: `c${++serial}.${tag}@example.com`,
    country: 'KEN',
    document_type: 'passport',
    ...fields(i),
  }));
  const created: { id: string; email: string }[] = [];
  for (let i = 0; i < inputs.length; i += 1000) {
    const batch = inputs.slice(i, i + 1000);
    const res = await fetch(`${stack.sandbox.baseUrl}/customers`, {
      method: 'POST',
      headers: { authorization: `Bearer ${stack.sandbox.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify(batch),
    });
    if (res.status !== 201) throw new Error(`sandbox create: ${res.status} ${await res.text()}`);
    created.push(...((await res.json()) as { customers: { id: string; email: string }[] }).customers);
  }
  const seeded = created.map((c) => ({ id: randomUUID(), celarId: c.id, email: c.email }));
  await insertMirror(stack.db, seeded.map((s, i) => ({ ...s, ...pickMirror(inputs[i]) })));
  return seeded;
}

function pickMirror(input: Record<string, unknown>): Partial<MirrorInsert> {
  const out: Partial<MirrorInsert> = {};
  for (const key of ['type', 'name', 'country', 'document_type', 'address', 'tax_id', 'wallet_address'] as const) {
    if (input[key] !== undefined) out[key] = input[key] as string;
  }
  return out;
}

export interface MirrorInsert {
  id: string;
  celarId: string | null;
  email: string;
  type?: string;
  name?: string;
  country?: string;
  document_type?: string;
  address?: string | null;
  tax_id?: string | null;
  wallet_address?: string | null;
  isActive?: boolean;
}

/** Rows straight into the mirror, as the sync engine would leave them once synced. */
export async function insertMirror(db: Pool, rows: MirrorInsert[]): Promise<void> {
  for (let i = 0; i < rows.length; i += 5000) {
    const batch = rows.slice(i, i + 5000);
    const col = <T>(f: (r: MirrorInsert) => T) => batch.map(f);
    await db.query(
      `INSERT INTO customers (id, celar_id, type, name, email, country, document_type, address, tax_id, wallet_address,
                              is_active, sync_status, last_synced_at, deactivated_at)
       SELECT id, celar_id, type, name, email, country, document_type, address, tax_id, wallet_address, is_active,
              CASE WHEN celar_id IS NULL THEN 'pending' ELSE 'synced' END, CASE WHEN celar_id IS NULL THEN NULL ELSE now() END,
              CASE WHEN is_active THEN NULL ELSE now() END
         FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::boolean[])
           AS t(id, celar_id, type, name, email, country, document_type, address, tax_id, wallet_address, is_active)`,
      [
        col((r) => r.id),
        col((r) => r.celarId),
        col((r) => r.type ?? 'individual'),
        col((r) => r.name ?? 'Customer'),
        col((r) => r.email),
        col((r) => r.country ?? 'KEN'),
        col((r) => r.document_type ?? 'passport'),
        col((r) => r.address ?? null),
        col((r) => r.tax_id ?? null),
        col((r) => r.wallet_address ?? null),
        col((r) => r.isActive ?? true),
      ],
    );
  }
}

/** POST /admin/reconciliations; the answer as is. */
export function trigger(stack: Pick<Stack, 'http'>, kind: string, auth = ADMIN_AUTH) {
  return request(stack.http).post('/api/v1/admin/reconciliations').set(auth).send({ kind });
}

export async function startRun(stack: Pick<Stack, 'http'>, kind: 'balances' | 'records'): Promise<RunBody> {
  const res = await trigger(stack, kind);
  if (res.status !== 202) throw new Error(`start ${kind}: ${res.status} ${res.text}`);
  return res.body as RunBody;
}

export async function getRun(stack: Pick<Stack, 'http'>, id: string, query = ''): Promise<RunBody> {
  const res = await request(stack.http).get(`/api/v1/admin/reconciliations/${id}${query}`).set(ADMIN_AUTH);
  if (res.status !== 200) throw new Error(`get run: ${res.status} ${res.text}`);
  return res.body as RunBody;
}

/** Polls the run until it has ended (completed, partial or failed). */
export async function waitForRun(stack: Pick<Stack, 'http'>, id: string, timeoutMs = 90_000): Promise<RunBody> {
  let last: RunBody | undefined;
  return waitUntil(
    async () => {
      last = await getRun(stack, id, '?limit=100');
      return ['completed', 'partial', 'failed'].includes(last.status) ? last : undefined;
    },
    timeoutMs,
    () => `run ${id} to end (last seen: ${JSON.stringify({ ...last, findings: undefined })})`,
  );
}

/** Every finding of a run, through the paginated API. */
export async function allFindings(stack: Pick<Stack, 'http'>, id: string): Promise<FindingBody[]> {
  const out: FindingBody[] = [];
  for (let offset = 0; ; offset += 100) {
    const run = await getRun(stack, id, `?limit=100&offset=${offset}`);
    out.push(...(run.findings ?? []));
    if (out.length >= (run.findings_total ?? 0) || (run.findings ?? []).length === 0) return out;
  }
}
