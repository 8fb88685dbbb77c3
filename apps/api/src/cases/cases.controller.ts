import { Controller, Get, HttpCode, Param, Post, Req, Res } from '@nestjs/common';
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
import { CASE_KINDS, CASE_STATUSES, CasesService, CaseWithEvents, keyActor } from '@app/cases';
import { ApiErrorResponse, ERRORS, ErrorExample } from '../docs/api-error-response.decorator';
import { AdminOnly } from '../http/admin-only.decorator';
import { ApiRequest, ApiResponse } from '../http/api-request';
import { streamCsv } from '../http/csv-stream';
import { prefersCsv } from '../reconciliations/reconciliations.controller';
import { CASE_EXAMPLE, CaseListDto, CASES_CSV_EXAMPLE, CaseWithEventsDto, NOTE_SCHEMA } from './cases.dto';

const NOT_FOUND: ErrorExample = { code: 'not_found', message: `No case ${CASE_EXAMPLE.id}` };
const NOT_ALLOWED: ErrorExample = {
  code: 'invalid_transition',
  message: 'A case that is resolved cannot become acknowledged',
  details: [{ field: 'status', message: 'is resolved' }],
};
const BAD_NOTE: ErrorExample = {
  code: 'validation_failed',
  message: 'Invalid case action',
  details: [{ field: 'note', message: 'must be non-blank text' }],
};

/** Who acts: derived from the admin key the request carried, never from the body. */
export function actorOf(req: ApiRequest): string {
  return keyActor(req.apiKeyHash ?? '');
}

@ApiTags('cases')
@ApiBearerAuth('bearer')
@AdminOnly()
@ApiErrorResponse(403, 'An app key: these routes need an admin key', ERRORS.notAdmin)
@Controller('api/v1/admin/cases')
export class CasesController {
  constructor(private readonly cases: CasesService) {}

  @Get()
  @ApiOperation({ summary: 'Cases, oldest first (by first_seen_at), filtered; or every matching case as CSV (?format=csv or Accept: text/csv)' })
  @ApiQuery({ name: 'status', required: false, description: `Repeatable or comma-separated: ${CASE_STATUSES.join(', ')}; absent: every status`, schema: { type: 'array', items: { enum: [...CASE_STATUSES] } }, style: 'form', explode: true })
  @ApiQuery({ name: 'kind', required: false, enum: CASE_KINDS })
  @ApiQuery({ name: 'customer_id', required: false, description: "The service's id or the celar_id" })
  @ApiQuery({ name: 'min_age_hours', required: false, type: String, description: 'Only cases first seen at least this many hours ago (e.g. 24, 1.5)' })
  @ApiQuery({ name: 'limit', required: false, type: 'integer', description: '1..100, default 20' })
  @ApiQuery({ name: 'offset', required: false, type: 'integer', description: '0 or more, default 0' })
  @ApiQuery({ name: 'format', required: false, enum: ['json', 'csv'], description: 'csv: every matching case, not one page' })
  @ApiProduces('application/json', 'text/csv')
  @ApiExtraModels(CaseListDto)
  @ApiDocResponse({
    status: 200,
    description: 'One page of cases; or, as CSV, every matching case with a header row of the case fields',
    content: {
      'application/json': { schema: { $ref: getSchemaPath(CaseListDto) } },
      'text/csv': { schema: { type: 'string' }, example: CASES_CSV_EXAMPLE },
    },
  })
  @ApiErrorResponse(400, 'An unknown query parameter, or a value out of range', {
    code: 'validation_failed',
    message: 'Invalid case query',
    details: [{ field: 'status', message: `must be one or more of ${CASE_STATUSES.join(', ')}` }],
  })
  async list(@Req() req: ApiRequest, @Res() res: ApiResponse): Promise<void> {
    const csv = req.query.format === 'csv' || (req.query.format === undefined && prefersCsv(req.headers.accept));
    if (!csv) {
      res.status(200).send(await this.cases.list(req.query));
      return;
    }
    await streamCsv(res, this.cases.csv(req.query), 'reconciliation-cases.csv');
  }

  @Get(':id')
  @ApiOperation({ summary: 'One case with its timeline (events oldest first)' })
  @ApiParam({ name: 'id', example: CASE_EXAMPLE.id })
  @ApiDocResponse({ status: 200, description: 'The case and its events', type: CaseWithEventsDto })
  @ApiErrorResponse(404, 'No such case', NOT_FOUND)
  get(@Param('id') id: string): Promise<CaseWithEvents> {
    return this.cases.get(id);
  }

