import { setTimeout as sleep } from 'node:timers/promises';
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';

/** The server the tests use; never a production database: every name made here starts with `cs_test_`. */
export const TEST_SERVER_URL = process.env.TEST_DATABASE_SERVER_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const TEST_DB_PREFIX = 'cs_test_';

/**
 * The exact names one test run makes: `cs_test_` + the run's start (8 base-36 digits of
 * Date.now()) + 4 hex, then `_tpl` (its template) or `_` + 8 hex (a test file's clone).
 * Cleanup touches nothing else, so another tool's `cs_test_*` database is never dropped.
 */
const RUN_DATABASE = /^cs_test_([0-9a-z]{8})[0-9a-f]{4}(?:_tpl|_[0-9a-f]{8})$/;

export function newRunName(now = Date.now()): string {
  return `${TEST_DB_PREFIX}${now.toString(36).padStart(8, '0')}${randomBytes(2).toString('hex')}`;
}

/** When the run that made this database started (ms), or null when the name is not one of a run's. */
export function runStartedAt(datname: string): number | null {
  const match = RUN_DATABASE.exec(datname);
  return match ? parseInt(match[1], 36) : null;
}

/** Whether `datname` belongs to the run named `run` (its template or one of its clones). */
export function belongsToRun(datname: string, run: string): boolean {
  return RUN_DATABASE.test(datname) && (datname === `${run}_tpl` || (datname.startsWith(`${run}_`) && datname.length === run.length + 9));
}

export function databaseUrl(name: string): string {
  const url = new URL(TEST_SERVER_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

export async function withServer<T>(fn: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: TEST_SERVER_URL });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/**
 * A fresh database for one test file, cloned from the run's migrated template (made in
 * jest-global-setup). Cloning takes milliseconds; migrating each time would not.
 */
export async function createTestDatabase(): Promise<string> {
  const template = process.env.TEST_TEMPLATE_DB;
  if (!template) throw new Error('TEST_TEMPLATE_DB is not set: run the tests through jest (its globalSetup makes the template)');
  const name = `${template.replace(/_tpl$/, '')}_${randomBytes(4).toString('hex')}`;
  // CREATE DATABASE ... TEMPLATE fails while another session is connected to the template: retry briefly.
  for (let attempt = 0; ; attempt++) {
    try {
      await withServer((c) => c.query(`CREATE DATABASE "${name}" TEMPLATE "${template}"`));
      return databaseUrl(name);
    } catch (error) {
      if (attempt >= 20) throw error;
      await sleep(100);
    }
  }
}

/** The Redis key pattern of every queue prefix made in this run (its teardown deletes them). */
export function runKeyPattern(template = process.env.TEST_TEMPLATE_DB ?? 'norun'): string {
  return `{cs-test-${template.replace(/_tpl$/, '').slice(TEST_DB_PREFIX.length)}-*`;
}

export function uniqueQueuePrefix(): string {
  const run = (process.env.TEST_TEMPLATE_DB ?? 'norun').replace(/_tpl$/, '').slice(TEST_DB_PREFIX.length);
  return `cs-test-${run}-${randomBytes(5).toString('hex')}`;
}
