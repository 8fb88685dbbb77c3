import { Controller, Get, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { ApiErrorResponse, ERRORS } from '../docs/api-error-response.decorator';
import { AdminOnly } from '../http/admin-only.decorator';
import { ApiRequest } from '../http/api-request';
import { SummaryDto } from './summary.dto';
import { Summary, SummaryService } from './summary.service';
import { QueryReader } from '@app/common';

@ApiTags('cases')
@ApiBearerAuth('bearer')
@AdminOnly()
@Controller('api/v1/admin/summary')
export class SummaryController {
  constructor(private readonly summary: SummaryService) {}

  @Get()
  @ApiOperation({ summary: 'Customers by sync status, outbox backlog, open cases by kind and age, the last run of each kind, totals per currency' })
  @ApiResponse({ status: 200, type: SummaryDto })
  @ApiErrorResponse(400, 'Any query parameter', { code: 'validation_failed', message: 'Unknown query parameter', details: [{ field: 'x', message: 'is not a known parameter (known: none)' }] })
  @ApiErrorResponse(403, 'An app key: this route needs an admin key', ERRORS.notAdmin)
  get(@Req() req: ApiRequest): Promise<Summary> {
    new QueryReader(req.query, []).done();
    return this.summary.get();
  }
}
