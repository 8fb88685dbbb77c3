// The operators' CLI against the running API (over HTTP), the worker and the sandbox.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { AppConfig } from '@app/config';
import { runCli } from '../../apps/cli/src/main';
import { insertMirror, Seeded, seedCustomers, waitForRun } from '../reconciliation/reconciliation-kit';
import { Stack, startStack } from '../support/stack';

class Capture extends Writable {
  text = '';
  override _write(chunk: Buffer, _encoding: string, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

function cliEnv(config: AppConfig, apiUrl: string, overrides: Record<string, string> = {}): Record<string, string> {
  return {
    DATABASE_URL: config.databaseUrl,
    REDIS_URL: config.redisUrl,
    QUEUE_PREFIX: config.queuePrefix,
    PORT: '0',
    WORKER_PORT: '0',
    SANDBOX_PORT: '0',
    CELAR_BASE_URL: config.celar.baseUrl,
    CELAR_API_KEY: config.celar.apiKey,
    API_KEYS: config.appApiKeys.join(','),
    ADMIN_API_KEYS: config.adminApiKeys.join(','),
    BODY_LIMIT: '2mb',
    BALANCE_RECONCILE_EVERY: 'off',
    RECORD_RECONCILE_EVERY: 'off',
    API_URL: apiUrl,
    ...overrides,
  };
}

describe('operators CLI (e2e)', () => {
  let stack: Stack;
  let apiUrl: string;
  let customers: Seeded[];

  beforeAll(async () => {
    stack = await startStack({ workerRuns: 'reconciliation' });
    await stack.api.listen(0, '127.0.0.1');
    apiUrl = `http://127.0.0.1:${(stack.api.getHttpServer().address() as AddressInfo).port}`;
    customers = await seedCustomers(stack, 12);
  });

  afterAll(async () => {
    await stack?.close();
  });

  afterEach(async () => {
    await stack.sandbox.control.clearFaults();
  });

  async function cli(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
    const stdout = new Capture();
    const stderr = new Capture();
    const code = await runCli([...args], { stdout, stderr, env: cliEnv(stack.config, apiUrl, env) });
    return { code, stdout: stdout.text, stderr: stderr.text };
  }

  const runIdOf = (output: string) => /Run ([0-9a-f-]{36})/.exec(output)![1];

  it('reconcile starts a run, follows it to its end, prints the summary and exits 0 when completed', async () => {
    await stack.sandbox.control.setBalance(customers[0].celarId, '123456789012.123456');
    const { code, stdout, stderr } = await cli(['reconcile', 'balances', '--interval', '50']);
    expect(code).toBe(0);
    expect(stderr).toMatch(/^started balances run [0-9a-f-]{36}/);
    expect(stdout).toContain('balances, manual, COMPLETED');
    expect(stdout).toContain('progress   12/12 customers');
    expect(stdout).toContain('checked 12, balances changed 0, findings 0, errors 0');
    expect(stdout).toContain('totals     123456789012.123456 USDC');
  });

  it('exits 2 when the run is partial, and report names the customers it could not check', async () => {
    await stack.sandbox.control.setBalance(customers[1].celarId, '5.5');
    await stack.sandbox.control.addFault({ kind: 'error', status: 500, path: `/customers/${customers[2].celarId}/balance` });
    const run = await cli(['reconcile', 'balances', '--interval', '50']);
    expect(run.code).toBe(2);
    expect(run.stdout).toContain('PARTIAL');
    expect(run.stdout).toContain('1 customer(s) could not be checked');

    const report = await cli(['report', runIdOf(run.stdout)]);
    expect(report.code).toBe(0);
    expect(report.stdout).toContain('Findings (2):');
    const lines = report.stdout.split('\n');
    expect(lines.find((l) => l.startsWith('balance_fetch_failed'))).toContain(customers[2].id);
    expect(lines.find((l) => l.startsWith('balance_changed'))).toMatch(new RegExp(`${customers[1].id}.*0\\.00 +5\\.5 +5\\.50`));
  });

  it('exits 1 when the run failed', async () => {
    await stack.sandbox.control.addFault({ kind: 'error', status: 503, method: 'GET', path: '/customers' });
    const { code, stdout } = await cli(['reconcile', 'records', '--interval', '50']);
    expect(code).toBe(1);
    expect(stdout).toContain('records, manual, FAILED');
    expect(stdout).toContain("Celar's customer list could not be read");
  });

  it('export writes the findings as CSV, to a file or to standard output', async () => {
    const run = await cli(['reconcile', 'balances', '--interval', '50']);
    await stack.sandbox.control.setBalance(customers[3].celarId, '0.000001');
    await stack.sandbox.control.setBalance(customers[4].celarId, '-1');
    const changed = await cli(['reconcile', 'balances', '--interval', '50']);
    expect(run.code).toBe(0);
    const id = runIdOf(changed.stdout);

    const out = join(mkdtempSync(join(tmpdir(), 'recon-cli-')), 'findings.csv');
    const toFile = await cli(['export', id, '--out', out]);
    expect(toFile.code).toBe(0);
    expect(toFile.stderr).toContain(out);
    const lines = readFileSync(out, 'utf8').trim().split('\r\n');
    expect(lines[0]).toBe('id,run_id,kind,customer_id,celar_id,field,expected,actual,delta,message,created_at');
    expect(lines).toHaveLength(3);
    expect(lines.slice(1).every((l) => l.includes(`,${id},balance_changed,`))).toBe(true);
    expect(lines.some((l) => l.includes(',0.00,-1,-1.00,'))).toBe(true);

    const toStdout = await cli(['export', id]);
    expect(toStdout.stdout).toBe(readFileSync(out, 'utf8'));
  });

  it('with --no-follow returns at once; a second reconcile while one is active follows that run instead', async () => {
    await stack.sandbox.control.addFault({ kind: 'latency', latencyMs: 300, path: '/customers/*/balance' });
    const queued = await cli(['reconcile', 'balances', '--no-follow']);
    expect(queued.code).toBe(0);
    const id = runIdOf(queued.stdout);
    expect(queued.stdout).toMatch(/QUEUED|RUNNING/);

    const refused = await cli(['reconcile', 'balances', '--no-follow']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe(`error: a balances run is already ${/queued|running/.exec(refused.stderr)![0]}: ${id}\n`);

    const followed = await cli(['reconcile', 'balances', '--interval', '50']);
    expect(followed.stderr).toContain(`following it`);
    expect(runIdOf(followed.stdout)).toBe(id);
    expect(followed.code).toBe(0);
  });

  it('resync re-queues a failed customer, and says clearly when there is nothing to re-sync', async () => {
    const failed = { id: randomUUID(), celarId: null, email: `failed.${randomUUID()}@example.com` };
    await insertMirror(stack.db, [failed]);
    await stack.db.query(
      `UPDATE customers SET sync_status = 'failed', last_op_seq = 1, sync_error = '{"code":"rejected","message":"no","at":"2025-01-01T00:00:00Z"}' WHERE id = $1`,
      [failed.id],
    );
    await stack.db.query(
      `INSERT INTO customer_operations (customer_id, seq, kind, payload, idempotency_key, status)
       VALUES ($1, 1, 'create', '{}', $2, 'failed')`,
      [failed.id, randomUUID()],
    );
    const ok = await cli(['resync', failed.id]);
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain(`customer ${failed.id} is pending`);

    const notFailed = await cli(['resync', customers[0].id]);
    expect(notFailed.code).toBe(1);
    expect(notFailed.stderr).toMatch(/^error: the API answered 409 not_failed: .+\n$/);
  });

  it('prints one clear line for every error', async () => {
    const unknown = await cli(['report', randomUUID()]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/^error: the API answered 404 not_found: No reconciliation run [0-9a-f-]+\n$/);

    const closedPort = await new Promise<number>((resolve) => {
      const server = createServer().listen(0, '127.0.0.1', () => {
        const { port } = server.address() as AddressInfo;
        server.close(() => resolve(port));
      });
    });
    const down = await cli(['report', randomUUID()], { API_URL: `http://127.0.0.1:${closedPort}` });
    expect(down.code).toBe(1);
    expect(down.stderr).toBe(`error: cannot reach the API at http://127.0.0.1:${closedPort} (ECONNREFUSED); is it running? (set API_URL)\n`);

    const wrongKey = await cli(['report', randomUUID()], { ADMIN_API_KEYS: 'not_the_admin_key' });
    expect(wrongKey.stderr).toMatch(/^error: the API answered 401 unauthorized: .*\(check ADMIN_API_KEYS\)\n$/);

    const badKind = await cli(['reconcile', 'everything']);
    expect(badKind.code).toBe(1);
    expect(badKind.stderr).toContain("'everything' is invalid for argument 'kind'. Allowed choices are balances, records");

    const badConfig = await cli(['report', randomUUID()], { ADMIN_API_KEYS: '' });
    expect(badConfig.stderr).toBe('error: invalid configuration: ADMIN_API_KEYS is missing\n');
  });

  it('waits for every run it started to end before the next test file (no run left active)', async () => {
    const { rows } = await stack.db.query(`SELECT id FROM reconciliation_runs WHERE status IN ('queued', 'running')`);
    for (const row of rows) await waitForRun(stack, row.id);
  });
});
