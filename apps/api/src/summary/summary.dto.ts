import { ApiProperty, ApiSchema } from '@nestjs/swagger';
import type { CustomerCounts } from '@app/customers';
import { CaseCountsDto } from '../cases/cases.dto';
import { RunDto, RunTotalDto } from '../docs/reconciliation.dto';
import type { Summary } from './summary.service';

@ApiSchema({ name: 'SummaryCustomers', description: 'Customers by sync status' })
export class SummaryCustomersDto implements CustomerCounts {
  @ApiProperty({ type: 'integer', example: 1200 })
  total: number;

  @ApiProperty({ type: 'integer', example: 1180 })
  active: number;

  @ApiProperty({ type: 'integer', example: 4 })
  pending: number;

  @ApiProperty({ type: 'integer', example: 1194 })
  synced: number;

  @ApiProperty({ type: 'integer', example: 2 })
  failed: number;
}

@ApiSchema({ name: 'SummaryOutbox', description: 'Changes not yet sent to Celar' })
export class SummaryOutboxDto {
  @ApiProperty({ type: 'integer', example: 4 })
  pending: number;

  @ApiProperty({ type: 'integer', nullable: true, description: 'Seconds the oldest pending change has waited; null when none', example: 3 })
  oldest_pending_age_s: number | null;
}

@ApiSchema({ name: 'SummaryLastRuns', description: 'The latest run of each kind, whatever its status' })
export class SummaryLastRunsDto {
  @ApiProperty({ type: RunDto, nullable: true })
  balances: RunDto | null;

  @ApiProperty({ type: RunDto, nullable: true })
  records: RunDto | null;
}

@ApiSchema({ name: 'Summary', description: 'The state of the whole book at a glance' })
export class SummaryDto implements Summary {
  @ApiProperty({ type: SummaryCustomersDto })
  customers: SummaryCustomersDto;

  @ApiProperty({ type: SummaryOutboxDto })
  outbox: SummaryOutboxDto;

  @ApiProperty({ type: CaseCountsDto, description: 'Open and acknowledged cases' })
  cases: CaseCountsDto;

  @ApiProperty({ type: SummaryLastRunsDto })
  last_runs: SummaryLastRunsDto;

  @ApiProperty({ type: [RunTotalDto], description: 'From the last completed balance run; decimal strings' })
  totals: RunTotalDto[];
}
