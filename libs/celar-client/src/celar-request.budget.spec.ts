import { randomBytes } from 'node:crypto';
import IORedis, { Redis } from 'ioredis';
import { CelarRequestBudget } from './celar-request.budget';

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
});
