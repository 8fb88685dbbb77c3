import { ApiProperty, ApiSchema } from '@nestjs/swagger';
import type { SchemaObject } from '@nestjs/swagger';
import { CASE_ACTIONS, CASE_FIELDS, CASE_KINDS, CASE_STATUSES } from '@app/cases';
import type { CaseAction, CaseCounts, CaseEventView, CaseKind, CaseList, CaseResolution, CaseStatus, CaseView, CaseWithEvents } from '@app/cases';
import { csvField } from '@app/common';

// Response schemas of the case routes, for /docs. Each class implements what the service
// returns, so a field added there and not here breaks the build.

const CASE_ID = '9b2d4c1e-7a3f-4e8b-b1c2-d3e4f5a6b7c8';
const RUN_ID = '5f0c1f9e-2b7a-4c53-9d3e-8a1b2c3d4e5f';
const CUSTOMER_ID = '3f6c2a9e-8b1d-4e57-a0c4-5d7e9f1b2c3a';

export const CASE_EXAMPLE: CaseView = {
  id: CASE_ID,
  kind: 'field_drift',
  status: 'open',
  customer_id: CUSTOMER_ID,
  celar_id: 'cr_f12ab34cd567',
  field: 'name',
  expected: 'Alice Wanjiku',
  actual: 'Alice W.',
  delta: null,
  currency: null,
  first_seen_at: '2025-09-26T09:00:12.331Z',
  last_seen_at: '2025-09-26T11:00:09.102Z',
  occurrence_count: 3,
  first_run_id: RUN_ID,
  last_run_id: '7a1e2d3c-4b5a-4968-8776-655443322110',
  resolution: null,
  note: null,
  updated_at: '2025-09-26T11:00:09.102Z',
};

@ApiSchema({ name: 'ReconciliationCase', description: 'One reconciliation break followed across runs until an operator or a later run closes it' })
export class CaseDto implements CaseView {
  @ApiProperty({ type: String, format: 'uuid', example: CASE_ID })
  id: string;

  @ApiProperty({ enum: CASE_KINDS, example: 'field_drift' })
  kind: CaseKind;

  @ApiProperty({ enum: CASE_STATUSES, example: 'open' })
  status: CaseStatus;

  @ApiProperty({ type: String, format: 'uuid', nullable: true, description: "The service's id; null for a customer unknown locally", example: CUSTOMER_ID })
  customer_id: string | null;

  @ApiProperty({ type: String, nullable: true, example: 'cr_f12ab34cd567' })
  celar_id: string | null;

  @ApiProperty({ type: String, nullable: true, description: 'The field, where the kind has one', example: 'name' })
  field: string | null;

  @ApiProperty({ type: String, nullable: true, description: 'As last seen: for field_drift, the mirror\'s value', example: 'Alice Wanjiku' })
  expected: string | null;

  @ApiProperty({ type: String, nullable: true, description: "As last seen: for field_drift, Celar's value", example: 'Alice W.' })
  actual: string | null;

  @ApiProperty({ type: String, nullable: true, pattern: '^-?[0-9]+(\\.[0-9]+)?$', description: 'A decimal string, where it applies', example: null })
  delta: string | null;

  @ApiProperty({ type: String, nullable: true, description: 'For balance kinds', example: null })
  currency: string | null;

  @ApiProperty({ type: String, format: 'date-time', example: CASE_EXAMPLE.first_seen_at })
  first_seen_at: string;

  @ApiProperty({ type: String, format: 'date-time', example: CASE_EXAMPLE.last_seen_at })
  last_seen_at: string;

  @ApiProperty({ type: 'integer', description: 'How many runs have seen it', example: 3 })
  occurrence_count: number;

  @ApiProperty({ type: String, format: 'uuid', example: RUN_ID })
  first_run_id: string;

  @ApiProperty({ type: String, format: 'uuid', example: CASE_EXAMPLE.last_run_id })
  last_run_id: string;

  @ApiProperty({ enum: ['auto', 'fixed', 'repushed'], nullable: true, example: null })
  resolution: CaseResolution | null;

  @ApiProperty({ type: String, nullable: true, description: "The latest operator's note", example: null })
  note: string | null;

  @ApiProperty({ type: String, format: 'date-time', example: CASE_EXAMPLE.updated_at })
  updated_at: string;
}

@ApiSchema({ name: 'ReconciliationCaseEvent', description: 'One entry of a case timeline (append-only)' })
export class CaseEventDto implements CaseEventView {
  @ApiProperty({ type: String, format: 'date-time', example: CASE_EXAMPLE.first_seen_at })
  at: string;

  @ApiProperty({ enum: CASE_ACTIONS, example: 'opened' })
  action: CaseAction;

  @ApiProperty({ type: String, description: '`run:<run id>` or `key:<first 12 hex of sha256 of the admin key>`', example: `run:${RUN_ID}` })
  actor: string;

  @ApiProperty({ type: String, nullable: true, example: null })
  note: string | null;

  @ApiProperty({ type: String, format: 'uuid', nullable: true, example: RUN_ID })
  run_id: string | null;
}

@ApiSchema({ name: 'ReconciliationCaseWithEvents' })
export class CaseWithEventsDto extends CaseDto implements CaseWithEvents {
  @ApiProperty({ type: [CaseEventDto], description: 'Oldest first' })
  events: CaseEventDto[];
}

@ApiSchema({ name: 'ReconciliationCaseList' })
export class CaseListDto implements CaseList {
  @ApiProperty({ type: [CaseDto], description: 'Oldest first (by first_seen_at)' })
  cases: CaseDto[];

  @ApiProperty({ type: 'integer', example: 1 })
  total: number;

  @ApiProperty({ type: 'integer', example: 20 })
  limit: number;

  @ApiProperty({ type: 'integer', example: 0 })
  offset: number;
}

export const NOTE_SCHEMA = (required: boolean): SchemaObject => ({
  type: 'object',
  additionalProperties: false,
  ...(required ? { required: ['note'] } : {}),
  properties: { note: { type: 'string', minLength: 1, maxLength: 2000, description: required ? 'Why the break is accepted' : 'Optional' } },
});

export const CASES_CSV_EXAMPLE = `${CASE_FIELDS.join(',')}\r\n${CASE_FIELDS.map((f) => csvField(CASE_EXAMPLE[f])).join(',')}\r\n`;

@ApiSchema({ name: 'CasesByAge', description: 'Open and acknowledged cases by age (from first_seen_at)' })
export class CasesByAgeDto {
  @ApiProperty({ type: 'integer', example: 2 })
  lt_1d: number;

  @ApiProperty({ type: 'integer', name: '1d_3d', example: 1 })
  '1d_3d': number;

  @ApiProperty({ type: 'integer', name: '3d_7d', example: 0 })
  '3d_7d': number;

  @ApiProperty({ type: 'integer', example: 0 })
  gt_7d: number;
}

@ApiSchema({ name: 'CaseCounts' })
export class CaseCountsDto implements CaseCounts {
  @ApiProperty({ type: 'integer', example: 2 })
  open: number;

  @ApiProperty({ type: 'integer', example: 1 })
  acknowledged: number;

  @ApiProperty({
    type: 'object',
    description: 'Open and acknowledged cases per kind (every kind, zeros included)',
    properties: Object.fromEntries(CASE_KINDS.map((k) => [k, { type: 'integer' }])),
    example: { ...Object.fromEntries(CASE_KINDS.map((k) => [k, 0])), field_drift: 3 },
  })
  by_kind: Record<CaseKind, number>;

  @ApiProperty({ type: CasesByAgeDto })
  by_age: CasesByAgeDto;
}
