// Sync latency during a long balance run, against the real Redis budget (CelarRequestBudget):
// a run's 96 fetchers per worker process (6 chunks x 16) keep asking for slots while 16 sync
// drains each send one change at a time. Measured twice: reconciliation capped at
// RECONCILE_BUDGET_SHARE (0.5), and uncapped (share 1: first come, first served, as before).
// `npm run build && node dist/bench/budget-share.bench.js` (BENCH_QUICK=1: a few seconds each).
import { setTimeout as sleep } from 'node:timers/promises';
import { randomBytes } from 'node:crypto';
import IORedis from 'ioredis';
import { BudgetPurpose, CelarRequestBudget } from '@app/celar-client';

const RATE = 20;
const RECONCILE_FETCHERS = 96;
const SYNC_DRAINS = 16;
/** What one Celar call takes once its slot has come. */
const CALL_MS = 50;
/** A drain's pause between two changes of its customer (a steady trickle of sync work). */
const SYNC_THINK_MS = 500;


async function measure(share: number, seconds: number): Promise<{ share: number; p50: number; p95: number; max: number; syncSlots: number; reconcileSlots: number }> {
  const redis = new IORedis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  const prefix = `{bench-budget-${randomBytes(4).toString('hex')}}`;
  const budget = new CelarRequestBudget(redis, RATE, prefix, share);
  const counts: Record<BudgetPurpose, number> = { sync: 0, reconcile: 0, refresh: 0 };
  budget.onSlot((purpose) => counts[purpose]++);
  const until = Date.now() + seconds * 1000;
  const syncWaits: number[] = [];
  const reconcile = async () => {
    while (Date.now() < until) {
      await budget.take('reconcile');
      await sleep(CALL_MS);
    }
  };
  const sync = async () => {
    while (Date.now() < until) {
      const asked = performance.now();
      await budget.take('sync');
      await sleep(CALL_MS);
      syncWaits.push(performance.now() - asked);
      await sleep(SYNC_THINK_MS);
    }
  };
  await Promise.all([...Array.from({ length: RECONCILE_FETCHERS }, reconcile), ...Array.from({ length: SYNC_DRAINS }, sync)]);
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length) await redis.del(...keys);
  redis.disconnect();
  syncWaits.sort((a, b) => a - b);
  const at = (q: number) => Math.round(syncWaits[Math.min(syncWaits.length - 1, Math.floor(q * syncWaits.length))] ?? 0);
  return { share, p50: at(0.5), p95: at(0.95), max: at(1), syncSlots: counts.sync, reconcileSlots: counts.reconcile };
}

async function main(): Promise<void> {
  const quick = process.env.BENCH_QUICK === '1' || process.env.BENCH_QUICK === 'true';
  const seconds = quick ? 5 : 30;
  console.log(`Celar budget ${RATE}/s, ${RECONCILE_FETCHERS} reconciliation fetchers, ${SYNC_DRAINS} sync drains, ${seconds} s each`);
  console.log('| reconciliation share | sync latency p50 (ms) | p95 | max | sync slots | reconciliation slots |');
  console.log('| --- | --- | --- | --- | --- | --- |');
  for (const share of [1, 0.5]) {
    const r = await measure(share, seconds);
    const label = share === 1 ? '1 (uncapped)' : `${share} (RECONCILE_BUDGET_SHARE default)`;
    console.log(`| ${label} | ${r.p50} | ${r.p95} | ${r.max} | ${r.syncSlots} | ${r.reconcileSlots} |`);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
