import { INestApplication } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { Pool } from 'pg';
import request from 'supertest';
import type { App } from 'supertest/types';
import { APP_AUTH, createTestDatabase, TEST_APP_KEY, testConfig } from '@app/testing';
import { createApiApp } from '../../apps/api/src/api-app';

export { APP_AUTH, ADMIN_AUTH } from '@app/testing';
export const API_KEY_HASH = createHash('sha256').update(TEST_APP_KEY).digest('hex');

export interface ApiHarness {
  app: INestApplication;
  http: App;
  /** Direct access for arranging state and checking what was stored. */
  db: Pool;
  dbUrl: string;
  close(): Promise<void>;
}

/** The API on its own fresh database; supertest listens on an ephemeral port per request. */
export async function startApi(overrides: Record<string, string> = {}): Promise<ApiHarness> {
  const url = await createTestDatabase();
  const app = await createApiApp(testConfig(url, overrides));
  const db = new Pool({ connectionString: url, max: 3 });
  return {
    app,
    http: app.getHttpServer() as App,
    db,
    dbUrl: url,
    close: async () => {
      await app.close();
      await db.end();
    },
  };
}

let serial = 0;

/** A valid individual (Celar's own example) with a unique email. */
export function individual(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  serial += 1;
  return {
    country: 'KEN',
    email: `alice${serial}@example.com`,
    type: 'individual',
    wallet_address: '0x8ba1f109551bD432803012645Ac136ddd64DBA72',
    address: '45 Koinange Street, Nairobi',
    name: 'Alice Wanjiku',
    tax_id: 'P87126345B',
    document_type: 'passport',
    ...overrides,
  };
}

export function business(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  serial += 1;
  return {
    country: 'KEN',
    email: `acme${serial}@example.com`,
    type: 'business',
    // Celar's business sample address fails EIP-55; its checksummed form holds.
    wallet_address: '0x47c99E83FF01123f4BBD2A9E7aaF35A2f97B4761',
    address: '10 Industrial Area Road, Nairobi',
    name: 'Acme Trading Ltd',
    tax_id: 'C5562399K',
    document_type: 'incorporation_certificate',
    ...overrides,
  };
}

export interface CustomerBody {
  id: string;
  email: string;
  [field: string]: unknown;
}

export async function createCustomers(h: ApiHarness, body: unknown): Promise<CustomerBody[]> {
  const res = await request(h.http).post('/api/v1/customers').set(APP_AUTH).send(body as object);
  if (res.status !== 202) throw new Error(`create failed: ${res.status} ${res.text}`);
  return (res.body as { customers: CustomerBody[] }).customers;
}

/** A digest of every stored row: equal before and after means nothing changed. */
export async function fingerprint(db: Pool): Promise<Record<string, string>> {
  const digest = async (table: string) => {
    const { rows } = await db.query<{ n: string; md5: string | null }>(
      `SELECT count(*) AS n, md5(string_agg(t::text, '|' ORDER BY t::text)) AS md5 FROM ${table} t`,
    );
    return `${rows[0].n}:${rows[0].md5 ?? ''}`;
  };
  return {
    customers: await digest('customers'),
    customer_operations: await digest('customer_operations'),
    idempotency_keys: await digest('idempotency_keys'),
  };
}

export async function operationsOf(db: Pool, customerId: string) {
  const { rows } = await db.query(
    `SELECT id, seq, kind, payload, status, idempotency_key, request_id, enqueued_at, last_error
     FROM customer_operations WHERE customer_id = $1 ORDER BY seq`,
    [customerId],
  );
  return rows;
}

export async function count(db: Pool, table: 'customers' | 'customer_operations' | 'idempotency_keys'): Promise<number> {
  const { rows } = await db.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`);
  return Number(rows[0].n);
}

/** The contract's error shape, and nothing else (no stack, no extra keys). */
export function expectErrorShape(body: unknown, code: string): void {
  expect(body).toEqual({
    error: expect.objectContaining({ code, message: expect.any(String) }),
  });
  const error = (body as { error: Record<string, unknown> }).error;
  expect(Object.keys(error).every((k) => ['code', 'message', 'details'].includes(k))).toBe(true);
  expect((error.message as string).length).toBeGreaterThan(0);
  expect(JSON.stringify(body)).not.toMatch(/\bat .+\.(ts|js):\d+/);
  if (error.details !== undefined) {
    expect(Array.isArray(error.details)).toBe(true);
    for (const detail of error.details as Record<string, unknown>[]) expect(detail).toEqual(expect.objectContaining({ message: expect.any(String) }));
  }
}
