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

main().catch((error: unknown) => {
  console.error(error instanceof ConfigError ? error.message : `dev: ${(error as Error).message}`);
  process.exit(1);
});
