import { ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import IORedis from 'ioredis';
import { startWebhookReceiver, WebhookReceiver } from '@app/testing';
import { Stack, startStack } from '../support/stack';
import { createCustomers, customerInput, updateCustomer, waitUntilSettled } from '../sync/sync-kit';
import { events, orderProblems, pendingDeliveries, subscribe, waitFor, WEBHOOK_TEST_ENV } from './webhook-kit';

jest.setTimeout(180_000);

const REDIS_SERVER = existsSync('/usr/bin/redis-server') ? '/usr/bin/redis-server' : 'redis-server';

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

// Redis is emptied while events wait to be delivered (and sync jobs wait in it): Postgres is the
// record, so every event still arrives. The Redis is this test's own, never the shared one.
describe('a Redis wipe loses no event', () => {
  let stack: Stack;
  let receiver: WebhookReceiver;
  let redis: ChildProcess;
  let redisUrl: string;

  beforeAll(async () => {
    const port = await freePort();
    redisUrl = `redis://127.0.0.1:${port}`;
    redis = spawn(REDIS_SERVER, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'pipe'] });
    await new Promise<void>((resolve, reject) => {
      let output = '';
      redis.stdout!.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('Ready to accept connections')) resolve();
      });
      redis.once('exit', (code) => reject(new Error(`redis-server exited (${code}): ${output}`)));
    });
    receiver = await startWebhookReceiver();
    stack = await startStack({
      env: { ...WEBHOOK_TEST_ENV, REDIS_URL: redisUrl, SYNC_RESWEEP_AFTER_MS: '1000', SYNC_CONCURRENCY: '2' },
      workers: 0,
      faults: [{ kind: 'latency', latencyMs: 50 }],
    });
  });

  afterAll(async () => {
    await stack?.close();
    await receiver?.close();
    redis?.kill('SIGKILL');
  });

  it('delivers every event, in order per customer, after FLUSHALL of its Redis mid-way', async () => {
    const endpoint = await subscribe(stack, receiver, 'wiped');
    receiver.setFaults({ status: 500, probability: 0.2 });
    const ids = await createCustomers(stack, Array.from({ length: 30 }, (_, i) => customerInput('wipe', i)));
    await stack.startWorker();
    await waitFor('some events delivered', () => receiver.accepted('wiped').length >= 5);
    for (const id of ids) await updateCustomer(stack, id, { name: 'Before Wipe' });

    const client = new IORedis(redisUrl);
    await client.flushall();
    client.disconnect();

    for (const id of ids) await updateCustomer(stack, id, { name: 'After Wipe' });
    await waitUntilSettled(stack.db, 150_000);
    await waitFor('every delivery made', async () => (await pendingDeliveries(stack.db, endpoint.id)) === 0, 150_000);

    const all = await events(stack.db);
    expect(all.filter((e) => e.type === 'customer.synced')).toHaveLength(30);
    expect(all.filter((e) => e.type === 'customer.updated').length).toBeGreaterThanOrEqual(30);
    expect(orderProblems(all, receiver.accepted('wiped'))).toEqual([]);
  });
});
