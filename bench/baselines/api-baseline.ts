// The API baseline: node:http + pg Pool + a BullMQ Queue, no framework. It runs the same
// SQL as CustomersRepository for the routes the bench drives, and nothing else: no input
// validation, no key hashing, no email pre-check, no idempotency keys, no request ids.
// Started as its own process by the bench (DATABASE_URL, REDIS_URL, QUEUE_PREFIX, PORT, API_KEY).
import { randomUUID } from 'node:crypto';
import http, { IncomingMessage, ServerResponse } from 'node:http';
import { Queue } from 'bullmq';
import IORedis from 'ioredis';
import { Pool, PoolClient } from 'pg';

const env = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is missing`);
  return value;
};

const pool = new Pool({ connectionString: env('DATABASE_URL'), max: Number(process.env.POOL_SIZE ?? 20) });
const enqueue = process.env.BASELINE_ENQUEUE !== '0';
const redis = enqueue ? new IORedis(env('REDIS_URL'), { maxRetriesPerRequest: 1 }) : undefined;
const queue = redis ? new Queue('customer-sync', { connection: redis, prefix: `{${env('QUEUE_PREFIX')}}` }) : undefined;
const expectedAuth = `Bearer ${env('API_KEY')}`;

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

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

async function inTransaction<T>(fn: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
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

async function create(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const body: unknown = JSON.parse(await readBody(req));
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
  const result = await inTransaction(async (client) => {
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
  if (queue) {
    await queue.addBulk(
      result.ops.map((op) => ({
        name: 'sync-operation',
        data: { operationId: op.id, customerId: op.customer_id },
        opts: { jobId: `op-${op.id}`, removeOnComplete: true },
      })),
    );
  }
  send(res, 202, { message: `${result.customers.length} customer(s) created successfully`, customers: result.customers });
}

async function getOne(id: string, res: ServerResponse): Promise<void> {
  if (!UUID.test(id)) return send(res, 404, { error: { code: 'not_found', message: 'Customer not found' } });
  const { rows } = await pool.query(`SELECT ${COLUMNS} FROM customers WHERE id = $1`, [id.toLowerCase()]);
  if (rows.length === 0) return send(res, 404, { error: { code: 'not_found', message: 'Customer not found' } });
  send(res, 200, rows[0]);
}

async function list(query: URLSearchParams, res: ServerResponse): Promise<void> {
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
  const count = await pool.query<{ total: string }>(`SELECT count(*) AS total FROM customers ${where}`, params);
  const page = await pool.query(
    `SELECT ${COLUMNS} FROM customers ${where} ORDER BY created_at DESC, id DESC LIMIT $${params.length + 1} OFFSET $${params.length + 2}`,
    [...params, limit, offset],
  );
  send(res, 200, { customers: page.rows, total: Number(count.rows[0].total), limit, offset });
}

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (req.headers.authorization !== expectedAuth) return send(res, 401, { error: { code: 'unauthorized', message: 'Unknown API key' } });
  const url = new URL(req.url ?? '/', 'http://localhost');
  const path = url.pathname;
  if (path === '/api/v1/customers' && req.method === 'POST') return create(req, res);
  if (path === '/api/v1/customers' && req.method === 'GET') return list(url.searchParams, res);
  if (path.startsWith('/api/v1/customers/') && req.method === 'GET') return getOne(path.slice('/api/v1/customers/'.length), res);
  send(res, 404, { error: { code: 'not_found', message: 'Not found' } });
}

const server = http.createServer((req, res) => {
  handle(req, res).catch((error: Error & { status?: number }) => {
    if (!res.headersSent) send(res, error.status ?? 500, { error: { code: 'error', message: error.message } });
  });
});
server.keepAliveTimeout = 65_000;
server.listen(Number(env('PORT')), '127.0.0.1');

async function shutdown(): Promise<void> {
  server.close();
  server.closeAllConnections();
  await queue?.close().catch(() => undefined);
  redis?.disconnect();
  await pool.end().catch(() => undefined);
  process.exit(0);
}
process.on('SIGTERM', () => void shutdown());
process.on('SIGINT', () => void shutdown());
