// Runs the built API and worker (`npm run build` first) as real processes, reading their logs.
import { ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TEST_APP_KEY, testSettings } from './test-config';

const DIST = join(__dirname, '..', '..', '..', 'dist', 'apps');
export const API_MAIN = join(DIST, 'api', 'src', 'main.js');
export const WORKER_MAIN = join(DIST, 'worker', 'src', 'main.js');

export function assertBuilt(): void {
  for (const main of [API_MAIN, WORKER_MAIN]) {
    if (!existsSync(main)) throw new Error(`${main} is missing: run \`npm run build\` first (\`npm test\` builds)`);
  }
}

/** A port that was free a moment ago (the API has no way to report an ephemeral one). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Every setting, for a process of this test's own: its database, queue prefix and sandbox. */
export function processEnv(databaseUrl: string, celarBaseUrl: string, overrides: Record<string, string> = {}): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    ...testSettings(databaseUrl, celarBaseUrl, { API_KEYS: TEST_APP_KEY, LOG_LEVEL: 'info', SHUTDOWN_TIMEOUT_MS: '20000', ...overrides }),
  };
}

export type LogLine = Record<string, unknown> & { msg?: string; level?: string };

export interface Spawned {
  child: ChildProcess;
  /** Everything written to stdout and stderr so far. */
  output(): string;
  /** stdout, one parsed JSON object per line; a line that is not JSON fails the parse. */
  lines(): LogLine[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves with the first log line that matches (already written or to come). */
  waitForLine(match: (line: LogLine) => boolean, timeoutMs?: number): Promise<LogLine>;
  kill(): void;
}

export function spawnProcess(main: string, env: Record<string, string>): Spawned {
  // A scratch working directory: the processes would read a .env file in their cwd.
  const child = spawn(process.execPath, [main], { env, cwd: tmpdir(), stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let output = '';
  const listeners = new Set<() => void>();
  child.stdout!.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    output += chunk.toString();
    for (const listener of listeners) listener();
  });
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const lines = (): LogLine[] =>
    stdout
      .split('\n')
      .slice(0, -1) // the part after the last newline is still being written
      .filter((line) => line.trim() !== '')
      .map((line) => {
        try {
          return JSON.parse(line) as LogLine;
        } catch {
          throw new Error(`not a JSON log line: ${line}`);
        }
      });
  return {
    child,
    output: () => output,
    lines,
    exited,
    kill: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
    waitForLine: (match, timeoutMs = 30_000) =>
      new Promise<LogLine>((resolve, reject) => {
        const check = () => {
          const found = lines().find(match);
          if (found) {
            done();
            resolve(found);
          }
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`no matching log line within ${timeoutMs} ms; output:\n${output.slice(-4000)}`));
        }, timeoutMs);
        const onExit = () => {
          done();
          reject(new Error(`process exited before the expected log line; output:\n${output.slice(-4000)}`));
        };
        const done = () => {
          clearTimeout(timer);
          listeners.delete(check);
          child.off('exit', onExit);
        };
        listeners.add(check);
        child.once('exit', onExit);
        check();
      }),
  };
}
