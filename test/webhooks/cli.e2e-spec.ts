import { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { startWebhookReceiver, WebhookReceiver } from '@app/testing';
import { runCli } from '../../apps/cli/src/main';
import { Stack, startStack } from '../support/stack';
import { createCustomers, customerInput } from '../sync/sync-kit';
import { pendingDeliveries, subscribe, waitFor, WEBHOOK_TEST_ENV } from './webhook-kit';

jest.setTimeout(120_000);

class Capture extends Writable {
  text = '';
  override _write(chunk: Buffer, _encoding: string, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

describe('CLI: webhooks list / deliveries', () => {
  let stack: Stack;
  let receiver: WebhookReceiver;
  let apiUrl: string;

  beforeAll(async () => {
    receiver = await startWebhookReceiver();
    stack = await startStack({ env: WEBHOOK_TEST_ENV });
    await stack.api.listen(0, '127.0.0.1');
    apiUrl = `http://127.0.0.1:${(stack.api.getHttpServer().address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await stack?.close();
    await receiver?.close();
  });

  async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    const stdout = new Capture();
    const stderr = new Capture();
    const { config } = stack;
    const env = {
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
    };
    const code = await runCli(args, { stdout, stderr, env });
    return { code, stdout: stdout.text, stderr: stderr.text };
  }

  it('lists endpoints and an endpoint\'s deliveries, newest first', async () => {
    expect((await cli(['webhooks', 'list'])).stdout).toBe('no webhook endpoints\n');
    const endpoint = await subscribe(stack, receiver, 'cli', ['customer.synced']);
    const [id] = await createCustomers(stack, [customerInput('cli', 0)]);
    await waitFor('the delivery', async () => receiver.accepted('cli').length === 1 && (await pendingDeliveries(stack.db)) === 0);

    const list = await cli(['webhooks', 'list']);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(new RegExp(`^id +enabled +types +url\\n${endpoint.id} +yes +customer.synced +${receiver.endpointUrl('cli')}\\n$`));
    expect(list.stdout).not.toContain('whsec_');

    const deliveries = await cli(['webhooks', 'deliveries', endpoint.id]);
    expect(deliveries.code).toBe(0);
    const lines = deliveries.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^event +type +status +attempts +last code +last attempt +next attempt$/);
    expect(lines[1]).toMatch(new RegExp(`^${receiver.accepted('cli')[0].webhookId} +customer.synced +delivered +1 +200 +\\S+Z +-$`));
    expect(lines[2]).toBe('1-1 of 1 (newest event first)');
    expect(receiver.accepted('cli')[0].customerId).toBe(id);

    const unknown = await cli(['webhooks', 'deliveries', '00000000-0000-4000-8000-000000000000']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('404 not_found');
  });
});
