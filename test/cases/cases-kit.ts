// What the case e2e tests share (the stack itself is test/support/stack.ts, with the whole
// worker app in this process): helpers around the case routes.
import { createHash } from 'node:crypto';
import request from 'supertest';
import { TEST_ADMIN_KEY } from '@app/testing';
import type { Stack } from '../support/stack';

export { ADMIN_AUTH as ADMIN, APP_AUTH as APP, waitUntil } from '@app/testing';
export { insertMirror, seedCustomers, startRun, waitForRun, allFindings } from '../reconciliation/reconciliation-kit';
export type { RunBody, Seeded } from '../reconciliation/reconciliation-kit';

jest.setTimeout(180_000);

/** The actor the admin key of the tests stands for. */
export const ADMIN_ACTOR = `key:${createHash('sha256').update(TEST_ADMIN_KEY).digest('hex').slice(0, 12)}`;

export interface CaseBody {
  id: string;
  kind: string;
  status: string;
  customer_id: string | null;
  celar_id: string | null;
  field: string | null;
  expected: string | null;
  actual: string | null;
  delta: string | null;
  currency: string | null;
  first_seen_at: string;
  last_seen_at: string;
  occurrence_count: number;
  first_run_id: string;
  last_run_id: string;
  resolution: string | null;
  note: string | null;
  updated_at: string;
  events?: { at: string; action: string; actor: string; note: string | null; run_id: string | null }[];
}

export async function listCases(stack: Pick<Stack, 'http'>, query = ''): Promise<CaseBody[]> {
  const res = await request(stack.http).get(`/api/v1/admin/cases${query}`).set({ Authorization: `Bearer ${TEST_ADMIN_KEY}` });
  if (res.status !== 200) throw new Error(`list cases: ${res.status} ${res.text}`);
  return res.body.cases as CaseBody[];
}

export async function getCase(stack: Pick<Stack, 'http'>, id: string): Promise<CaseBody> {
  const res = await request(stack.http).get(`/api/v1/admin/cases/${id}`).set({ Authorization: `Bearer ${TEST_ADMIN_KEY}` });
  if (res.status !== 200) throw new Error(`get case: ${res.status} ${res.text}`);
  return res.body as CaseBody;
}

export function act(stack: Pick<Stack, 'http'>, id: string, action: string, body?: object) {
  const req = request(stack.http).post(`/api/v1/admin/cases/${id}/${action}`).set({ Authorization: `Bearer ${TEST_ADMIN_KEY}` });
  return body === undefined ? req : req.send(body);
}
