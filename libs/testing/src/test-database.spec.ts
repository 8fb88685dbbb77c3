import { belongsToRun, newRunName, runStartedAt } from './test-database';

describe('test database names', () => {
  const started = Date.UTC(2026, 10, 24, 12, 0, 0);
  const run = newRunName(started);

  it('reads the start of a run from its template and its clones', () => {
    expect(runStartedAt(`${run}_tpl`)).toBe(started);
    expect(runStartedAt(`${run}_0a1b2c3d`)).toBe(started);
  });

  it('claims no other cs_test_ name, even one whose first characters parse as base 36', () => {
    for (const other of ['cs_test_bench_scale', 'cs_test_zzzzzzzz', `${run}`, `${run}_tpl_copy`, `${run}_0a1b2c3d_x`, 'cs_test_mbq2k1x0abcd_TPL']) {
      expect(runStartedAt(other)).toBeNull();
    }
  });

  it("drops at a run's end only that run's databases", () => {
    const another = newRunName(started + 1);
    expect(belongsToRun(`${run}_tpl`, run)).toBe(true);
    expect(belongsToRun(`${run}_0a1b2c3d`, run)).toBe(true);
    expect(belongsToRun(`${another}_tpl`, run)).toBe(false);
    expect(belongsToRun(`${run}_0a1b2c3d9`, run)).toBe(false);
    expect(belongsToRun('cs_test_bench', run)).toBe(false);
  });
});