  @Post(':id/acknowledge')
  @HttpCode(200)
  @ApiOperation({ summary: 'open -> acknowledged; repeating it answers the case and adds no event' })
  @ApiParam({ name: 'id', example: CASE_EXAMPLE.id })
  @ApiBody({ required: false, schema: NOTE_SCHEMA(false) })
  @ApiDocResponse({ status: 200, description: 'The case, with its events', type: CaseWithEventsDto })
  @ApiErrorResponse(400, 'A bad note or an unknown field', BAD_NOTE, ERRORS.invalidJson)
  @ApiErrorResponse(404, 'No such case', NOT_FOUND)
  @ApiErrorResponse(409, "The case's status does not allow it", NOT_ALLOWED)
  acknowledge(@Param('id') id: string, @Req() req: ApiRequest): Promise<CaseWithEvents> {
    return this.cases.acknowledge(id, req.body, actorOf(req));
  }

  @Post(':id/resolve')
  @HttpCode(200)
  @ApiOperation({ summary: 'open/acknowledged -> resolved, resolution "fixed"' })
  @ApiParam({ name: 'id', example: CASE_EXAMPLE.id })
  @ApiBody({ required: false, schema: NOTE_SCHEMA(false) })
  @ApiDocResponse({ status: 200, description: 'The case, with its events', type: CaseWithEventsDto })
  @ApiErrorResponse(400, 'A bad note or an unknown field', BAD_NOTE, ERRORS.invalidJson)
  @ApiErrorResponse(404, 'No such case', NOT_FOUND)
  @ApiErrorResponse(409, "The case's status does not allow it", NOT_ALLOWED)
  resolve(@Param('id') id: string, @Req() req: ApiRequest): Promise<CaseWithEvents> {
    return this.cases.resolve(id, req.body, actorOf(req));
  }

  @Post(':id/accept')
  @HttpCode(200)
  @ApiOperation({ summary: 'open/acknowledged -> accepted: the break is accepted as it is (note required); the evidence is kept' })
  @ApiParam({ name: 'id', example: CASE_EXAMPLE.id })
  @ApiBody({ required: true, schema: NOTE_SCHEMA(true) })
  @ApiDocResponse({ status: 200, description: 'The case, with its events', type: CaseWithEventsDto })
  @ApiErrorResponse(400, 'No note, a bad note or an unknown field', {
    code: 'validation_failed',
    message: 'Invalid case action',
    details: [{ field: 'note', message: 'is required: say why the break is accepted' }],
  }, ERRORS.invalidJson)
  @ApiErrorResponse(404, 'No such case', NOT_FOUND)
  @ApiErrorResponse(409, "The case's status does not allow it", NOT_ALLOWED)
  accept(@Param('id') id: string, @Req() req: ApiRequest): Promise<CaseWithEvents> {
    return this.cases.accept(id, req.body, actorOf(req));
  }

  @Post(':id/reopen')
  @HttpCode(200)
  @ApiOperation({ summary: 'resolved/accepted -> open (409 while a newer case of the same break is live)' })
  @ApiParam({ name: 'id', example: CASE_EXAMPLE.id })
  @ApiBody({ required: false, schema: NOTE_SCHEMA(false) })
  @ApiDocResponse({ status: 200, description: 'The case, with its events', type: CaseWithEventsDto })
  @ApiErrorResponse(400, 'A bad note or an unknown field', BAD_NOTE, ERRORS.invalidJson)
  @ApiErrorResponse(404, 'No such case', NOT_FOUND)
  @ApiErrorResponse(409, "The case's status does not allow it", NOT_ALLOWED)
  reopen(@Param('id') id: string, @Req() req: ApiRequest): Promise<CaseWithEvents> {
    return this.cases.reopen(id, req.body, actorOf(req));
  }

  @Post(':id/repush')
  @HttpCode(202)
  @ApiOperation({
    summary: "field_drift, open or acknowledged: queue an update sending the mirror's value to Celar (in order with the customer's other changes); resolved (repushed) once Celar has it",
  })
  @ApiParam({ name: 'id', example: CASE_EXAMPLE.id })
  @ApiBody({ required: false, schema: NOTE_SCHEMA(false) })
  @ApiDocResponse({ status: 202, description: 'The case (still open or acknowledged), with its repushed event', type: CaseWithEventsDto })
  @ApiErrorResponse(400, 'A bad note or an unknown field', BAD_NOTE, ERRORS.invalidJson)
  @ApiErrorResponse(404, 'No such case', NOT_FOUND)
  @ApiErrorResponse(409, 'Not a field_drift case, not open or acknowledged, a field Celar cannot be sent, or a deactivated customer', {
    code: 'invalid_transition',
    message: 'Only a field_drift case can be repushed; this one is unknown_upstream',
  }, { code: 'customer_deactivated', message: 'The customer is deactivated and can no longer change' })
  repush(@Param('id') id: string, @Req() req: ApiRequest): Promise<CaseWithEvents> {
    return this.cases.repush(id, req.body, actorOf(req), req.requestId ?? null);
  }
}
