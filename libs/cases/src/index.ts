export { CasesModule } from './cases.module';
export { CasesService } from './cases.service';
export { CasesRepository } from './cases.repository';
export { ReconciliationCase } from './reconciliation-case.entity';
export { ReconciliationCaseEvent } from './reconciliation-case-event.entity';
export { parseCaseListQuery } from './case-list.query';
export * from './case.types';
