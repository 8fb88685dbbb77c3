// The whole service on a Redis Cluster of three masters (REDIS_CLUSTER_NODES): the API, two
// workers and the sandbox, with creates, patches, deactivations and a balance run going through
// the cluster's queues, budget and refresh allowance; the queues' keys spread over the masters.
import request from 'supertest';
import type { App } from 'supertest/types';
import { RunningRedisCluster, SandboxRequestLogEntry, TEST_ADMIN_KEY, startRedisCluster, uniqueQueuePrefix } from '@app/testing';
import { workerPort } from '../../apps/worker/src/worker-app';
import { waitForRun } from '../reconciliation/reconciliation-kit';
import { Stack, startStack } from '../support/stack';
import { compareWithUpstream, createCustomers, customerInput, deactivateCustomer, duplicateEmails, mirror, updateCustomer, waitUntilSettled } from '../sync/sync-kit';

const ADMIN = { Authorization: `Bearer ${TEST_ADMIN_KEY}` };
const SYNC_QUEUE = 'customer-sync';
const RECONCILIATION_QUEUE = 'reconciliation';

describe('on a Redis Cluster (3 masters)', () => {
  let cluster: RunningRedisCluster;
  let stack: Stack;
  let prefix: string;
  let api: App;

  beforeAll(async () => {
    cluster = await startRedisCluster(3);
    // A prefix whose two queue tags hash to different masters (two of three do for a random one):
    // the test then shows the spreading, instead of the luck of one prefix.
    for (let i = 0; ; i++) {
      prefix = `${uniqueQueuePrefix()}${i}`;
      if ((await cluster.masterOf(`{${prefix}:${SYNC_QUEUE}}`)) !== (await cluster.masterOf(`{${prefix}:${RECONCILIATION_QUEUE}}`))) break;
    }
    stack = await startStack({
      env: { REDIS_CLUSTER_NODES: cluster.nodes, QUEUE_PREFIX: prefix, CELAR_REQUESTS_PER_SECOND: '500' },
      workers: 2, // two workers share the cluster's queues and budget
      // Retries (BullMQ's delayed set and backoff) and requests that act then fail, on the cluster too.
      faults: [
        { kind: 'latency', latencyMs: 10 },
        { kind: 'error', status: 503, probability: 0.1 },
        { kind: 'act_then_error', status: 502, probability: 0.05 },
      ],
    });
    api = stack.http;
  }, 120_000);

  afterAll(async () => {
    await stack?.close();
    await cluster?.close();
  });

  it('syncs creates (bulk and single), patches and deactivations exactly once and in order', async () => {
    const bulk = await createCustomers(stack, Array.from({ length: 30 }, (_, i) => customerInput('cluster', i)));
    const singles = await Promise.all(Array.from({ length: 10 }, async (_, i) => (await createCustomers(stack, [customerInput('cluster', 30 + i)]))[0]));
    const ids = [...bulk, ...singles];
    await Promise.all(
      ids.map(async (id, i) => {
        await updateCustomer(stack, id, { name: `First ${i}` });
        await updateCustomer(stack, id, { name: `Second ${i}`, address: `${i} Cluster Road` });
        if (i % 3 === 0) await deactivateCustomer(stack, id);
      }),
    );
    await waitUntilSettled(stack.db, 150_000);

    const rows = await mirror(stack.db);
    expect(rows).toHaveLength(ids.length);
    expect(rows.filter((r) => r.sync_status !== 'synced')).toEqual([]);
    const upstream = await stack.sandbox.control.customers();
    expect(upstream).toHaveLength(ids.length);
    expect(duplicateEmails(upstream)).toEqual([]);
    expect(compareWithUpstream(rows, upstream)).toEqual([]);

    // Per customer, what took effect upstream: one create, then the patches, then (for every third) one deactivation.
    const mutations = (await stack.sandbox.control.requestLog()).filter((e: SandboxRequestLogEntry) => e.method !== 'GET');
    for (const row of rows) {
      const i = Number(/cluster-(\d+)@/.exec(row.email)![1]);
      const acted = mutations.filter((e) => e.acted && e.customerIds.includes(row.celar_id!)).sort((a, b) => a.seq - b.seq);
      expect(acted.map((e) => e.method).join(' ')).toMatch(i % 3 === 0 ? /^POST (PATCH )+DELETE$/ : /^POST PATCH( PATCH)*$/);
      expect(row).toMatchObject({ name: `Second ${i}`, address: `${i} Cluster Road`, is_active: i % 3 !== 0 });
    }
  }, 200_000);

  it('runs a balance reconciliation, and a ?refresh=true, through the cluster', async () => {
    const rows = await mirror(stack.db);
    await stack.sandbox.control.clearFaults();
    for (const [i, row] of rows.slice(0, 5).entries()) await stack.sandbox.control.setBalance(row.celar_id!, `${i + 1}.25`);

    const started = await request(api).post('/api/v1/admin/reconciliations').set(ADMIN).send({ kind: 'balances' }).expect(202);
    const run = await waitForRun({ http: api }, started.body.id);
    expect(run.status).toBe('completed');
    expect(run.counts.errors).toBe(0);
    expect(run.progress.done).toBe(run.progress.total);
    expect(run.counts.customers_checked).toBe(rows.length);
    for (const [i, row] of rows.slice(0, 5).entries()) {
      const res = await request(api).get(`/api/v1/customers/${row.id}/balance`).set(ADMIN).expect(200);
      expect(res.body.balance).toBe(`${i + 1}.25`);
    }

    await stack.sandbox.control.setBalance(rows[0].celar_id!, '7.5');
    const refreshed = await request(api).get(`/api/v1/customers/${rows[0].id}/balance?refresh=true`).set(ADMIN).expect(200);
    expect(refreshed.body.balance).toBe('7.5');
  }, 120_000);

  it('keeps each queue under its own hash tag, so the queues sit on more than one master', async () => {
    const byMaster = await cluster.keysByMaster(`{${prefix}*`);
    const keys = [...byMaster.values()].flat();
    const syncKeys = keys.filter((k) => k.startsWith(`{${prefix}:${SYNC_QUEUE}}:`));
    const reconciliationKeys = keys.filter((k) => k.startsWith(`{${prefix}:${RECONCILIATION_QUEUE}}:`));
    expect(syncKeys.length).toBeGreaterThan(0);
    expect(reconciliationKeys.length).toBeGreaterThan(0);
    // Every key is a queue's or the deployment's own (the budget, the refresh allowance): nothing untagged.
    expect(keys.filter((k) => !k.startsWith(`{${prefix}:${SYNC_QUEUE}}:`) && !k.startsWith(`{${prefix}:${RECONCILIATION_QUEUE}}:`) && !k.startsWith(`{${prefix}}:`))).toEqual([]);
    expect(keys.some((k) => k.startsWith(`{${prefix}}:balance-refresh:`))).toBe(true);
    const mastersOf = (subset: string[]) => [...byMaster].filter(([, held]) => held.some((k) => subset.includes(k))).map(([port]) => port);
    // A queue's keys in one slot (BullMQ's scripts need it), the two queues on two masters.
    expect(mastersOf(syncKeys)).toHaveLength(1);
    expect(mastersOf(reconciliationKeys)).toHaveLength(1);
    expect(byMaster.size).toBeGreaterThan(1);
    expect(mastersOf(syncKeys)[0]).not.toBe(mastersOf(reconciliationKeys)[0]);
  });

  it('reports Redis up in health, metrics and the queue dashboard', async () => {
    const ready = await request(api).get('/health/ready').expect(200);
    expect(ready.body.details.redis).toEqual({ status: 'up' });
    // The worker is ready only while Redis answers: on a cluster, every master.
    const workerProbe = `http://127.0.0.1:${workerPort(stack.workers[0])}`;
    const workerReady = await request(workerProbe).get('/health/ready').expect(200);
    expect(workerReady.body.details.redis).toEqual({ status: 'up' });
    const metrics = await request(api).get('/metrics');
    expect(metrics.text.match(/^(dependency_up\{dependency="redis"\}|sync_queue_jobs\{.*) .*$/gm)).toContain('dependency_up{dependency="redis"} 1');
    const board = await request(api).get('/admin/queues/api/queues').set(ADMIN).expect(200);
    const counts = Object.fromEntries((board.body.queues as { name: string; counts: Record<string, number> }[]).map((q) => [q.name, q.counts]));
    expect(counts[SYNC_QUEUE].completed).toBeGreaterThan(0);
    expect(counts[RECONCILIATION_QUEUE].completed).toBeGreaterThan(0);
  });
});
