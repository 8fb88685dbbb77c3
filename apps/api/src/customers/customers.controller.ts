import { Controller, Delete, Get, HttpCode, Param, Patch, Post, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiHeader, ApiOperation, ApiParam, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import { AppError } from '@app/common';
import { CustomerChangeResponse, CustomerListResponse, CustomerResponse, CustomersService } from '@app/customers';
import { ApiErrorResponse, ErrorExample, ERRORS } from '../docs/api-error-response.decorator';
import { AdminOnly } from '../http/admin-only.decorator';
import { ApiRequest, ApiResponse as HttpResponse } from '../http/api-request';
import { CustomerChangeDto, CustomerDto, CustomerListDto, CustomersCreatedDto, PENDING_CUSTOMER_EXAMPLE, SYNCED_CUSTOMER_EXAMPLE } from './customer-response.dto';
import { CREATE_BODY_EXAMPLES, CREATE_BODY_SCHEMA, PATCH_BODY_EXAMPLES, PATCH_BODY_SCHEMA } from './customer.schemas';

// 1..255 printable ASCII characters.
const IDEMPOTENCY_KEY = /^[\x20-\x7e]{1,255}$/;
const ID_PARAM = { name: 'id', description: "The service's id (uuid) or Celar's id (cr_...)", example: 'cr_f12ab34cd567' };
const INVALID_CUSTOMER: ErrorExample = {
  code: 'validation_failed',
  message: '1 of 2 customers are invalid; nothing was created',
  details: [{ index: 1, field: 'wallet_address', message: 'wallet_address fails its EIP-55 checksum (mixed case must match it; all lower or all upper case carries none)' }],
};
const EMAIL_TAKEN: ErrorExample = {
  code: 'email_taken',
  message: 'An active customer already has this email',
  details: [{ field: 'email', message: 'email is held by another active customer' }],
};
const DEACTIVATED: ErrorExample = { code: 'customer_deactivated', message: 'The customer is deactivated and can no longer change' };

@ApiTags('customers')
@ApiBearerAuth('bearer')
@Controller('api/v1/customers')
export class CustomersController {
  constructor(private readonly customers: CustomersService) {}

  /** Sends the answer as text so an idempotent replay is byte-equal to the first. */
  @Post()
  @ApiOperation({
    summary: 'Create one customer, or a bulk of 1..1000 (all or nothing)',
    description:
      'Validated as Celar would validate it, stored at once with sync_status pending, and sent to Celar in the background. ' +
      'With an Idempotency-Key header, a repeat with the same key and body returns the first response (header Idempotent-Replayed: true) and creates nothing.',
  })
  @ApiBody({ schema: CREATE_BODY_SCHEMA, examples: CREATE_BODY_EXAMPLES })
  @ApiHeader({ name: 'Idempotency-Key', required: false, description: 'Makes the request safe to repeat; kept 24 h per API key (1..255 printable ASCII characters)' })
  @ApiResponse({
    status: 202,
    description: 'Accepted: stored, and synced to Celar in the background',
    type: CustomersCreatedDto,
    example: { message: '1 customer(s) created successfully', customers: [PENDING_CUSTOMER_EXAMPLE] },
  })
  @ApiErrorResponse(400, 'Invalid body: details name each bad item (index) and field; nothing is stored', INVALID_CUSTOMER, ERRORS.invalidJson, {
    code: 'validation_failed',
    message: 'Invalid Idempotency-Key header',
    details: [{ field: 'Idempotency-Key', message: 'must be 1 to 255 printable ASCII characters' }],
  })
  @ApiErrorResponse(409, 'An email is held by an active customer, or a request with this Idempotency-Key is still running', EMAIL_TAKEN, {
    code: 'idempotency_key_in_use',
    message: 'A request with this Idempotency-Key is still being processed; retry later',
  })
  @ApiErrorResponse(422, 'Idempotency-Key reused with another body', {
    code: 'idempotency_key_reused',
    message: 'This Idempotency-Key was used with a different request body',
  })
  async create(@Req() req: ApiRequest, @Res() res: HttpResponse): Promise<void> {
    const key = idempotencyKey(req);
    const result = await this.customers.create(req.body, {
      requestId: req.requestId,
      idempotency: key !== undefined ? { apiKeyHash: req.apiKeyHash as string, key } : undefined,
    });
    if (result.replayed) res.header('Idempotent-Replayed', 'true');
    res.status(result.status).type('application/json').send(result.body);
  }

  @Get()
  @ApiOperation({ summary: 'Customers, newest first, from the mirror (never from Celar)' })
  @ApiQuery({ name: 'limit', required: false, type: 'integer', description: '1..100, default 20 (out of range: 400, never clamped)' })
  @ApiQuery({ name: 'offset', required: false, type: 'integer', description: '0 or more, default 0' })
  @ApiQuery({ name: 'type', required: false, enum: ['individual', 'business'] })
  @ApiQuery({ name: 'is_active', required: false, enum: ['true', 'false'] })
  @ApiQuery({ name: 'sync_status', required: false, enum: ['pending', 'synced', 'failed'] })
  @ApiQuery({ name: 'country', required: false, type: String, description: 'ISO 3166-1 alpha-3, upper case', example: 'KEN' })
  @ApiQuery({ name: 'email', required: false, type: String, description: 'Exact match, ignoring case' })
  @ApiResponse({ status: 200, description: 'One page of customers', type: CustomerListDto })
  @ApiErrorResponse(400, 'An unknown parameter, or a value out of range', ERRORS.unknownQueryParam)
  list(@Req() req: ApiRequest): Promise<CustomerListResponse> {
    return this.customers.list(req.query);
  }

  @Get(':id')
  @ApiOperation({ summary: "A customer, by the service's id or Celar's id" })
  @ApiParam(ID_PARAM)
  @ApiResponse({ status: 200, description: 'The customer', type: CustomerDto, example: SYNCED_CUSTOMER_EXAMPLE })
  @ApiErrorResponse(404, 'Neither an id nor a celar_id of a customer', ERRORS.customerNotFound)
  get(@Param('id') id: string): Promise<CustomerResponse> {
    return this.customers.get(id);
  }

  @Patch(':id')
  @HttpCode(202)
  @ApiOperation({
    summary: 'Change name, email, address, wallet_address or document_type',
    description: 'Applied at once locally (validated as on create), and sent to Celar in the background, in order.',
  })
  @ApiParam(ID_PARAM)
  @ApiBody({ schema: PATCH_BODY_SCHEMA, examples: PATCH_BODY_EXAMPLES })
  @ApiResponse({
    status: 202,
    description: 'Accepted: the customer as changed',
    type: CustomerChangeDto,
    example: {
      message: 'Customer updated successfully',
      customer: {
        ...SYNCED_CUSTOMER_EXAMPLE,
        name: 'Alice N. Wanjiku',
        address: '101 Moi Avenue, Nairobi',
        updated_at: '2025-09-26T09:22:15.102Z',
        sync_status: 'pending',
      },
    },
  })
  @ApiErrorResponse(400, 'A field that cannot change, a bad value, or an empty body', {
    code: 'validation_failed',
    message: 'The update is invalid',
    details: [{ field: 'document_type', message: 'document_type of a individual customer must be one of id_card, passport, driver_license' }],
  }, ERRORS.invalidJson)
  @ApiErrorResponse(404, 'No such customer', ERRORS.customerNotFound)
  @ApiErrorResponse(409, 'The customer is deactivated, or the email is held by another active customer', DEACTIVATED, EMAIL_TAKEN)
  update(@Param('id') id: string, @Req() req: ApiRequest): Promise<CustomerChangeResponse> {
    return this.customers.update(id, req.body, { requestId: req.requestId });
  }

  @Delete(':id')
  @HttpCode(202)
  @ApiOperation({
    summary: 'Deactivate, irreversibly (repeating it changes nothing)',
    description: 'is_active is false at once locally; Celar is told by a sync job.',
  })
  @ApiParam(ID_PARAM)
  @ApiResponse({
    status: 202,
    description: 'Accepted: the customer, deactivated',
    type: CustomerChangeDto,
    example: {
      message: 'Customer deactivated successfully',
      customer: { ...SYNCED_CUSTOMER_EXAMPLE, is_active: false, updated_at: '2025-09-26T09:45:10.729Z', sync_status: 'pending' },
    },
  })
  @ApiErrorResponse(404, 'No such customer', ERRORS.customerNotFound)
  deactivate(@Param('id') id: string, @Req() req: ApiRequest): Promise<CustomerChangeResponse> {
    return this.customers.deactivate(id, { requestId: req.requestId });
  }

  @Post(':id/sync')
  @AdminOnly()
  @HttpCode(202)
  @ApiOperation({
    summary: "Admin: re-queue a failed customer's held operations",
    description: 'For a customer Celar refused for good (sync_status failed), once the cause is fixed: its held changes are sent again, in order.',
  })
  @ApiParam(ID_PARAM)
  @ApiResponse({
    status: 202,
    description: 'Re-queued: the customer, pending again',
    type: CustomerChangeDto,
    example: { message: 'Customer sync re-queued', customer: { ...SYNCED_CUSTOMER_EXAMPLE, sync_status: 'pending', updated_at: '2025-09-26T10:02:44.018Z' } },
  })
  @ApiErrorResponse(403, 'An app key: this route needs an admin key', ERRORS.notAdmin)
  @ApiErrorResponse(404, 'No such customer', ERRORS.customerNotFound)
  @ApiErrorResponse(409, 'The customer is not failed', { code: 'not_failed', message: 'Only a failed customer can be re-synced; this one is synced' })
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
