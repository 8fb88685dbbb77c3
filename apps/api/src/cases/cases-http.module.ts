import { Module } from '@nestjs/common';
import { CasesModule } from '@app/cases';
import { CustomersModule } from '@app/customers';
import { ReconciliationModule } from '@app/reconciliation';
import { SummaryController } from '../summary/summary.controller';
import { SummaryService } from '../summary/summary.service';
import { CasesController } from './cases.controller';

/** The admin case routes and the summary. Needs the Celar client (global) that ReconciliationsHttpModule brings. */
@Module({
  imports: [CasesModule, CustomersModule, ReconciliationModule],
  controllers: [CasesController, SummaryController],
  providers: [SummaryService],
  exports: [SummaryService, CasesModule, CustomersModule, ReconciliationModule],
})
export class CasesHttpModule {}
