export { DatabaseModule } from './database.module';
export { DatabaseClientName, dataSourceOptions } from './data-source-options';
export { MIGRATIONS } from './migrations';
export { ensureDatabase, runMigrations } from './migrate';
export { Sql, inTransaction, queryRows } from './sql';
export { NotificationListener } from './notification-listener';
