// `npm run dev`: everything a newcomer needs, in one terminal: .env from .env.example,
// the database created and migrated, then the sandbox, the API and the worker.
import { ChildProcess, spawn } from 'node:child_process';
import { copyFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, loadConfig } from '@app/config';
import { runMigrations } from '@app/database';

const ROOT = join(__dirname, '..', '..', '..', '..');
const DIST = join(ROOT, 'dist');

const PROCESSES = [
  { name: 'sandbox', script: 'apps/celar-sandbox/src/main.js', color: 35 },
  { name: 'api', script: 'apps/api/src/main.js', color: 36 },
  { name: 'worker', script: 'apps/worker/src/main.js', color: 33 },
];

function prefixLines(name: string, color: number, stream: NodeJS.ReadableStream, out: NodeJS.WriteStream): void {
  let rest = '';
  stream.on('data', (chunk: Buffer) => {
    const lines = (rest + chunk.toString()).split('\n');
    rest = lines.pop() ?? '';
    for (const line of lines) out.write(`\x1b[${color}m${name.padEnd(7)}\x1b[0m| ${line}\n`);
  });
}

async function main(): Promise<void> {
  process.chdir(ROOT);
  if (!existsSync('.env')) {
    copyFileSync('.env.example', '.env');
    console.log('created .env from .env.example');
  }
  const config = loadConfig();
  const applied = await runMigrations(config.databaseUrl);
  console.log(applied.length ? `migrations applied: ${applied.join(', ')}` : 'database is up to date');

  const children: ChildProcess[] = [];
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    for (const child of children) child.kill(signal);
  };
  process.on('SIGINT', () => stop('SIGTERM'));
  process.on('SIGTERM', () => stop('SIGTERM'));

  for (const { name, script, color } of PROCESSES) {
    const child = spawn(process.execPath, [join(DIST, script)], { stdio: ['ignore', 'pipe', 'pipe'], env: process.env });
    prefixLines(name, color, child.stdout!, process.stdout);
    prefixLines(name, color, child.stderr!, process.stderr);
    child.on('exit', (code, signal) => {
      console.log(`${name} exited (${signal ?? code})`);
      if (!stopping) stop('SIGTERM');
      if (children.every((c) => c.exitCode !== null || c.signalCode !== null)) process.exit(stopping && code === 0 ? 0 : 1);
    });
    children.push(child);
  }
  void startDevReceiver(config.port, config.adminApiKeys[0]).catch((error: unknown) =>
    console.log(`webhook receiver not started: ${(error as Error).message}`),
  );
  console.log(
    [
      '',
      `customer-sync is starting: API http://localhost:${config.port}/api/v1 (docs /docs), worker :${config.workerPort}, Celar sandbox http://localhost:${config.sandboxPort}/api/v1`,
      `try: curl -s -X POST http://localhost:${config.port}/api/v1/customers -H "Authorization: Bearer $APP_KEY" -H 'Content-Type: application/json' -d '{"type":"individual","name":"Alice Wanjiku","email":"alice99@example.com","country":"KEN","document_type":"passport"}'`,
      '(APP_KEY: one of API_KEYS in .env)  Ctrl-C stops everything.',
      '',
    ].join('\n'),
  );
}

/** Where `npm run dev`'s own PSP app listens for webhooks, so deliveries show in this terminal. */
const DEV_RECEIVER_PORT = Number(process.env.DEV_WEBHOOK_RECEIVER_PORT ?? 4020);

/**
 * Once the API answers: the test receiver (libs/testing, loaded at run time: it is no part of the
 * production build) on DEV_RECEIVER_PORT, subscribed to every event type, printing each
 * delivery and whether its signature verified.
 */
async function startDevReceiver(apiPort: number, adminKey: string): Promise<void> {
  const api = `http://localhost:${apiPort}`;
  for (let tries = 0; ; tries++) {
    const ready = await fetch(`${api}/health/ready`).then((r) => r.ok, () => false);
    if (ready) break;
    if (tries > 120) throw new Error('the API did not come up');
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  const receiverModule = join(DIST, 'libs', 'testing', 'src', 'webhook-receiver.js');
  if (!existsSync(receiverModule)) return;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { startWebhookReceiver } = require(receiverModule) as typeof import('../../../libs/testing/src/webhook-receiver');
  const receiver = await startWebhookReceiver({
    port: DEV_RECEIVER_PORT,
    log: (line) => process.stdout.write(`\x1b[32m${'webhook'.padEnd(7)}\x1b[0m| ${line}\n`),
  });
  const headers = { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' };
  const url = receiver.endpointUrl('dev');
  // A secret is shown once: an endpoint left by an earlier `npm run dev` is replaced.
  const { endpoints } = (await (await fetch(`${api}/api/v1/admin/webhook-endpoints`, { headers })).json()) as { endpoints: { id: string; url: string }[] };
  for (const old of endpoints.filter((e) => e.url === url)) {
    await fetch(`${api}/api/v1/admin/webhook-endpoints/${old.id}`, { method: 'DELETE', headers });
  }
  const created = await fetch(`${api}/api/v1/admin/webhook-endpoints`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ url, description: 'npm run dev: prints deliveries in this terminal' }),
  });
  const { secret } = (await created.json()) as { secret: string };
  receiver.setSecret('dev', secret);
  console.log(`webhooks: every event is delivered to ${url} and printed here`);
}

main().catch((error: unknown) => {
  console.error(error instanceof ConfigError ? error.message : `dev: ${(error as Error).message}`);
  process.exit(1);
});
