// `npm run migration:run`: creates the database if it does not exist yet, then applies pending migrations.
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { ConfigError, loadConfig } from '@app/config';
import { dataSourceOptions } from './data-source-options';

export async function ensureDatabase(databaseUrl: string): Promise<void> {
  const url = new URL(databaseUrl);
  const name = decodeURIComponent(url.pathname.slice(1));
  url.pathname = '/postgres';
  const client = new Client({ connectionString: url.toString() });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (!rowCount) await client.query(`CREATE DATABASE "${name.replace(/"/g, '""')}"`);
  } finally {
    await client.end();
  }
}

export async function runMigrations(databaseUrl: string): Promise<string[]> {
  await ensureDatabase(databaseUrl);
  const dataSource = new DataSource({ ...dataSourceOptions(databaseUrl, 1, 'migrate'), entities: [] });
  await dataSource.initialize();
  try {
    const applied = await dataSource.runMigrations({ transaction: 'each' });
    return applied.map((m) => m.name);
  } finally {
    await dataSource.destroy();
  }
}

if (require.main === module) {
  (async () => {
    const config = loadConfig(process.env, '.env', 'migrate');
    const applied = await runMigrations(config.databaseUrl);
    console.log(applied.length ? `applied ${applied.length} migration(s): ${applied.join(', ')}` : 'no pending migrations');
  })().catch((error: unknown) => {
    console.error(error instanceof ConfigError ? error.message : `migration failed: ${(error as Error).message}`);
    process.exit(1);
  });
}
