import { DynamicModule, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { AppConfig, ConfigModule } from '@app/config';
import { DatabaseModule } from '@app/database';
import { CasesHttpModule } from './cases/cases-http.module';
import { ConsoleHttpModule } from './console/console-http.module';
import { CustomersHttpModule } from './customers/customers-http.module';
import { ApiKeyGuard } from './http/api-key.guard';
import { ApiOperationsModule } from './operations/api-operations.module';
import { ReconciliationsHttpModule } from './reconciliations/reconciliations-http.module';
import { WebhooksHttpModule } from './webhooks/webhooks-http.module';

@Module({})
export class ApiModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: ApiModule,
      imports: [
        ConfigModule.forRoot(config),
        DatabaseModule.forRoot(config, 'api'),
        ApiOperationsModule.forRoot(config),
        CustomersHttpModule,
        ReconciliationsHttpModule.forRoot(config),
        WebhooksHttpModule,
        CasesHttpModule,
        ConsoleHttpModule,
      ],
      providers: [{ provide: APP_GUARD, useClass: ApiKeyGuard }],
    };
  }
}
