import { DataSource } from 'typeorm';
// Jest runs globalSetup outside its module registry, where @app/* does not resolve (eslint.config.mjs scopes the exception to this file).
import { dataSourceOptions } from '../../database/src/data-source-options';
import { TEST_DB_PREFIX, databaseUrl, newRunName, runStartedAt, withServer } from './test-database';

/** Makes this run's template database once, migrated; each test file clones it. */
export default async function globalSetup(): Promise<void> {
  const run = newRunName();
  const template = `${run}_tpl`;
  await withServer(async (c) => {
    // Leftovers of runs that were killed before their teardown, older than an hour; only names
    // of the exact run pattern (another tool's cs_test_* database is not ours to drop).
    const { rows } = await c.query<{ datname: string }>(`SELECT datname FROM pg_database WHERE starts_with(datname, $1)`, [TEST_DB_PREFIX]);
    for (const { datname } of rows) {
      const startedAt = runStartedAt(datname);
      if (startedAt !== null && Date.now() - startedAt > 3_600_000) {
        await c.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`).catch(() => undefined);
      }
    }
    await c.query(`CREATE DATABASE "${template}"`);
  });
  const dataSource = new DataSource({ ...dataSourceOptions(databaseUrl(template), 2), entities: [] });
  await dataSource.initialize();
  await dataSource.runMigrations();
  await dataSource.destroy();
  process.env.TEST_TEMPLATE_DB = template;
}
