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

  it('lets no more than the budget through in any one-second window, across connections', async () => {
    const rate = 5;
    const first = new CelarRequestBudget(a, rate, `${prefix}:w`);
    const second = new CelarRequestBudget(b, rate, `${prefix}:w`);
    const granted: number[] = [];
    const take = async (budget: CelarRequestBudget) => {
      await budget.take();
      granted.push(Date.now());
    };
    await Promise.all(Array.from({ length: 14 }, (_, i) => take(i % 2 ? first : second)));
    granted.sort((x, y) => x - y);
    expect(granted).toHaveLength(14);
    for (let i = 0; i + rate < granted.length; i++) {
      // The (rate+1)-th grant after any grant comes at least a window later (a few ms of clock slack).
      expect(granted[i + rate] - granted[i]).toBeGreaterThanOrEqual(990);
    }
  });

  it('spaces requests evenly instead of letting a burst through', async () => {
    const budget = new CelarRequestBudget(a, 20, `${prefix}:s`);
    const granted: number[] = [];
    await Promise.all(Array.from({ length: 8 }, () => budget.take().then(() => granted.push(performance.now()))));
    granted.sort((x, y) => x - y);
    const gaps = granted.slice(1).map((t, i) => t - granted[i]);
    // 20 per second: one slot every 50 ms (a few ms of timer slack).
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(40);
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
