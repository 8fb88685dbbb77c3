import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { SandboxExceptionFilter } from './common/sandbox-exception.filter';
import { ControlController } from './control/control.controller';
import { CustomersController } from './customers/customers.controller';
import { CustomersService } from './customers/customers.service';
import { ApiKeyGuard } from './gateway/api-key.guard';
import { CelarGatewayInterceptor } from './gateway/celar-gateway.interceptor';
import { FaultsService } from './gateway/faults.service';
import { IdempotencyService } from './gateway/idempotency.service';
import { RateLimitService } from './gateway/rate-limit.service';
import { RequestLogService } from './gateway/request-log.service';
import { SANDBOX_OPTIONS, SandboxOptions } from './sandbox-options';
import { SettingsService } from './settings.service';

@Module({})
export class SandboxModule {
  static forRoot(options: SandboxOptions = {}): DynamicModule {
    return {
      module: SandboxModule,
      controllers: [CustomersController, ControlController],
      providers: [
        { provide: SANDBOX_OPTIONS, useValue: options },
        { provide: APP_FILTER, useClass: SandboxExceptionFilter },
        SettingsService,
        CustomersService,
        FaultsService,
        RateLimitService,
        IdempotencyService,
        RequestLogService,
        ApiKeyGuard,
        CelarGatewayInterceptor,
      ],
    };
  }
}
