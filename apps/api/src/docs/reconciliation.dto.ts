import { ApiProperty, ApiSchema } from '@nestjs/swagger';
import type { SchemaObject } from '@nestjs/swagger';
import { FINDING_KINDS, findingCsvRow, findingsCsvHeader, RUN_KINDS } from '@app/reconciliation';
import type { BalanceView, FindingKind, FindingView, ReconciliationRunsService, RunKind, RunStatus, RunTrigger, RunView } from '@app/reconciliation';

// Response schemas of the reconciliation and balance routes, for /docs. Each class implements
// what the service returns, so a field added there and not here breaks the build.

type RunList = Awaited<ReturnType<ReconciliationRunsService['list']>>;
type RunWithFindings = Awaited<ReturnType<ReconciliationRunsService['getWithFindings']>>;

const RUN_ID = '5f0c1f9e-2b7a-4c53-9d3e-8a1b2c3d4e5f';
const CUSTOMER_ID = '3f6c2a9e-8b1d-4e57-a0c4-5d7e9f1b2c3a';
const DECIMAL = { type: String, pattern: '^-?[0-9]+(\\.[0-9]+)?$' };

const FINDING_EXAMPLE: FindingView = {
  id: 17,
  run_id: RUN_ID,
  kind: 'balance_changed',
  customer_id: CUSTOMER_ID,
  celar_id: 'cr_f12ab34cd567',
  field: 'balance',
  expected: '1250.50',
  actual: '1300.00',
  delta: '49.50',
  message: 'balance changed from 1250.50 to 1300.00 USDC (+49.50)',
  created_at: '2025-09-26T09:00:12.331Z',
};

@ApiSchema({ name: 'Balance', description: "A customer's last reconciled balance; money as a decimal string, never a number" })
export class BalanceDto implements BalanceView {
  @ApiProperty({ type: String, format: 'uuid', description: "The service's id, even when asked by celar_id", example: CUSTOMER_ID })
  customer_id: string;

  @ApiProperty({ ...DECIMAL, nullable: true, description: 'null until first fetched', example: '1250.50' })
  balance: string | null;

  @ApiProperty({ type: String, nullable: true, example: 'USDC' })
  currency: string | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'When Celar was asked; null until first fetched', example: '2025-09-26T09:00:03.114Z' })
  as_of: string | null;
}

@ApiSchema({ name: 'RunProgress', description: 'Customers checked so far, of those to check' })
export class RunProgressDto {
  @ApiProperty({ type: 'integer', example: 1200 })
  done: number;

  @ApiProperty({ type: 'integer', example: 1200 })
  total: number;
}

@ApiSchema({ name: 'RunCounts' })
export class RunCountsDto {
  @ApiProperty({ type: 'integer', example: 1200 })
  customers_checked: number;

  @ApiProperty({ type: 'integer', example: 3 })
  balances_changed: number;

  @ApiProperty({ type: 'integer', example: 4 })
  findings: number;

  @ApiProperty({ type: 'integer', example: 0 })
  errors: number;
}

@ApiSchema({ name: 'RunTotal', description: 'Sum of the balances a run read, per currency (deactivated customers included)' })
export class RunTotalDto {
  @ApiProperty({ type: String, example: 'USDC' })
  currency: string;

  @ApiProperty({ ...DECIMAL, description: 'A decimal string, never a number', example: '1834021.75' })
  total: string;
}

@ApiSchema({ name: 'ReconciliationRun' })
export class RunDto implements RunView {
  @ApiProperty({ type: String, format: 'uuid', example: RUN_ID })
  id: string;

  @ApiProperty({ type: String, enum: RUN_KINDS, description: 'balances: every balance from Celar; records: our customer records against Celar\'s', example: 'balances' })
  kind: RunKind;

  @ApiProperty({ type: String, enum: ['schedule', 'manual'], example: 'manual' })
  trigger: RunTrigger;

  @ApiProperty({
    type: String,
    enum: ['queued', 'running', 'completed', 'partial', 'failed'],
    description: 'completed: every customer was checked; partial: some could not be (they are in the findings)',
    example: 'completed',
  })
  status: RunStatus;

  @ApiProperty({ type: () => RunProgressDto })
  progress: RunProgressDto;

