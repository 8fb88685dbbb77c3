import { ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import IORedis from 'ioredis';

const run = promisify(execFile);

/** A Redis Cluster of our own, on free ports, for a test or a benchmark. */
export interface RunningRedisCluster {
  /** REDIS_CLUSTER_NODES for it: `127.0.0.1:port,...`. */
  nodes: string;
  ports: number[];
  /** Port of the master that serves `key`'s slot. */
  masterOf(key: string): Promise<number>;
  /** Keys matching `pattern`, by the port of the master holding them. */
  keysByMaster(pattern: string): Promise<Map<number, string[]>>;
  /** Stops every server it started and removes their files. */
  close(): Promise<void>;
}

/**
 * Starts `masters` redis-server processes in cluster mode (no replicas, nothing on disk that
 * outlives close) and joins them with `redis-cli --cluster create`; resolves once every node
 * says the cluster is ok. Needs redis-server and redis-cli (7+) on the PATH.
 */
export async function startRedisCluster(masters = 3): Promise<RunningRedisCluster> {
  const dir = await mkdtemp(join(tmpdir(), 'cs-redis-cluster-'));
  const children: ChildProcess[] = [];
  const ports: number[] = [];
  const close = async () => {
    await Promise.all(children.map((child) => stop(child)));
    await rm(dir, { recursive: true, force: true });
  };
  try {
    for (let i = 0; i < masters; i++) {
      const port = await freeClusterPort(ports);
      ports.push(port);
      children.push(
        spawn(
          'redis-server',
          [
            '--port', String(port),
            '--bind', '127.0.0.1',
            '--cluster-enabled', 'yes',
            '--cluster-config-file', join(dir, `nodes-${port}.conf`),
            '--cluster-node-timeout', '5000',
            '--dir', dir,
            '--save', '',
            '--appendonly', 'no',
            '--logfile', join(dir, `${port}.log`),
          ],
          { stdio: 'ignore' },
        ),
      );
    }
    await Promise.all(ports.map((port) => untilAnswers(port, 'PING', (reply) => reply === 'PONG')));
    await run('redis-cli', ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '0', '--cluster-yes'], {
      timeout: 30_000,
    });
    await Promise.all(ports.map((port) => untilAnswers(port, 'CLUSTER INFO', (reply) => /cluster_state:ok/.test(reply))));
  } catch (error) {
    await close();
    throw error;
  }

  const masterOf = async (key: string): Promise<number> => {
    const slot = Number(await command(ports[0], 'CLUSTER', 'KEYSLOT', key));
    const shards = (await command(ports[0], 'CLUSTER', 'SLOTS')) as [number, number, [string, number]][];
    const shard = shards.find(([from, to]) => slot >= from && slot <= to);
    if (!shard) throw new Error(`no master serves slot ${slot}`);
    return shard[2][1];
  };
  const keysByMaster = async (pattern: string): Promise<Map<number, string[]>> => {
    const found = new Map<number, string[]>();
    for (const port of ports) {
      const redis = new IORedis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 1 });
      try {
        await redis.connect();
        const keys: string[] = [];
        for await (const batch of redis.scanStream({ match: pattern, count: 1000 }) as AsyncIterable<string[]>) keys.push(...batch);
        if (keys.length > 0) found.set(port, keys);
      } finally {
        redis.disconnect();
      }
    }
    return found;
  };
  return { nodes: ports.map((p) => `127.0.0.1:${p}`).join(','), ports, masterOf, keysByMaster, close };
}

/** A port whose cluster bus port (+10000) is free too. */
async function freeClusterPort(taken: number[]): Promise<number> {
  for (let tries = 0; tries < 50; tries++) {
    const port = await listenOnce(0);
    if (port + 10_000 > 65_535 || taken.includes(port)) continue;
    try {
      await listenOnce(port + 10_000);
      return port;
    } catch {
      // The bus port is in use: try another.
    }
  }
  throw new Error('no free port pair for a Redis Cluster node');
}

function listenOnce(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      const bound = (server.address() as { port: number }).port;
      server.close(() => resolve(bound));
    });
  });
}

async function command(port: number, ...args: string[]): Promise<unknown> {
  const redis = new IORedis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => null });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    return await redis.call(args[0], ...args.slice(1));
  } finally {
    redis.disconnect();
  }
}

async function untilAnswers(port: number, line: string, ok: (reply: string) => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    try {
      const reply = String(await command(port, ...line.split(' ')));
      if (ok(reply)) return;
      last = reply.split('\n')[0];
    } catch (error) {
      last = (error as Error).message;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`redis-server on ${port} did not answer ${line} as expected within ${timeoutMs} ms (last: ${last})`);
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}
