import { Controller, Delete, Get, HttpCode, Param, Patch, Post, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiHeader, ApiOperation, ApiParam, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import { AppError } from '@app/common';
import { CustomerChangeResponse, CustomerListResponse, CustomerResponse, CustomersService } from '@app/customers';
import { AdminOnly } from '../http/admin-only.decorator';
import { ApiRequest, ApiResponse as HttpResponse } from '../http/api-request';
import { CHANGE_RESPONSE_SCHEMA, CREATE_BODY_SCHEMA, CUSTOMER_SCHEMA, ERROR_SCHEMA, PATCH_BODY_SCHEMA } from './customer.schemas';

// 1..255 printable ASCII characters.
const IDEMPOTENCY_KEY = /^[\x20-\x7e]{1,255}$/;
const ID_PARAM = { name: 'id', description: "The service's id (uuid) or Celar's id (cr_...)" };

@ApiTags('customers')
@ApiBearerAuth()
@ApiResponse({ status: 401, description: 'missing or unknown API key', schema: ERROR_SCHEMA })
@Controller('api/v1/customers')
export class CustomersController {
  constructor(private readonly customers: CustomersService) {}

  /** Sends the answer as text so an idempotent replay is byte-equal to the first. */
  @Post()
  @ApiOperation({ summary: 'Create one customer, or a bulk of 1..1000 (all or nothing)' })
  @ApiBody({ schema: CREATE_BODY_SCHEMA })
  @ApiHeader({ name: 'Idempotency-Key', required: false, description: 'Repeat-safe key, kept 24 h per API key (1..255 printable characters)' })
  @ApiResponse({
    status: 202,
    description: 'accepted; synced to Celar in the background',
    schema: { type: 'object', properties: { message: { type: 'string' }, customers: { type: 'array', items: CUSTOMER_SCHEMA } } },
  })
  @ApiResponse({ status: 400, description: 'invalid body: details name each bad index and field', schema: ERROR_SCHEMA })
  @ApiResponse({ status: 409, description: 'email_taken, or idempotency_key_in_use', schema: ERROR_SCHEMA })
  @ApiResponse({ status: 413, description: 'body over BODY_LIMIT', schema: ERROR_SCHEMA })
  @ApiResponse({ status: 415, description: 'body not JSON', schema: ERROR_SCHEMA })
  @ApiResponse({ status: 422, description: 'Idempotency-Key reused with another body', schema: ERROR_SCHEMA })
  async create(@Req() req: ApiRequest, @Res() res: HttpResponse): Promise<void> {
    const key = idempotencyKey(req);
    const result = await this.customers.create(req.body, {
      requestId: req.requestId,
      idempotency: key !== undefined ? { apiKeyHash: req.apiKeyHash as string, key } : undefined,
    });
    if (result.replayed) res.setHeader('Idempotent-Replayed', 'true');
    res.status(result.status).type('application/json').send(result.body);
  }

  @Get()
  @ApiOperation({ summary: 'Customers, newest first' })
  @ApiQuery({ name: 'limit', required: false, description: '1..100, default 20' })
  @ApiQuery({ name: 'offset', required: false, description: '0 or more, default 0' })
  @ApiQuery({ name: 'type', required: false, enum: ['individual', 'business'] })
  @ApiQuery({ name: 'is_active', required: false, enum: ['true', 'false'] })
  @ApiQuery({ name: 'sync_status', required: false, enum: ['pending', 'synced', 'failed'] })
  @ApiQuery({ name: 'country', required: false, description: 'ISO 3166-1 alpha-3' })
  @ApiQuery({ name: 'email', required: false, description: 'exact, case-insensitive' })
  @ApiResponse({
    status: 200,
    schema: {
      type: 'object',
      properties: { customers: { type: 'array', items: CUSTOMER_SCHEMA }, total: { type: 'integer' }, limit: { type: 'integer' }, offset: { type: 'integer' } },
    },
  })
  @ApiResponse({ status: 400, description: 'unknown parameter or value out of range', schema: ERROR_SCHEMA })
  list(@Req() req: ApiRequest): Promise<CustomerListResponse> {
    return this.customers.list(req.query);
  }

  @Get(':id')
  @ApiOperation({ summary: "A customer, by the service's id or Celar's id" })
  @ApiParam(ID_PARAM)
  @ApiResponse({ status: 200, schema: CUSTOMER_SCHEMA })
  @ApiResponse({ status: 404, schema: ERROR_SCHEMA })
  get(@Param('id') id: string): Promise<CustomerResponse> {
    return this.customers.get(id);
  }

  @Patch(':id')
  @HttpCode(202)
  @ApiOperation({ summary: 'Change name, email, address, wallet_address or document_type' })
  @ApiParam(ID_PARAM)
  @ApiBody({ schema: PATCH_BODY_SCHEMA })
  @ApiResponse({ status: 202, schema: CHANGE_RESPONSE_SCHEMA })
  @ApiResponse({ status: 400, schema: ERROR_SCHEMA })
  @ApiResponse({ status: 404, schema: ERROR_SCHEMA })
  @ApiResponse({ status: 409, description: 'customer_deactivated or email_taken', schema: ERROR_SCHEMA })
  update(@Param('id') id: string, @Req() req: ApiRequest): Promise<CustomerChangeResponse> {
    return this.customers.update(id, req.body, { requestId: req.requestId });
  }

  @Delete(':id')
  @HttpCode(202)
  @ApiOperation({ summary: 'Deactivate, irreversibly (repeating it changes nothing)' })
  @ApiParam(ID_PARAM)
  @ApiResponse({ status: 202, schema: CHANGE_RESPONSE_SCHEMA })
  @ApiResponse({ status: 404, schema: ERROR_SCHEMA })
  deactivate(@Param('id') id: string, @Req() req: ApiRequest): Promise<CustomerChangeResponse> {
    return this.customers.deactivate(id, { requestId: req.requestId });
  }

  @Post(':id/sync')
  @AdminOnly()
  @HttpCode(202)
  @ApiOperation({ summary: "Admin: re-queue a failed customer's held operations" })
  @ApiParam(ID_PARAM)
  @ApiResponse({ status: 202, schema: CHANGE_RESPONSE_SCHEMA })
  @ApiResponse({ status: 403, description: 'not an admin key', schema: ERROR_SCHEMA })
  @ApiResponse({ status: 404, schema: ERROR_SCHEMA })
  @ApiResponse({ status: 409, description: 'not_failed', schema: ERROR_SCHEMA })
  resync(@Param('id') id: string): Promise<CustomerChangeResponse> {
    return this.customers.resync(id);
  }
}

function idempotencyKey(req: ApiRequest): string | undefined {
  const value = req.headers['idempotency-key'];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !IDEMPOTENCY_KEY.test(value)) {
    throw new AppError('validation_failed', 'Invalid Idempotency-Key header', [
      { field: 'Idempotency-Key', message: 'must be 1 to 255 printable ASCII characters' },
    ]);
  }
  return value;
}
