import { Controller, Get, Param, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiParam, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import { BalancesService, BalanceView } from '@app/reconciliation';
import { ApiErrorResponse, ERRORS } from '../docs/api-error-response.decorator';
import { BalanceDto } from '../docs/reconciliation.dto';
import { ApiRequest } from '../http/api-request';
import { oneOfParam, onlyKnownParams } from '../reconciliations/query-params';

@ApiTags('customers')
@ApiBearerAuth()
@Controller('api/v1/customers')
export class BalancesController {
  constructor(private readonly balances: BalancesService) {}

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
  @ApiErrorResponse(503, '?refresh=true and Celar could not be asked; or Postgres is unavailable', {
    code: 'celar_unavailable',
    message: 'Celar could not be asked for the balance (Celar answered 503)',
  }, ERRORS.databaseDown)
  get(@Param('id') id: string, @Req() req: ApiRequest): Promise<BalanceView> {
    onlyKnownParams(req.query, ['refresh']);
    const refresh = oneOfParam(req.query, 'refresh', ['true', 'false'] as const) === 'true';
    return refresh ? this.balances.refresh(id) : this.balances.get(id);
  }
}
