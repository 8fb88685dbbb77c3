import { randomBytes } from 'node:crypto';
import IORedis, { Redis } from 'ioredis';
import { BudgetPurpose, CelarRequestBudget } from './celar-request.budget';

// Real Redis: the budget is shared by processes through it. Keys live under a unique prefix.
describe('CelarRequestBudget', () => {
  const prefix = `{cs-test-budget-${randomBytes(4).toString('hex')}}`;
  let a: Redis;
  let b: Redis;

  beforeAll(() => {
    a = new IORedis('redis://127.0.0.1:6379');
    b = new IORedis('redis://127.0.0.1:6379');
  });

  afterAll(async () => {
    const keys = await a.keys(`${prefix}*`);
    if (keys.length) await a.del(...keys);
    await a.quit();
    await b.quit();
  });

  it('hands out no more than the budget in any one-second window, across connections, and never early', async () => {
    const rate = 5;
    const first = new CelarRequestBudget(a, rate, `${prefix}:w`);
    const second = new CelarRequestBudget(b, rate, `${prefix}:w`);
    const slots: number[] = [];
    const take = async (budget: CelarRequestBudget) => {
      const slot = await budget.take();
      const [seconds, micros] = await a.time();
      // Redis' clock, the one the slots are on: a caller is released at its slot, not before.
      expect(Number(seconds) * 1000 + Number(micros) / 1000).toBeGreaterThanOrEqual(slot! - 1);
      slots.push(slot!);
    };
    await Promise.all(Array.from({ length: 14 }, (_, i) => take(i % 2 ? first : second)));
    slots.sort((x, y) => x - y);
    expect(slots).toHaveLength(14);
    for (let i = 0; i + rate < slots.length; i++) {
      // The (rate+1)-th slot after any slot is at least a full second later.
      expect(slots[i + rate] - slots[i]).toBeGreaterThanOrEqual(999.99);
    }
  });

  it('spaces requests evenly instead of letting a burst through', async () => {
    const budget = new CelarRequestBudget(a, 20, `${prefix}:s`);
    const slots = (await Promise.all(Array.from({ length: 8 }, () => budget.take()))).map(Number).sort((x, y) => x - y);
    const gaps = slots.slice(1).map((t, i) => t - slots[i]);
    // 20 per second: one slot every 50 ms, none closer.
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(49.99);
  });

  it('holds everyone back after a pause (a 429 with Retry-After)', async () => {
    const first = new CelarRequestBudget(a, 100, `${prefix}:p`);
    const second = new CelarRequestBudget(b, 100, `${prefix}:p`);
    const paused = Date.now();
    await first.pause(600);
    await second.take();
    expect(Date.now() - paused).toBeGreaterThanOrEqual(550);
  });

  it('lets requests through when Redis cannot be reached, rather than stalling', async () => {
    const down = new IORedis('redis://127.0.0.1:1', { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0 });
    down.on('error', () => undefined);
    const budget = new CelarRequestBudget(down, 1, `${prefix}:d`);
    await budget.take();
    await budget.take();
    down.disconnect();
  });

  describe('reconciliation share (RECONCILE_BUDGET_SHARE)', () => {
    const RATE = 20;
    const SHARE = 0.5;

    /** Callers of each purpose asking for slots in a loop until `untilMs` (Redis clock); the slots each got. */
    async function contend(budget: CelarRequestBudget, callers: Partial<Record<BudgetPurpose, number>>, untilMs: number) {
      const slots: Record<BudgetPurpose, number[]> = { sync: [], reconcile: [], refresh: [] };
      const loop = async (purpose: BudgetPurpose) => {
        for (;;) {
          const slot = await budget.take(purpose);
          if (slot === null || slot > untilMs) return;
          slots[purpose].push(slot);
        }
      };
      const loops = Object.entries(callers).flatMap(([purpose, n]) => Array.from({ length: n }, () => loop(purpose as BudgetPurpose)));
      await Promise.all(loops);
      return slots;
    }

    const redisNow = async () => {
      const [seconds, micros] = await a.time();
      return Number(seconds) * 1000 + Number(micros) / 1000;
    };
    const within = (slots: number[], from: number, to: number) => slots.filter((t) => t >= from && t < to).length;

    it('gives reconciliation at most its share while sync work waits, and sync the rest', async () => {
      const budget = new CelarRequestBudget(a, RATE, `${prefix}:share`, SHARE);
      const peer = new CelarRequestBudget(b, RATE, `${prefix}:share`, SHARE);
      const start = await redisNow();
      // Many reconciliation callers (a balance run's fetches) against a few sync drains, in two processes.
      const [mine, theirs] = await Promise.all([
        contend(budget, { sync: 4, reconcile: 48 }, start + 5000),
        contend(peer, { sync: 4, reconcile: 48 }, start + 5000),
      ]);
      // A window of 3 s once both sides are asking (slot times are on Redis' clock).
      const [from, to] = [start + 1500, start + 4500];
      const reconcile = within([...mine.reconcile, ...theirs.reconcile], from, to);
      const sync = within([...mine.sync, ...theirs.sync], from, to);
      expect(reconcile + sync).toBeLessThanOrEqual(RATE * 3 + 1);
      // At most half, give or take the one slot a window edge can cut.
      expect(reconcile).toBeLessThanOrEqual(RATE * 3 * SHARE + 1);
      expect(sync).toBeGreaterThanOrEqual(RATE * 3 * (1 - SHARE) - 1);
    });

    it('gives reconciliation the whole budget when no sync work waits', async () => {
      const budget = new CelarRequestBudget(a, RATE, `${prefix}:alone`, SHARE);
      const start = await redisNow();
      const slots = await contend(budget, { reconcile: 48 }, start + 3500);
      // Every slot of a 2 s window went to reconciliation (none was held back for an absent sync).
      expect(within(slots.reconcile, start + 1000, start + 3000)).toBeGreaterThanOrEqual(RATE * 2 - 1);
    });

    it('tells listeners the purpose of every slot handed out', async () => {
      const budget = new CelarRequestBudget(a, 1000, `${prefix}:count`, SHARE);
      const seen: BudgetPurpose[] = [];
      budget.onSlot((purpose) => seen.push(purpose));
      await Promise.all([budget.take('sync'), budget.take('reconcile'), budget.take('refresh'), budget.take()]);
      expect(seen.sort()).toEqual(['reconcile', 'refresh', 'sync', 'sync']);
    });
  });
});
