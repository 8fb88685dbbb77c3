import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { CustomersModule } from '@app/customers';
import { CasesRepository } from './cases.repository';
import { CasesService } from './cases.service';
import { ReconciliationCaseEvent } from './reconciliation-case-event.entity';
import { ReconciliationCase } from './reconciliation-case.entity';

/** Reconciliation cases: needs DatabaseModule in the application; repushes go through CustomersModule. */
@Module({
  imports: [TypeOrmModule.forFeature([ReconciliationCase, ReconciliationCaseEvent]), CustomersModule],
  providers: [CasesRepository, CasesService],
  exports: [CasesService],
})
export class CasesModule {}
