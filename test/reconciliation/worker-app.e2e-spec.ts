// The real worker application (createWorkerApp) runs reconciliation and reports it in /metrics.
import { workerPort } from '../../apps/worker/src/worker-app';
import { Stack, startStack } from '../support/stack';
import { seedCustomers, startRun, waitForRun } from './reconciliation-kit';

describe('reconciliation in the worker application (e2e)', () => {
  let stack: Stack;

  beforeAll(async () => {
    // The whole worker app (the stack's default), not only its reconciliation side.
    stack = await startStack();
  });

  afterAll(async () => {
    await stack?.close();
  });

  it('takes runs started through the API, and counts them in /metrics', async () => {
    const customers = await seedCustomers(stack, 5);
    await stack.sandbox.control.setBalance(customers[0].celarId, '1.5');
    const balances = await waitForRun(stack, (await startRun(stack, 'balances')).id);
    const records = await waitForRun(stack, (await startRun(stack, 'records')).id);
    expect([balances.status, records.status]).toEqual(['completed', 'completed']);

    const port = workerPort(stack.workers[0]);
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    expect(metrics).toMatch(/^reconciliation_runs_finished_total\{kind="balances",status="completed"\} 1$/m);
    expect(metrics).toMatch(/^reconciliation_runs_finished_total\{kind="records",status="completed"\} 1$/m);
    expect(metrics).toMatch(/^reconciliation_run_duration_seconds_count\{kind="balances"\} 1$/m);
  });
});
