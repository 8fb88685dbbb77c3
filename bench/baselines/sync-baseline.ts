// The sync baseline: a plain BullMQ Worker that, for each job, reads the customer's pending
// create, POSTs it to Celar (the sandbox) and writes the answer back, with the same SQL
// effect as the sync engine's success path. No ordering lock, no attempt bookkeeping, no
// lookup before a retry, no request budget: the work with nothing in between.
// Env: DATABASE_URL, REDIS_URL, QUEUE_PREFIX, CELAR_BASE_URL, CELAR_API_KEY, CONCURRENCY.
import { Job, Worker } from 'bullmq';
import IORedis from 'ioredis';
import { Agent } from 'node:http';
import http from 'node:http';
import { Pool } from 'pg';

const env = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is missing`);
  return value;
};

const concurrency = Number(process.env.CONCURRENCY ?? 16);
const pool = new Pool({ connectionString: env('DATABASE_URL'), max: concurrency + 2 });
const base = new URL(`${env('CELAR_BASE_URL').replace(/\/+$/, '')}/customers`);
const agent = new Agent({ keepAlive: true, maxSockets: 64 });
const auth = `Bearer ${env('CELAR_API_KEY')}`;

function post(body: string, idempotencyKey: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      base,
      {
        method: 'POST',
        agent,
        headers: {
          authorization: auth,
          'content-type': 'application/json',
          accept: 'application/json',
          'content-length': Buffer.byteLength(body),
          'idempotency-key': idempotencyKey,
        },
        timeout: 10_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end(body);
  });
}

async function process1(job: Job<{ customerId: string }>): Promise<void> {
  const { customerId } = job.data;
  const { rows } = await pool.query<{ id: string; payload: Record<string, unknown>; idempotency_key: string }>(
    `SELECT id::text, payload, idempotency_key::text FROM customer_operations
      WHERE customer_id = $1 AND status = 'pending' ORDER BY seq LIMIT 1`,
    [customerId],
  );
  if (rows.length === 0) return;
  const op = rows[0];
  const res = await post(JSON.stringify(op.payload), op.idempotency_key);
  if (res.status !== 201 && res.status !== 200) throw new Error(`Celar answered ${res.status}`);
  const upstream = (JSON.parse(res.text) as { customers: Record<string, string>[] }).customers[0];
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query(
      `UPDATE customers SET celar_id = $2, psp_id = $3, celar_raw = $4, celar_created_at = $5, celar_updated_at = $6,
              sync_status = 'synced', sync_error = NULL, last_synced_at = now(), updated_at = now()
        WHERE id = $1`,
      [customerId, upstream.id, upstream.psp_id, JSON.stringify(upstream), upstream.created_at, upstream.updated_at],
    );
    await client.query(`UPDATE customer_operations SET status = 'done', attempts = attempts + 1, completed_at = now() WHERE id = $1`, [op.id]);
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

const connection = new IORedis(env('REDIS_URL'), { maxRetriesPerRequest: null });
const worker = new Worker('customer-sync-baseline', process1, {
  connection,
  prefix: `{${env('QUEUE_PREFIX')}}`,
  concurrency,
  removeOnComplete: { count: 1000 },
});
worker.on('error', () => undefined);
void worker.waitUntilReady().then(() => process.stdout.write('ready\n'));

async function shutdown(): Promise<void> {
  await worker.close().catch(() => undefined);
  connection.disconnect();
  await pool.end().catch(() => undefined);
  process.exit(0);
}
process.on('SIGTERM', () => void shutdown());
process.on('SIGINT', () => void shutdown());