  @ApiProperty({ type: String, format: 'date-time', nullable: true, example: '2025-09-26T09:00:00.512Z' })
  started_at: string | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true, example: '2025-09-26T09:00:41.077Z' })
  finished_at: string | null;

  @ApiProperty({ type: String, format: 'date-time', example: '2025-09-26T09:00:00.120Z' })
  created_at: string;

  @ApiProperty({ type: () => RunCountsDto })
  counts: RunCountsDto;

  @ApiProperty({ type: () => [RunTotalDto], description: 'Balance runs only; empty for records runs' })
  totals: RunTotalDto[];

  @ApiProperty({ type: String, nullable: true, description: 'Why the run is partial or failed beyond its findings', example: null })
  error: string | null;

  @ApiProperty({
    type: 'integer',
    nullable: true,
    description: 'While running: seconds left at the pace so far (customers done since it started); null otherwise',
    example: 540,
  })
  eta_seconds: number | null;
}

@ApiSchema({ name: 'ReconciliationFinding', description: 'Something that changed or is wrong; null where a field does not apply' })
export class FindingDto implements FindingView {
  @ApiProperty({ type: 'integer', example: 17 })
  id: number;

  @ApiProperty({ type: String, format: 'uuid', example: RUN_ID })
  run_id: string;

  @ApiProperty({ type: String, enum: FINDING_KINDS, example: 'balance_changed' })
  kind: FindingKind;

  @ApiProperty({ type: String, format: 'uuid', nullable: true, example: CUSTOMER_ID })
  customer_id: string | null;

  @ApiProperty({ type: String, nullable: true, example: 'cr_f12ab34cd567' })
  celar_id: string | null;

  @ApiProperty({ type: String, nullable: true, description: 'The field that differs (balance for balance findings)', example: 'balance' })
  field: string | null;

  @ApiProperty({ type: String, nullable: true, description: 'What we hold (for balance_changed: the stored balance)', example: '1250.50' })
  expected: string | null;

  @ApiProperty({ type: String, nullable: true, description: "What Celar holds (for balance_changed: Celar's balance)", example: '1300.00' })
  actual: string | null;

  @ApiProperty({ ...DECIMAL, nullable: true, description: 'actual - expected, for balances: a decimal string', example: '49.50' })
  delta: string | null;

  @ApiProperty({ type: String, example: FINDING_EXAMPLE.message })
  message: string;

  @ApiProperty({ type: String, format: 'date-time', example: '2025-09-26T09:00:12.331Z' })
  created_at: string;
}

@ApiSchema({ name: 'ReconciliationRunList' })
export class RunListDto implements RunList {
  @ApiProperty({ type: () => [RunDto], description: 'Newest first' })
  runs: RunDto[];

  @ApiProperty({ type: 'integer', example: 1 })
  total: number;

  @ApiProperty({ type: 'integer', example: 20 })
  limit: number;

  @ApiProperty({ type: 'integer', example: 0 })
  offset: number;
}

@ApiSchema({ name: 'ReconciliationRunWithFindings', description: 'A run and one page of its findings' })
export class RunWithFindingsDto extends RunDto implements RunWithFindings {
  @ApiProperty({ type: () => [FindingDto] })
  findings: FindingDto[];

  @ApiProperty({ type: 'integer', description: 'All findings of the run, every page', example: 4 })
  findings_total: number;

  @ApiProperty({ type: 'integer', description: 'Findings page size', example: 20 })
  limit: number;

  @ApiProperty({ type: 'integer', example: 0 })
  offset: number;
}

/** The body of POST /admin/reconciliations; any other field is a 400. */
export const START_RUN_SCHEMA: SchemaObject = {
  type: 'object',
  additionalProperties: false,
  required: ['kind'],
  properties: { kind: { type: 'string', enum: [...RUN_KINDS], description: "balances: every balance from Celar; records: our customer records against Celar's" } },
};

/** A run just started. */
export const QUEUED_RUN_EXAMPLE: RunView = {
  id: RUN_ID,
  kind: 'balances',
  trigger: 'manual',
  status: 'queued',
  progress: { done: 0, total: 0 },
  started_at: null,
  finished_at: null,
  created_at: '2025-09-26T09:00:00.120Z',
  counts: { customers_checked: 0, balances_changed: 0, findings: 0, errors: 0 },
  totals: [],
  error: null,
  eta_seconds: null,
};

/** The CSV export of a run with one finding, written by the code that writes the real one. */
export const FINDINGS_CSV_EXAMPLE = findingsCsvHeader() + findingCsvRow(FINDING_EXAMPLE);
