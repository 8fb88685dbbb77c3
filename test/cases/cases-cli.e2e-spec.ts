// `npm run cli -- cases` and `case <id>` against the running API.
import { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { runCli } from '../../apps/cli/src/main';
import { Stack, startStack } from '../support/stack';
import { ADMIN_ACTOR, act, listCases, seedCustomers, startRun, waitForRun } from './cases-kit';

class Capture extends Writable {
  text = '';
  override _write(chunk: Buffer, _encoding: string, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

describe('CLI: cases and case (e2e)', () => {
  let stack: Stack;
  let env: Record<string, string>;

  beforeAll(async () => {
    stack = await startStack();
    await stack.api.listen(0, '127.0.0.1');
    const c = stack.config;
    env = {
      DATABASE_URL: c.databaseUrl,
      REDIS_URL: c.redisUrl,
      CELAR_BASE_URL: c.celar.baseUrl,
      CELAR_API_KEY: c.celar.apiKey,
      API_KEYS: c.appApiKeys.join(','),
      ADMIN_API_KEYS: c.adminApiKeys.join(','),
      QUEUE_PREFIX: c.queuePrefix,
      PORT: '0',
      WORKER_PORT: '0',
      SANDBOX_PORT: '0',
      BODY_LIMIT: '2mb',
      BALANCE_RECONCILE_EVERY: 'off',
      RECORD_RECONCILE_EVERY: 'off',
      API_URL: `http://127.0.0.1:${(stack.api.getHttpServer().address() as AddressInfo).port}`,
    };
    const customers = await seedCustomers(stack, 3);
    await stack.sandbox.control.updateBehindOurBack(customers[0].celarId, { name: 'Drift A' });
    await stack.sandbox.control.updateBehindOurBack(customers[1].celarId, { name: 'Drift B' });
    await waitForRun(stack, (await startRun(stack, 'records')).id);
  });

  afterAll(async () => {
    await stack?.close();
  });

  async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    const stdout = new Capture();
    const stderr = new Capture();
    const code = await runCli(args, { stdout, stderr, env });
    return { code, stdout: stdout.text, stderr: stderr.text };
  }

  it('cases lists the open and acknowledged cases, and filters like the API', async () => {
    // Both opened by one chunk at the same instant: tell them apart by what Celar holds.
    const listed = await listCases(stack);
    const first = listed.find((c) => c.actual === 'Drift A')!;
    const second = listed.find((c) => c.actual === 'Drift B')!;
    await act(stack, second.id, 'accept', { note: 'fine' });
    const open = await cli(['cases']);
    expect(open.code).toBe(0);
    expect(open.stdout).toContain(first.id);
    expect(open.stdout).not.toContain(second.id);
    expect(open.stdout).toContain('Customer 0 -> Drift A');
    const accepted = await cli(['cases', '--status', 'accepted', '--kind', 'field_drift']);
    expect(accepted.stdout).toContain(second.id);
    expect(accepted.stdout).toContain('1-1 of 1');
    const bad = await cli(['cases', '--status', 'closed']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/400 validation_failed/);
  });

  it('case shows one case with its timeline', async () => {
    const [c] = await listCases(stack, '?status=accepted');
    const out = await cli(['case', c.id]);
    expect(out.code).toBe(0);
    expect(out.stdout).toContain(`case      ${c.id}`);
    expect(out.stdout).toMatch(/timeline:\n.*opened\s+run:/);
    expect(out.stdout).toContain(`accepted     ${ADMIN_ACTOR}  "fine"`);
    const missing = await cli(['case', '00000000-0000-4000-8000-000000000000']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/404 not_found/);
  });
});
