import { Controller, Delete, Get, Param, Patch, Post, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiResponse as ApiDocResponse, ApiOperation, ApiParam, ApiQuery, ApiTags } from '@nestjs/swagger';
import { QueryReader } from '@app/common';
import { WebhookEndpointsService } from '@app/webhooks';
import { ApiErrorResponse, ErrorExample, ERRORS } from '../docs/api-error-response.decorator';
import { AdminOnly } from '../http/admin-only.decorator';
import { ApiRequest, ApiResponse } from '../http/api-request';
import {
  CREATE_ENDPOINT_SCHEMA,
  ENDPOINT_EXAMPLE,
  RECOVER_SCHEMA,
  UPDATE_ENDPOINT_SCHEMA,
  WebhookDeliveryListDto,
  WebhookEndpointCreatedDto,
  WebhookEndpointDto,
  WebhookEndpointListDto,
  WebhookRecoverDto,
} from './webhook.dto';

const NOT_FOUND: ErrorExample = { code: 'not_found', message: `No webhook endpoint ${ENDPOINT_EXAMPLE.id}` };
const BAD_ENDPOINT: ErrorExample = {
  code: 'validation_failed',
  message: 'Invalid webhook endpoint',
  details: [{ field: 'url', message: 'must be an http or https URL, not ftp' }],
};
const BAD_TYPE: ErrorExample = {
  code: 'validation_failed',
  message: 'Invalid webhook endpoint',
  details: [{ field: 'types', message: 'unknown event type(s) "customer.exploded"; known: customer.synced, ...' }],
};
const ID_PARAM = { name: 'id', description: 'The endpoint id', example: ENDPOINT_EXAMPLE.id };

@ApiTags('webhooks')
@ApiBearerAuth('bearer')
@AdminOnly()
@ApiErrorResponse(403, 'An app key: these routes need an admin key', ERRORS.notAdmin)
@Controller('api/v1/admin/webhook-endpoints')
export class WebhooksController {
  constructor(private readonly endpoints: WebhookEndpointsService) {}

  @Post()
  @ApiOperation({ summary: 'Subscribe an endpoint (201 with its secret, shown only this once)' })
  @ApiBody({ schema: CREATE_ENDPOINT_SCHEMA, examples: { some: { summary: 'Two event types', value: { url: ENDPOINT_EXAMPLE.url, types: ENDPOINT_EXAMPLE.types, description: ENDPOINT_EXAMPLE.description } }, all: { summary: 'Every event type', value: { url: 'http://127.0.0.1:9000/hooks' } } } })
  @ApiDocResponse({ status: 201, description: 'The endpoint, enabled, with its secret', type: WebhookEndpointCreatedDto })
  @ApiErrorResponse(400, 'No URL, a URL that is not http(s), an unknown event type, or an unknown field', BAD_ENDPOINT, BAD_TYPE, ERRORS.invalidJson)
  async create(@Req() req: ApiRequest, @Res() res: ApiResponse): Promise<void> {
    new QueryReader(req.query, []).done();
    res.status(201).send(await this.endpoints.create(req.body));
  }

  @Get()
  @ApiOperation({ summary: 'Every endpoint (secrets are not shown again)' })
  @ApiDocResponse({ status: 200, description: 'The endpoints, oldest first', type: WebhookEndpointListDto })
  @ApiErrorResponse(400, 'An unknown query parameter', { code: 'validation_failed', message: 'Unknown query parameter' })
  async list(@Req() req: ApiRequest, @Res() res: ApiResponse): Promise<void> {
    new QueryReader(req.query, []).done();
    res.status(200).send(await this.endpoints.list());
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Change url, types, description or enabled (true also re-enables an endpoint disabled after failing)' })
  @ApiParam(ID_PARAM)
  @ApiBody({ schema: UPDATE_ENDPOINT_SCHEMA, examples: { disable: { summary: 'Pause deliveries', value: { enabled: false } }, all: { summary: 'Every event type', value: { types: null } } } })
  @ApiDocResponse({ status: 200, description: 'The endpoint as it now is', type: WebhookEndpointDto })
  @ApiErrorResponse(400, 'An empty body, an unknown field, a bad URL or type', BAD_ENDPOINT, BAD_TYPE, ERRORS.invalidJson)
  @ApiErrorResponse(404, 'No such endpoint', NOT_FOUND)
  async update(@Param('id') id: string, @Req() req: ApiRequest, @Res() res: ApiResponse): Promise<void> {
    new QueryReader(req.query, []).done();
    res.status(200).send(await this.endpoints.update(id, req.body));
  }

  @Delete(':id')
  @ApiOperation({ summary: 'Remove an endpoint: nothing more is delivered to it, and its delivery log goes with it' })
  @ApiParam(ID_PARAM)
  @ApiDocResponse({ status: 204, description: 'Removed' })
  @ApiErrorResponse(404, 'No such endpoint', NOT_FOUND)
  async delete(@Param('id') id: string, @Req() req: ApiRequest, @Res() res: ApiResponse): Promise<void> {
    new QueryReader(req.query, []).done();
    await this.endpoints.delete(id);
    res.status(204).send();
  }

  @Get(':id/deliveries')
  @ApiOperation({ summary: "The endpoint's delivery log: one row per event (a recover adds rows), newest event first" })
  @ApiParam(ID_PARAM)
  @ApiQuery({ name: 'limit', required: false, type: 'integer', description: '1..100, default 20' })
  @ApiQuery({ name: 'offset', required: false, type: 'integer', description: '0 or more, default 0' })
  @ApiDocResponse({ status: 200, description: 'One page of deliveries', type: WebhookDeliveryListDto })
  @ApiErrorResponse(400, 'An unknown query parameter, or a value out of range', ERRORS.unknownQueryParam)
  @ApiErrorResponse(404, 'No such endpoint', NOT_FOUND)
  async deliveries(@Param('id') id: string, @Req() req: ApiRequest, @Res() res: ApiResponse): Promise<void> {
    const query = new QueryReader(req.query, ['limit', 'offset']);
    const { limit, offset } = query.page();
    query.done();
    res.status(200).send(await this.endpoints.deliveries(id, limit, offset));
  }

  @Post(':id/recover')
  @ApiOperation({ summary: 'Send again every subscribed event created at or after `since`, with its original id (so webhook-id repeats)' })
  @ApiParam(ID_PARAM)
  @ApiBody({ schema: RECOVER_SCHEMA, examples: { lastHour: { summary: 'Since a time', value: { since: '2025-09-26T08:00:00Z' } } } })
  @ApiDocResponse({ status: 202, description: 'How many events were queued', type: WebhookRecoverDto })
  @ApiErrorResponse(400, '`since` missing or not an ISO time with a zone', {
    code: 'validation_failed',
    message: 'Invalid recover request',
    details: [{ field: 'since', message: 'is required: an ISO 8601 time with a zone, e.g. 2025-09-26T09:00:00Z' }],
  }, ERRORS.invalidJson)
  @ApiErrorResponse(404, 'No such endpoint', NOT_FOUND)
  async recover(@Param('id') id: string, @Req() req: ApiRequest, @Res() res: ApiResponse): Promise<void> {
    new QueryReader(req.query, []).done();
    res.status(202).send(await this.endpoints.recover(id, req.body));
  }
}
