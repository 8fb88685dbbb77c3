// Webhooks benchmark (issue 13): events/s delivered to a local receiver, and the added cost per
// sync against a baseline of the sync alone (same customers, no endpoint subscribed).
// `npm run build && node dist/bench/webhooks.bench.js` (BENCH_QUICK=1 for a short run).
// Everything runs in this process against the local Postgres and Redis, in a database and a
// queue prefix of its own that are dropped at the end.
import { setTimeout as sleep } from 'node:timers/promises';
import { randomBytes } from 'node:crypto';
import { INestApplicationContext } from '@nestjs/common';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { loadConfig } from '@app/config';
import { inTransaction, runMigrations } from '@app/database';
import { startSandbox, startWebhookReceiver, WebhookReceiver } from '@app/testing';
import { newEndpointSecret, WebhookEvents } from '@app/webhooks';
import { createWorkerApp } from '../apps/worker/src/worker-app';
import { insertPendingCreates } from './lib/bench-fixtures';

const QUICK = process.env.BENCH_QUICK === '1';
const SERVER = process.env.BENCH_DATABASE_SERVER_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

function dbUrl(name: string): string {
  const url = new URL(SERVER);
  url.pathname = `/${name}`;
  return url.toString();
}

function env(databaseUrl: string, celarBaseUrl: string, extra: Record<string, string> = {}) {
  return loadConfig(
    {
      DATABASE_URL: databaseUrl,
      REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
      QUEUE_PREFIX: `bench-wh-${randomBytes(4).toString('hex')}`,
      PORT: '0',
      WORKER_PORT: '0',
      SANDBOX_PORT: '0',
      CELAR_BASE_URL: celarBaseUrl,
      CELAR_API_KEY: 'sandbox_key',
      API_KEYS: 'bench_app_key',
      ADMIN_API_KEYS: 'bench_admin_key',
      BODY_LIMIT: '2mb',
      BALANCE_RECONCILE_EVERY: 'off',
      RECORD_RECONCILE_EVERY: 'off',
      LOG_LEVEL: 'silent',
      CELAR_REQUESTS_PER_SECOND: '10000',
      OUTBOX_POLL_MS: '100',
      ...extra,
    },
    '',
  );
}

async function freshDatabase(tag: string): Promise<string> {
  const url = dbUrl(`cs_bench_webhooks_${tag}_${randomBytes(3).toString('hex')}`);
  await runMigrations(url);
  return url;
}

async function dropDatabase(url: string): Promise<void> {
  const admin = new Client({ connectionString: SERVER });
  await admin.connect();
  // Without FORCE: a connection of the closed apps may still be going away; wait for it.
  for (let attempt = 0; attempt < 50; attempt++) {
    try {
      await admin.query(`DROP DATABASE IF EXISTS "${new URL(url).pathname.slice(1)}"`);
      break;
    } catch {
      await sleep(200);
    }
  }
  await admin.end();
}

async function waitUntil(db: Client, sql: string, timeoutMs = 600_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while ((await db.query<{ done: boolean }>(sql)).rows[0].done !== true) {
    if (Date.now() > deadline) throw new Error(`timed out: ${sql}`);
    await sleep(50);
  }
}

async function subscribe(db: Client, receiver: WebhookReceiver, name: string): Promise<void> {
  const secret = newEndpointSecret();
  await db.query(`INSERT INTO webhook_endpoints (id, url, secret) VALUES (gen_random_uuid(), $1, $2)`, [receiver.endpointUrl(name), secret]);
  receiver.setSecret(name, secret);
}

/** Events appended up front (as many customers as given, several events each), then the worker delivers them. */
async function deliveryThroughput(receiver: WebhookReceiver, events: number, concurrency: number): Promise<number> {
  const url = await freshDatabase('rate');
  const db = new Client({ connectionString: url });
  db.on('error', () => undefined);
  await db.connect();
  const source = new DataSource({ type: 'postgres', url });
  await source.initialize();
  let worker: INestApplicationContext | undefined;
  try {
    await subscribe(db, receiver, `rate${concurrency}`);
    const customers = Array.from({ length: Math.max(1, events / 5) }, () => crypto.randomUUID());
    for (let i = 0; i < events; i += 500) {
      const batch = Array.from({ length: Math.min(500, events - i) }, (_, k) => ({
        type: 'customer.updated' as const,
        customerId: customers[(i + k) % customers.length],
        data: { customer: { id: customers[(i + k) % customers.length], name: `Bench ${i + k}` } },
      }));
      await inTransaction(source, (sql) => WebhookEvents.append(sql, batch));
    }
    const started = Date.now();
    worker = await createWorkerApp(env(url, 'http://127.0.0.1:9/api/v1', { WEBHOOK_CONCURRENCY: String(concurrency) }));
    await waitUntil(db, `SELECT NOT EXISTS (SELECT 1 FROM webhook_deliveries WHERE status = 'pending') AS done`);
    return events / ((Date.now() - started) / 1000);
  } finally {
    await worker?.close();
    await source.destroy();
    await db.end();
    await dropDatabase(url);
  }
}

/** Seconds to sync `customers` pending creates (+1 update each), with or without an endpoint subscribed. */
async function syncSeconds(customers: number, receiver: WebhookReceiver | null): Promise<{ seconds: number; events: number }> {
  const sandbox = await startSandbox();
  const url = await freshDatabase(receiver ? 'hooks' : 'base');
  const db = new Client({ connectionString: url });
  db.on('error', () => undefined);
  await db.connect();
  let worker: INestApplicationContext | undefined;
  try {
    if (receiver) await subscribe(db, receiver, `sync${customers}`);
    await insertPendingCreates(db, 'bench', customers, 1);
    const started = Date.now();
    worker = await createWorkerApp(env(url, sandbox.baseUrl));
    await waitUntil(db, `SELECT NOT EXISTS (SELECT 1 FROM customer_operations WHERE status <> 'done') AS done`);
    const seconds = (Date.now() - started) / 1000;
    if (receiver) await waitUntil(db, `SELECT NOT EXISTS (SELECT 1 FROM webhook_deliveries WHERE status = 'pending') AS done`);
    const { rows } = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM webhook_events`);
    return { seconds, events: rows[0].n };
  } finally {
    await worker?.close();
    await db.end();
    await dropDatabase(url);
    await sandbox.close();
  }
}

export async function runWebhooksBench(): Promise<Record<string, number>> {
  const receiver = await startWebhookReceiver();
  try {
    const events = QUICK ? 1000 : 10_000;
    const customers = QUICK ? 200 : 2000;
    const result: Record<string, number> = {};
    for (const concurrency of [8, 32]) {
      result[`events_per_s_concurrency_${concurrency}`] = Math.round(await deliveryThroughput(receiver, events, concurrency));
    }
    const base = await syncSeconds(customers, null);
    const hooked = await syncSeconds(customers, receiver);
    result.sync_customers = customers;
    result.sync_baseline_s = +base.seconds.toFixed(2);
    result.sync_with_webhooks_s = +hooked.seconds.toFixed(2);
    result.events_written = hooked.events;
    result.added_ms_per_customer_sync = +(((hooked.seconds - base.seconds) * 1000) / customers).toFixed(3);
    result.unverified_requests = receiver.received.filter((r) => !r.verified).length;
    return result;
  } finally {
    await receiver.close();
  }
}

if (require.main === module) {
  runWebhooksBench().then(
    (result) => {
      console.log(JSON.stringify(result, null, 2));
      process.exit(0);
    },
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
