// What the case e2e tests share: the sandbox, a fresh database, the API and the real worker
// (sync + reconciliation) in this process, and helpers around the case routes.
import { INestApplication, INestApplicationContext } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { Pool } from 'pg';
import request from 'supertest';
import type { App } from 'supertest/types';
import { AppConfig } from '@app/config';
import { createTestDatabase, RunningSandbox, startSandbox, TEST_ADMIN_KEY, testConfig, deleteQueueKeys } from '@app/testing';
import { createApiApp } from '../../apps/api/src/api-app';
import { createWorkerApp } from '../../apps/worker/src/worker-app';

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

export interface CaseStack {
  config: AppConfig;
  db: Pool;
  sandbox: RunningSandbox;
  api: INestApplication;
  http: App;
  worker: INestApplicationContext;
  close(): Promise<void>;
}

export async function startCaseStack(env: Record<string, string> = {}): Promise<CaseStack> {
  const sandbox = await startSandbox();
  const dbUrl = await createTestDatabase();
  const config = testConfig(dbUrl, {
    CELAR_BASE_URL: sandbox.baseUrl,
    CELAR_API_KEY: sandbox.apiKey,
    CELAR_REQUESTS_PER_SECOND: '1000',
    CELAR_TIMEOUT_MS: '2000',
    SYNC_BACKOFF_BASE_MS: '20',
    SYNC_BACKOFF_MAX_MS: '400',
    ...env,
  });
  const api = await createApiApp(config);
  const worker = await createWorkerApp(config);
  const db = new Pool({ connectionString: dbUrl, max: 4 });
  return {
    config,
    db,
    sandbox,
    api,
    http: api.getHttpServer() as App,
    worker,
    close: async () => {
      await worker.close();
      await api.close();
      await db.end();
      await sandbox.close();
      await deleteQueueKeys(config);
    },
  };
}

export async function listCases(stack: Pick<CaseStack, 'http'>, query = ''): Promise<CaseBody[]> {
  const res = await request(stack.http).get(`/api/v1/admin/cases${query}`).set({ Authorization: `Bearer ${TEST_ADMIN_KEY}` });
  if (res.status !== 200) throw new Error(`list cases: ${res.status} ${res.text}`);
  return res.body.cases as CaseBody[];
}

export async function getCase(stack: Pick<CaseStack, 'http'>, id: string): Promise<CaseBody> {
  const res = await request(stack.http).get(`/api/v1/admin/cases/${id}`).set({ Authorization: `Bearer ${TEST_ADMIN_KEY}` });
  if (res.status !== 200) throw new Error(`get case: ${res.status} ${res.text}`);
  return res.body as CaseBody;
}

export function act(stack: Pick<CaseStack, 'http'>, id: string, action: string, body?: object) {
  const req = request(stack.http).post(`/api/v1/admin/cases/${id}/${action}`).set({ Authorization: `Bearer ${TEST_ADMIN_KEY}` });
  return body === undefined ? req : req.send(body);
}
