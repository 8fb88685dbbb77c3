import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { CasesModule } from '@app/cases';
import { CustomersModule } from '@app/customers';
import { CelarClient, RECONCILE_CELAR_CLIENT, REFRESH_CELAR_CLIENT } from '@app/celar-client';
import { QueueModule } from '@app/queue';
import { BalanceHistory } from './balance-history.entity';
import { BalanceReconciler } from './balance-reconciler.service';
import { BalancesService } from './balances.service';
import { CustomerBalance } from './customer-balance.entity';
import { ReconciliationChunk } from './reconciliation-chunk.entity';
import { ReconciliationFinding } from './reconciliation-finding.entity';
import { ReconciliationRun } from './reconciliation-run.entity';
import { ReconciliationRunMetrics } from './reconciliation-run.metrics';
import { ReconciliationRunsRepository } from './reconciliation-runs.repository';
import { ReconciliationRunsService } from './reconciliation-runs.service';
import { ReconciliationProcessor } from './reconciliation.processor';
import { ReconciliationScheduler } from './reconciliation.scheduler';
import { RecordReconciler } from './record-reconciler.service';

/**
 * Runs, findings and balances, and the producer of the 'reconciliation' queue (through
 * ReconciliationRunsService): what the API needs. Expects ConfigModule, DatabaseModule and CelarClientModule (global) in the application.
 */
@Module({
  imports: [
    TypeOrmModule.forFeature([ReconciliationRun, ReconciliationChunk, ReconciliationFinding, CustomerBalance, BalanceHistory]),
    CasesModule,
    CustomersModule,
    QueueModule,
  ],
  providers: [
    ReconciliationRunsRepository,
    ReconciliationRunsService,
    BalancesService,
    // The run gauges, added to the process's scrapes (when it shows metrics).
    ReconciliationRunMetrics,
    // Here, Celar calls are `?refresh=true` ones: the budget counts them apart from sync's.
    { provide: CelarClient, useExisting: REFRESH_CELAR_CLIENT },
  ],
  exports: [ReconciliationRunsRepository, ReconciliationRunsService, BalancesService],
})
export class ReconciliationModule {}

/**
 * The worker side: the queue's processor (runs, chunks, the watchdog's job) and the schedules.
 * Importing it starts nothing: the worker process starts and stops both (apps/worker).
 */
@Module({
  imports: [ReconciliationModule, CustomersModule, QueueModule],
  providers: [
    BalanceReconciler,
    RecordReconciler,
    ReconciliationProcessor,
    ReconciliationScheduler,
    // The runs' Celar calls take at most RECONCILE_BUDGET_SHARE of the budget while sync work waits.
    { provide: CelarClient, useExisting: RECONCILE_CELAR_CLIENT },
  ],
  exports: [ReconciliationProcessor, ReconciliationScheduler],
})
export class ReconciliationWorkerModule {}
