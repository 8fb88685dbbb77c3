import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query, UseGuards, UseInterceptors } from '@nestjs/common';
import { SandboxError } from '../common/sandbox.error';
import { ApiKeyGuard } from '../gateway/api-key.guard';
import { CelarGatewayInterceptor } from '../gateway/celar-gateway.interceptor';
import { CustomersService } from './customers.service';

export const DEFAULT_LIMIT = 20;
export const MAX_LIMIT = 100;

/** Celar's customers endpoints, as customers-endpoints.txt describes them. */
@Controller('api/v1/customers')
@UseGuards(ApiKeyGuard)
@UseInterceptors(CelarGatewayInterceptor)
export class CustomersController {
  constructor(private readonly customers: CustomersService) {}

  @Post()
  @HttpCode(201)
  create(@Body() body: unknown) {
    const customers = this.customers.create(body);
    return { message: `${customers.length} customer(s) created successfully`, customers };
  }

  @Get()
  list(@Query() query: Record<string, unknown>) {
    const limit = intParam(query.limit, 'limit', DEFAULT_LIMIT, 1, MAX_LIMIT);
    const offset = intParam(query.offset, 'offset', 0, 0, Number.MAX_SAFE_INTEGER);
    return this.customers.list(limit, offset);
  }

  @Get(':id')
  get(@Param('id') id: string) {
    return this.customers.get(id);
  }

  @Get(':id/balance')
  balance(@Param('id') id: string) {
    return this.customers.balance(id);
  }

  @Patch(':id')
  update(@Param('id') id: string, @Body() body: unknown) {
    return { message: 'Customer updated successfully', customer: this.customers.update(id, body) };
  }

  @Delete(':id')
  deactivate(@Param('id') id: string) {
    return { message: 'Customer deactivated successfully', customer: this.customers.deactivate(id) };
  }
}

function intParam(value: unknown, name: string, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  const n = typeof value === 'string' && /^\d{1,16}$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new SandboxError('validation_failed', `${name} must be an integer from ${min} to ${max}`, [{ field: name, message: 'out of range' }]);
  }
  return n;
}
