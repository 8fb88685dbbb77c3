import { Controller, Get, Param, Req, Res } from '@nestjs/common';
import { AppError, QueryReader } from '@app/common';
import { ApiBearerAuth, ApiOperation, ApiParam, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import { BalancesService, BalanceView } from '@app/reconciliation';
import { ApiErrorResponse, ERRORS } from '../docs/api-error-response.decorator';
import { BalanceDto } from '../docs/reconciliation.dto';
import { ApiRequest, ApiResponse as HttpResponse } from '../http/api-request';
import { REFRESHES_PER_WINDOW, RefreshAllowance } from './refresh-allowance';

@ApiTags('customers')
@ApiBearerAuth()
@Controller('api/v1/customers')
export class BalancesController {
  constructor(
    private readonly balances: BalancesService,
    private readonly allowance: RefreshAllowance,
  ) {}

  @Get(':id/balance')
  @ApiOperation({
    summary: 'The last reconciled balance (balance and as_of null if never fetched); ?refresh=true fetches it from Celar now (409 if not created upstream yet)',
  })
  @ApiParam({ name: 'id', description: "The service's id (uuid) or Celar's id (cr_...)", example: 'cr_f12ab34cd567' })
  @ApiQuery({ name: 'refresh', required: false, enum: ['true', 'false'] })
  @ApiResponse({ status: 200, description: 'The balance (balance, currency and as_of null if never fetched)', type: BalanceDto })
  @ApiErrorResponse(400, 'An unknown query parameter, or refresh not true/false', {
    code: 'validation_failed',
    message: 'refresh must be one of true, false',
    details: [{ field: 'refresh', message: 'must be one of true, false' }],
  })
  @ApiErrorResponse(404, 'No such customer', { code: 'not_found', message: 'No customer cr_f12ab34cd567' })
  @ApiErrorResponse(
    409,
    '?refresh=true for a customer not yet created in Celar, or one Celar does not know',
    { code: 'not_created_upstream', message: 'This customer is not created in Celar yet: there is no balance to fetch' },
    { code: 'conflict', message: 'Celar does not know this customer (cr_f12ab34cd567)' },
  )
  @ApiErrorResponse(429, `?refresh=true more than ${REFRESHES_PER_WINDOW} times a minute with one API key (Retry-After says when to retry)`, {
    code: 'rate_limited',
    message: `At most ${REFRESHES_PER_WINDOW} balance refreshes a minute per API key; retry in 42 s`,
  })
  @ApiErrorResponse(503, '?refresh=true and Celar could not be asked; or Postgres is unavailable', {
    code: 'celar_unavailable',
    message: 'Celar could not be asked for the balance (Celar answered 503)',
  }, ERRORS.databaseDown)
  async get(@Param('id') id: string, @Req() req: ApiRequest, @Res({ passthrough: true }) res: HttpResponse): Promise<BalanceView> {
    const query = new QueryReader(req.query, ['refresh']);
    const refresh = query.oneOf('refresh', ['true', 'false'] as const) === 'true';
    query.done();
    if (!refresh) return this.balances.get(id);
    // Counted before the customer is looked up: each call may cost a Celar request from the shared budget.
    const verdict = await this.allowance.take(req.apiKeyHash as string);
    if (!verdict.allowed) {
      res.header('Retry-After', String(verdict.retryAfterS));
      throw new AppError(
        'rate_limited',
        `At most ${REFRESHES_PER_WINDOW} balance refreshes a minute per API key; retry in ${verdict.retryAfterS} s`,
      );
    }
    return this.balances.refresh(id);
  }
}
