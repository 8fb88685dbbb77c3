// The data source of the TypeORM CLI (migration:run, migration:generate); the apps use DatabaseModule.
import { DataSource } from 'typeorm';
import { loadConfig } from '@app/config';
import { dataSourceOptions } from './data-source-options';

export default new DataSource(dataSourceOptions(loadConfig(process.env, '.env', 'migrate').databaseUrl, 2, 'migrate'));
