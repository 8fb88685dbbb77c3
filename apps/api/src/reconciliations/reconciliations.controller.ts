import { Controller, Get, Param, Post, Req, Res } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiBody,
  ApiResponse as ApiDocResponse,
  ApiExtraModels,
  ApiOperation,
  ApiParam,
  ApiProduces,
  ApiQuery,
  ApiTags,
  getSchemaPath,
} from '@nestjs/swagger';
import { AppError, QueryReader } from '@app/common';
import { ReconciliationRunsService, RUN_KINDS, RunKind } from '@app/reconciliation';
import { ApiErrorResponse, ErrorExample, ERRORS } from '../docs/api-error-response.decorator';
import { FINDINGS_CSV_EXAMPLE, QUEUED_RUN_EXAMPLE, RunDto, RunListDto, RunWithFindingsDto, START_RUN_SCHEMA } from '../docs/reconciliation.dto';
import { AdminOnly } from '../http/admin-only.decorator';
import { ApiRequest, ApiResponse } from '../http/api-request';
import { streamCsv } from '../http/csv-stream';

const BAD_PAGE: ErrorExample = {
  code: 'validation_failed',
  message: 'limit must be an integer from 1 to 100',
  details: [{ field: 'limit', message: 'must be an integer from 1 to 100' }],
};

@ApiTags('reconciliations')
@ApiBearerAuth('bearer')
@AdminOnly()
@ApiErrorResponse(403, 'An app key: these routes need an admin key', ERRORS.notAdmin)
@Controller('api/v1/admin/reconciliations')
export class ReconciliationsController {
  constructor(private readonly runs: ReconciliationRunsService) {}

  @Get()
  @ApiOperation({ summary: 'Reconciliation runs, newest first' })
  @ApiQuery({ name: 'limit', required: false, type: 'integer', description: '1..100, default 20' })
  @ApiQuery({ name: 'offset', required: false, type: 'integer', description: '0 or more, default 0' })
  @ApiDocResponse({ status: 200, description: 'One page of runs', type: RunListDto })
  @ApiErrorResponse(400, 'An unknown query parameter, or a value out of range', BAD_PAGE)
  async list(@Req() req: ApiRequest, @Res() res: ApiResponse): Promise<void> {
    const query = new QueryReader(req.query, ['limit', 'offset']);
    const { limit, offset } = query.page();
    query.done();
    res.status(200).send(await this.runs.list(limit, offset));
  }

  @Post()
  @ApiOperation({ summary: 'Start a run now (202 with the run); 409 run_in_progress with details[0].run_id if one of that kind is active' })
  @ApiBody({ schema: START_RUN_SCHEMA, examples: { balances: { summary: 'Check every balance', value: { kind: 'balances' } }, records: { summary: 'Compare customer records', value: { kind: 'records' } } } })
  @ApiDocResponse({ status: 202, description: 'The run, queued', type: RunDto, example: QUEUED_RUN_EXAMPLE })
  @ApiErrorResponse(400, 'kind missing or unknown, or another field', {
    code: 'validation_failed',
    message: 'Invalid reconciliation request',
    details: [{ field: 'kind', message: `must be one of ${RUN_KINDS.join(', ')}` }],
  }, ERRORS.invalidJson)
  @ApiErrorResponse(409, 'A run of that kind is already queued or running: details[0].run_id names it', {
    code: 'run_in_progress',
    message: `A balances run is already queued or running: ${QUEUED_RUN_EXAMPLE.id}`,
    details: [{ field: 'kind', message: 'a run of this kind is already active', run_id: QUEUED_RUN_EXAMPLE.id }],
  })
  @ApiErrorResponse(503, 'Redis (the job queue) or Postgres is unavailable: no run was started', {
    code: 'dependency_down',
    message: 'The job queue (Redis) is unavailable: the run was not started; try again later',
  }, ERRORS.databaseDown)
  async start(@Req() req: ApiRequest, @Res() res: ApiResponse): Promise<void> {
    new QueryReader(req.query, []).done();
    res.status(202).send(await this.runs.start(parseKind(req.body), 'manual'));
  }

  @Get(':id')
  @ApiOperation({ summary: 'One run with its findings (paginated), or all its findings as CSV (?format=csv or Accept: text/csv)' })
  @ApiParam({ name: 'id', description: 'The run id', example: QUEUED_RUN_EXAMPLE.id })
  @ApiQuery({ name: 'limit', required: false, type: 'integer', description: 'findings per page, 1..100, default 20' })
  @ApiQuery({ name: 'offset', required: false, type: 'integer', description: '0 or more, default 0' })
  @ApiQuery({ name: 'format', required: false, enum: ['json', 'csv'], description: 'csv: every finding, not one page (also chosen by Accept: text/csv)' })
  @ApiProduces('application/json', 'text/csv')
  @ApiExtraModels(RunWithFindingsDto)
  @ApiDocResponse({
    status: 200,
    description: 'The run and a page of its findings; or, as CSV, all its findings with a header row of the finding fields',
    content: {
      'application/json': { schema: { $ref: getSchemaPath(RunWithFindingsDto) } },
      'text/csv': { schema: { type: 'string' }, example: FINDINGS_CSV_EXAMPLE },
    },
  })
  @ApiErrorResponse(400, 'An unknown query parameter, or a value out of range', BAD_PAGE)
  @ApiErrorResponse(404, 'No such run', { code: 'not_found', message: `No reconciliation run ${QUEUED_RUN_EXAMPLE.id}` })
  async get(@Param('id') id: string, @Req() req: ApiRequest, @Res() res: ApiResponse): Promise<void> {
    const query = new QueryReader(req.query, ['limit', 'offset', 'format']);
    const format = query.oneOf('format', ['json', 'csv'] as const);
    const { limit, offset } = query.page();
    query.done();
    const csv = format === 'csv' || (format === undefined && prefersCsv(req.headers.accept));
    if (!csv) {
      res.status(200).send(await this.runs.getWithFindings(id, limit, offset));
      return;
    }
    await streamCsv(res, await this.runs.findingsCsv(id), `reconciliation-${id}-findings.csv`);
  }
}

function parseKind(body: unknown): RunKind {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new AppError('validation_failed', 'Send a JSON object: {"kind": "balances" | "records"}', [
      { field: 'kind', message: 'is required' },
    ]);
  }
  const record = body as Record<string, unknown>;
  const unknown = Object.keys(record).filter((k) => k !== 'kind');
  const details = unknown.map((field) => ({ field, message: 'is not a known field' }));
  if (!RUN_KINDS.includes(record.kind as RunKind)) {
    details.unshift({ field: 'kind', message: `must be one of ${RUN_KINDS.join(', ')}` });
  }
  if (details.length > 0) throw new AppError('validation_failed', 'Invalid reconciliation request', details);
  return record.kind as RunKind;
}

/** `Accept: text/csv` (preferred over JSON by order or q-value) asks for the CSV export. */
export function prefersCsv(accept: string | undefined): boolean {
  if (!accept) return false;
  let best: { type: string; q: number } | undefined;
  for (const part of accept.split(',')) {
    const [type, ...params] = part.trim().toLowerCase().split(';');
    const qParam = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    const q = qParam ? Number(qParam.slice(2)) : 1;
    if (!Number.isFinite(q) || q <= 0) continue;
    const kind = type === 'text/csv' ? 'csv' : ['application/json', 'application/*', '*/*'].includes(type) ? 'json' : undefined;
    if (kind && (!best || q > best.q)) best = { type: kind, q };
  }
  return best?.type === 'csv';
}
