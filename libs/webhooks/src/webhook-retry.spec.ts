import { retryDelayMs } from './webhook-retry';

describe('retryDelayMs', () => {
  it('follows the contract: first within 10 s, each at most double the one before, capped at 1 h, for at least 24 h', () => {
    const delays = Array.from({ length: 60 }, (_, i) => retryDelayMs(i + 1, 5000, 3_600_000));
    expect(delays[0]).toBeLessThanOrEqual(10_000);
    for (let i = 1; i < delays.length; i++) {
      expect(delays[i]).toBeLessThanOrEqual(2 * delays[i - 1]);
      expect(delays[i]).toBeGreaterThanOrEqual(delays[i - 1]);
    }
    expect(Math.max(...delays)).toBe(3_600_000);
    // 60 attempts span well over a day, so the 72 h window is not cut short by the schedule.
    expect(delays.reduce((a, b) => a + b, 0)).toBeGreaterThan(24 * 3_600_000);
  });
});
