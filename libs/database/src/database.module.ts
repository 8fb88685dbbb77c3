import { DynamicModule, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AppConfig } from '@app/config';
import { DatabaseClientName, dataSourceOptions } from './data-source-options';

@Module({})
export class DatabaseModule {
  /** `client` names the process's sessions (application_name) and picks its bounded waits. */
  static forRoot(config: AppConfig, client: DatabaseClientName, poolSize = 20): DynamicModule {
    return {
      module: DatabaseModule,
      imports: [
        TypeOrmModule.forRoot({
          ...dataSourceOptions(config.databaseUrl, poolSize, client),
          entities: undefined,
          autoLoadEntities: true,
          // Fail fast at start rather than retrying for minutes with a wrong URL.
          retryAttempts: 2,
          retryDelay: 500,
        }),
      ],
    };
  }
}
