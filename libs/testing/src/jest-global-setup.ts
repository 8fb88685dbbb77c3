import { randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
// Jest runs globalSetup outside its module registry, where @app/* does not resolve (eslint.config.mjs scopes the exception to this file).
import { dataSourceOptions } from '../../database/src/data-source-options';
import { TEST_DB_PREFIX, databaseUrl, withServer } from './test-database';

/** Makes this run's template database once, migrated; each test file clones it. */
export default async function globalSetup(): Promise<void> {
  const run = `${TEST_DB_PREFIX}${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;
  const template = `${run}_tpl`;
  await withServer(async (c) => {
    // Leftovers of runs that were killed before their teardown, older than an hour.
    const { rows } = await c.query<{ datname: string }>(
      `SELECT datname FROM pg_database WHERE datname LIKE $1`,
      [`${TEST_DB_PREFIX}%`],
    );
    for (const { datname } of rows) {
      const stamp = parseInt(datname.slice(TEST_DB_PREFIX.length, TEST_DB_PREFIX.length + 8), 36);
      if (Number.isFinite(stamp) && Date.now() - stamp > 3_600_000) {
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
