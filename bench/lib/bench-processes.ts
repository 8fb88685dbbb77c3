import { setTimeout as sleep } from 'node:timers/promises';
import { ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

/** dist/ root of the build this file runs from (dist/bench/lib -> dist). */
export const DIST_ROOT = join(__dirname, '..', '..');

export const SCRIPTS = {
  api: join(DIST_ROOT, 'apps', 'api', 'src', 'main.js'),
  worker: join(DIST_ROOT, 'apps', 'worker', 'src', 'main.js'),
  sandbox: join(DIST_ROOT, 'apps', 'celar-sandbox', 'src', 'main.js'),
  apiBaseline: join(DIST_ROOT, 'bench', 'baselines', 'api-baseline.js'),
  nestFloor: join(DIST_ROOT, 'bench', 'baselines', 'nest-floor.js'),
  syncBaseline: join(DIST_ROOT, 'bench', 'baselines', 'sync-baseline.js'),
};

const running = new Set<ChildHandle>();

/** A child Node process of the bench: its own CPU profile and event loop, killed at the end. */
export class ChildHandle {
  private readonly tail: string[] = [];
  readonly exited: Promise<number | null>;
  private exitCode: number | null | undefined;

  constructor(
    readonly name: string,
    private readonly child: ChildProcess,
  ) {
    const keep = (chunk: Buffer) => {
      this.tail.push(chunk.toString('utf8'));
      if (this.tail.length > 40) this.tail.shift();
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    this.exited = new Promise((resolve) => {
      child.on('exit', (code) => {
        this.exitCode = code;
        running.delete(this);
        resolve(code);
      });
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get alive(): boolean {
    return this.exitCode === undefined;
  }

  /** Last lines of its stdout/stderr, for error messages. */
  output(): string {
    return this.tail.join('').trim().split('\n').slice(-15).join('\n');
  }

  /** Waits until the child has printed `text` (e.g. "ready"). */
  async waitForOutput(text: string, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.tail.join('').includes(text)) {
      if (!this.alive) throw new Error(`${this.name} exited before printing "${text}":\n${this.output()}`);
      if (Date.now() > deadline) throw new Error(`${this.name} did not print "${text}" in ${timeoutMs} ms:\n${this.output()}`);
      await sleep(50);
    }
  }

  /** SIGTERM, then SIGKILL if it has not exited after `graceMs`. */
  async stop(graceMs = 10_000): Promise<void> {
    if (!this.alive) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }

  kill(): void {
    if (this.alive) this.child.kill('SIGKILL');
  }
}

export function startNode(name: string, script: string, env: Record<string, string>, nodeArgs: string[] = []): ChildHandle {
  const child = spawn(process.execPath, [...nodeArgs, script], {
    // Only what we pass, plus PATH: nothing from the caller's environment leaks into the settings.
    env: { PATH: process.env.PATH ?? '', NODE_ENV: 'production', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    // The repository root, so relative paths in settings mean the same as for npm scripts;
    // every setting is passed explicitly, so a developer's .env changes nothing here.
    cwd: join(DIST_ROOT, '..'),
  });
  const handle = new ChildHandle(name, child);
  running.add(handle);
  return handle;
}

/** Kills whatever is still running (bench failed half-way). */
export function killAllChildren(): void {
  for (const handle of running) handle.kill();
}

process.on('exit', killAllChildren);

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Waits until `url` answers with `okStatus` (any status if omitted), or fails with the child's output. */
export async function waitForHttp(url: string, handle: ChildHandle, timeoutMs = 60_000, okStatus?: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    if (!handle.alive) throw new Error(`${handle.name} exited before it was ready:\n${handle.output()}`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
      await res.arrayBuffer();
      if (okStatus === undefined || res.status === okStatus) return;
      last = `status ${res.status}`;
    } catch (error) {
      last = (error as Error).message;
    }
    await sleep(100);
  }
  throw new Error(`${handle.name} not ready at ${url} after ${timeoutMs} ms (${last}):\n${handle.output()}`);
}

export { sleep };

/** Machine-wide CPU counters (Linux /proc/stat); null elsewhere. */
export function cpuSnapshot(): { busy: number; total: number } | null {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0];
    const ticks = line.trim().split(/\s+/).slice(1).map(Number);
    const total = ticks.reduce((a, b) => a + b, 0);
    const idle = ticks[3] + (ticks[4] ?? 0);
    return { busy: total - idle, total };
  } catch {
    return null;
  }
}

/** Share of the machine's CPU time that was busy between two snapshots (0..1). */
export function busyBetween(a: ReturnType<typeof cpuSnapshot>, b: ReturnType<typeof cpuSnapshot>): number | null {
  if (!a || !b || b.total === a.total) return null;
  return (b.busy - a.busy) / (b.total - a.total);
}

/** CPU seconds (user + system) a process has used so far (Linux), or null. */
export function processCpuSeconds(pid: number | undefined): number | null {
  if (!pid) return null;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime are fields 14 and 15 of the whole line: 12 and 13 after the command name.
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return null;
  }
}
