import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query, Res, UseGuards, UseInterceptors } from '@nestjs/common';
import { SandboxResponse } from '../common/http.types';
import { SandboxError } from '../common/sandbox.error';
import { ApiKeyGuard } from '../gateway/api-key.guard';
import { CelarGatewayInterceptor } from '../gateway/celar-gateway.interceptor';
import { SettingsService } from '../settings.service';
import { CustomersService, MAX_LIMIT, SandboxCustomer } from './customers.service';

export const DEFAULT_LIMIT = 20;

/** Celar's customers endpoints, as customers-endpoints.txt describes them. */
@Controller('api/v1/customers')
@UseGuards(ApiKeyGuard)
@UseInterceptors(CelarGatewayInterceptor)
export class CustomersController {
  constructor(
    private readonly customers: CustomersService,
    private readonly settings: SettingsService,
  ) {}

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
    // Checked only when honoured: a Celar without the filter does not look at it at all.
    let email: string | undefined;
    if (this.settings.emailFilter === 'honoured' && query.email !== undefined) {
      if (typeof query.email !== 'string' || query.email === '') {
        throw new SandboxError('validation_failed', 'email must be one non-empty value', [{ field: 'email', message: 'invalid' }]);
      }
      email = query.email;
    }
    return this.customers.list({ limit, offset, email });
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
  update(@Param('id') id: string, @Body() body: unknown, @Res({ passthrough: true }) res: SandboxResponse) {
    return this.mutationAnswer(res, 'Customer updated successfully', this.customers.update(id, body));
  }

  @Delete(':id')
  deactivate(@Param('id') id: string, @Res({ passthrough: true }) res: SandboxResponse) {
    return this.mutationAnswer(res, 'Customer deactivated successfully', this.customers.deactivate(id));
  }

  /** The success answer of PATCH and DELETE, as the mutationBody setting says. */
  private mutationAnswer(res: SandboxResponse, message: string, customer: SandboxCustomer) {
    switch (this.settings.mutationBody) {
      case 'customer':
        return { message, customer };
      case 'message':
        return { message };
      case 'empty':
        return {};
      case 'no_content':
        res.status(204);
        return undefined;
    }
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
