import { join } from 'node:path';
import { DataSourceOptions } from 'typeorm';
import { MIGRATIONS } from './migrations';
import { ParameterlessLogger } from './parameterless-logger';

/** Entities live in their feature libs; globbing them keeps this lib free of feature imports. */
export const ENTITY_GLOB = join(__dirname, '..', '..', '**', '*.entity.{js,ts}');

export function dataSourceOptions(databaseUrl: string, poolSize = 20): DataSourceOptions {
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
    extra: { max: poolSize, application_name: 'customer-sync' },
  };
}
