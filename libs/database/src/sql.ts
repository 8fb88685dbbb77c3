import { DataSource, QueryRunner } from 'typeorm';

/** Statements on one connection; each returns its rows (also UPDATE ... RETURNING). */
export class Sql {
  constructor(readonly runner: QueryRunner) {}

  async rows<T = Record<string, unknown>>(text: string, params: unknown[] = []): Promise<T[]> {
    const result = (await this.runner.query(text, params, true)) as { records?: T[] };
    return result.records ?? [];
  }
}

/** Runs `fn` in one transaction: committed when it resolves, rolled back when it throws. */
export async function inTransaction<T>(dataSource: DataSource, fn: (sql: Sql) => Promise<T>): Promise<T> {
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  try {
    await runner.startTransaction();
    const result = await fn(new Sql(runner));
    await runner.commitTransaction();
    return result;
  } catch (error) {
    if (runner.isTransactionActive) await runner.rollbackTransaction().catch(() => undefined);
    throw error;
  } finally {
    await runner.release();
  }
}

/** One statement outside a transaction (autocommit), its rows returned. */
export async function queryRows<T = Record<string, unknown>>(dataSource: DataSource, text: string, params: unknown[] = []): Promise<T[]> {
  const runner = dataSource.createQueryRunner();
  try {
    return await new Sql(runner).rows<T>(text, params);
  } finally {
    await runner.release();
  }
}
