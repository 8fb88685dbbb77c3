import { join } from 'node:path';
import { DataSourceOptions } from 'typeorm';
import { BoundedPgClient } from './bounded-pg-client';
import { MIGRATIONS } from './migrations';
import { ParameterlessLogger } from './parameterless-logger';

/** Entities live in their feature libs; globbing them keeps this lib free of feature imports. */
export const ENTITY_GLOB = join(__dirname, '..', '..', '**', '*.entity.{js,ts}');

/** Which process a Postgres session belongs to (its `application_name`, seen in pg_stat_activity). */
export type DatabaseClientName = 'api' | 'worker' | 'cli' | 'migrate' | 'test';

interface Waits {
  /** Opening a connection, and waiting for a free one in the pool. */
  connectMs: number;
  /** Server side: a statement running longer is cancelled (57014). 0: no limit. */
  statementMs: number;
  /** Client side: no answer at all within this (a silent server) fails the query and drops the connection. */
  queryMs: number;
}

// The API answers within 5 s whatever Postgres does: 2 s to get a connection, then each
// statement at most 3 s. The worker's statements plan whole runs, so they may take longer.
const WAITS: Record<DatabaseClientName, Waits> = {
  api: { connectMs: 2000, statementMs: 3000, queryMs: 4000 },
  worker: { connectMs: 5000, statementMs: 60_000, queryMs: 65_000 },
  cli: { connectMs: 5000, statementMs: 60_000, queryMs: 65_000 },
  migrate: { connectMs: 10_000, statementMs: 0, queryMs: 0 },
  test: { connectMs: 2000, statementMs: 30_000, queryMs: 35_000 },
};

// TCP keepalives on both ends: a session whose peer vanished (a half-dead connection,
// holding advisory locks) is dropped by the server within 30 s + 3 × 10 s, and by the
// client once its own probes fail.
const SERVER_KEEPALIVES = '-c tcp_keepalives_idle=30 -c tcp_keepalives_interval=10 -c tcp_keepalives_count=3';

export function dataSourceOptions(databaseUrl: string, poolSize = 20, client: DatabaseClientName = 'test'): DataSourceOptions {
  const waits = WAITS[client];
  const serverOptions = [SERVER_KEEPALIVES, '-c idle_in_transaction_session_timeout=60000'];
  if (waits.statementMs > 0) serverOptions.push(`-c statement_timeout=${waits.statementMs}`);
  return {
    type: 'postgres',
    url: databaseUrl,
    entities: [ENTITY_GLOB],
    migrations: MIGRATIONS,
    migrationsTransactionMode: 'each',
    synchronize: false,
    logging: ['error', 'warn'],
    logger: new ParameterlessLogger(),
    maxQueryExecutionTime: 5000,
    extra: {
      max: poolSize,
      application_name: `customer-sync-${client}`,
      Client: BoundedPgClient,
      connectionTimeoutMillis: waits.connectMs,
      ...(waits.queryMs > 0 ? { query_timeout: waits.queryMs } : {}),
      keepAlive: true,
      keepAliveInitialDelayMillis: 10_000,
      options: serverOptions.join(' '),
    },
  };
}
