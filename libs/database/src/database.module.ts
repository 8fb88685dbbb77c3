import { DynamicModule, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AppConfig } from '@app/config';
import { dataSourceOptions } from './data-source-options';

@Module({})
export class DatabaseModule {
  static forRoot(config: AppConfig, poolSize = 20): DynamicModule {
    return {
      module: DatabaseModule,
      imports: [
        TypeOrmModule.forRoot({
          ...dataSourceOptions(config.databaseUrl, poolSize),
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
