// The work of the API baseline, shared by its two servers (plain node:http, and the same
// work inside a bare NestJS app to show what the framework alone costs). It runs the same
// SQL as CustomersRepository for the routes the bench drives, and nothing else: no input
// validation, no key hashing, no idempotency keys, no request ids, no logs or metrics.
import { randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import IORedis from 'ioredis';
import { Pool, PoolClient } from 'pg';

export interface Answer {
  status: number;
  body: unknown;
}

const COLUMNS = `id, celar_id, psp_id, type, name, email, country, document_type, address, tax_id, wallet_address,
  verification_document, incorporation_certificate, is_active, sync_status, sync_error, last_synced_at,
  created_at, updated_at`;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const FILTERS: Record<string, string> = {
  type: 'type = ?',
  is_active: 'is_active = ?',
  sync_status: 'sync_status = ?',
  country: 'country = ?',
  email: 'lower(email) = lower(?)',
};
const NOT_FOUND: Answer = { status: 404, body: { error: { code: 'not_found', message: 'Customer not found' } } };

export function env(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is missing`);
  return value;
}

/** Env: DATABASE_URL, REDIS_URL, QUEUE_PREFIX, POOL_SIZE (20, as the API's), BASELINE_ENQUEUE (1). */
export class BaselineCore {
  // Idle connections close after 1 s: while another target is measured they are not held
  // (Postgres allows 100 connections, shared with the test runs on this machine).
  private readonly pool = new Pool({ connectionString: env('DATABASE_URL'), max: Number(process.env.POOL_SIZE ?? 20), idleTimeoutMillis: 1000 });
  private readonly redis = process.env.BASELINE_ENQUEUE !== '0' ? new IORedis(env('REDIS_URL'), { maxRetriesPerRequest: 1 }) : undefined;
  private readonly queue = this.redis ? new Queue('customer-sync', { connection: this.redis, prefix: `{${env('QUEUE_PREFIX')}}` }) : undefined;

  private async inTransaction<T>(fn: (client: PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const result = await fn(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  /** Insert + outbox rows + NOTIFY in one transaction, then one BullMQ job per customer. */
  async create(body: unknown): Promise<Answer> {
    const items = (Array.isArray(body) ? body : [body]) as Record<string, string | undefined>[];
    const rows = items.map((item, ord) => ({
      ord,
      id: randomUUID(),
      type: item.type,
      name: item.name,
      email: item.email,
      country: item.country,
      document_type: item.document_type,
      address: item.address ?? null,
      tax_id: item.tax_id ?? null,
      wallet_address: item.wallet_address ?? null,
    }));
    const result = await this.inTransaction(async (client) => {
      const inserted = await client.query(
        `INSERT INTO customers (id, type, name, email, country, document_type, address, tax_id, wallet_address, last_op_seq, created_at, updated_at)
         SELECT x.id, x.type, x.name, x.email, x.country, x.document_type, x.address, x.tax_id, x.wallet_address, 1,
                now() + x.ord * interval '1 microsecond', now() + x.ord * interval '1 microsecond'
         FROM jsonb_to_recordset($1::jsonb) AS x(ord int, id uuid, type text, name text, email text, country text,
              document_type text, address text, tax_id text, wallet_address text)
         ORDER BY x.ord
         ON CONFLICT (lower(email)) WHERE is_active DO NOTHING
         RETURNING ${COLUMNS}`,
        [JSON.stringify(rows)],
      );
      if (inserted.rowCount !== rows.length) throw Object.assign(new Error('email taken'), { status: 409 });
      const ops = await client.query<{ id: string; customer_id: string }>(
        `INSERT INTO customer_operations (customer_id, seq, kind, payload, idempotency_key, request_id)
         SELECT x.customer_id, x.seq, x.kind, x.payload, x.idempotency_key, $2
         FROM jsonb_to_recordset($1::jsonb) AS x(ord int, customer_id uuid, seq int, kind text, payload jsonb, idempotency_key uuid)
         ORDER BY x.ord
         RETURNING id::text, customer_id`,
        [
          JSON.stringify(
            rows.map((row, ord) => ({ ord, customer_id: row.id, seq: 1, kind: 'create', payload: items[ord], idempotency_key: randomUUID() })),
          ),
          null,
        ],
      );
      await client.query(`SELECT pg_notify('customer_operations', '')`);
      return { customers: inserted.rows, ops: ops.rows };
    });
    if (this.queue) {
      await this.queue.addBulk(
        result.ops.map((op) => ({
          name: 'sync-operation',
          data: { operationId: op.id, customerId: op.customer_id },
          opts: { jobId: `op-${op.id}`, removeOnComplete: true },
        })),
      );
    }
    return { status: 202, body: { message: `${result.customers.length} customer(s) created successfully`, customers: result.customers } };
  }

  async getOne(id: string): Promise<Answer> {
    if (!UUID.test(id)) return NOT_FOUND;
    const { rows } = await this.pool.query(`SELECT ${COLUMNS} FROM customers WHERE id = $1`, [id.toLowerCase()]);
    return rows.length ? { status: 200, body: rows[0] } : NOT_FOUND;
  }

  async list(query: URLSearchParams): Promise<Answer> {
    const limit = Number(query.get('limit') ?? 20);
    const offset = Number(query.get('offset') ?? 0);
    const conditions: string[] = [];
    const params: unknown[] = [];
    for (const [name, sql] of Object.entries(FILTERS)) {
      const value = query.get(name);
      if (value === null) continue;
      params.push(name === 'is_active' ? value === 'true' : value);
      conditions.push(sql.replace('?', `$${params.length}`));
    }
    const where = conditions.length ? `WHERE ${conditions.join(' AND ')}` : '';
    const count = await this.pool.query<{ total: string }>(`SELECT count(*) AS total FROM customers ${where}`, params);
    const page = await this.pool.query(
      `SELECT ${COLUMNS} FROM customers ${where} ORDER BY created_at DESC, id DESC LIMIT $${params.length + 1} OFFSET $${params.length + 2}`,
      [...params, limit, offset],
    );
    return { status: 200, body: { customers: page.rows, total: Number(count.rows[0].total), limit, offset } };
  }

  async close(): Promise<void> {
    await this.queue?.close().catch(() => undefined);
    this.redis?.disconnect();
    await this.pool.end().catch(() => undefined);
  }
}

export function errorAnswer(error: Error & { status?: number }): Answer {
  return { status: error.status ?? 500, body: { error: { code: 'error', message: error.message } } };
}
