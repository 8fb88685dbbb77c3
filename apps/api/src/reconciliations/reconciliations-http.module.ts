import { DynamicModule, Module } from '@nestjs/common';
import { CelarClientModule } from '@app/celar-client';
import { AppConfig } from '@app/config';
import { ReconciliationModule } from '@app/reconciliation';
import { BalancesController } from '../balances/balances.controller';
import { RefreshAllowance } from '../balances/refresh-allowance';
import { ReconciliationsController } from './reconciliations.controller';

/**
 * The admin reconciliation routes and the balance route. The Celar client is here for
 * `?refresh=true`, the API's only call to Celar.
 */
@Module({})
export class ReconciliationsHttpModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: ReconciliationsHttpModule,
      imports: [CelarClientModule.forRoot(config), ReconciliationModule],
      controllers: [ReconciliationsController, BalancesController],
      providers: [RefreshAllowance],
    };
  }
}
